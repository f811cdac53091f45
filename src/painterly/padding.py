"""Padding images to the sizes networks need, and cropping results back.

Networks that downsample by k need sides divisible by k, and their reflection paddings need
a few pixels at the lowest resolution. Photos of any shape (a 100:1 panorama at a small
size ends up one pixel tall) are padded up to both, by reflection where the image is large
enough and by repeating its edge where it is not (reflection cannot pad more than the
image's own size).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

__all__ = ["crop_to", "pad_to_multiple"]


def _target(side: int, multiple: int, minimum: int) -> int:
    side = max(side, minimum)
    return side + (-side) % multiple


def pad_to_multiple(image: torch.Tensor, multiple: int, *, minimum: int = 0) -> torch.Tensor:
    """Pad ``(B, C, H, W)`` on the bottom and right so both sides are ≥ ``minimum`` and divide by ``multiple``.

    Crop the result back with ``crop_to(result, image)``.

    Example:
        >>> pad_to_multiple(torch.zeros(1, 3, 5, 30), 8, minimum=16).shape
        torch.Size([1, 3, 16, 32])
    """
    height, width = image.shape[-2:]
    pad_h = _target(height, multiple, minimum) - height
    pad_w = _target(width, multiple, minimum) - width
    if not pad_h and not pad_w:
        return image
    mode = "reflect" if pad_h < height and pad_w < width else "replicate"
    return F.pad(image, (0, pad_w, 0, pad_h), mode=mode)


def crop_to(result: torch.Tensor, like: torch.Tensor) -> torch.Tensor:
    """``result`` cropped to the height and width of ``like`` (undoes ``pad_to_multiple``)."""
    return result[..., : like.shape[-2], : like.shape[-1]]
