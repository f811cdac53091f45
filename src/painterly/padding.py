"""Padding images to the sizes networks need, and cropping results back.

Networks that downsample by k need sides divisible by k, and their reflection paddings need
a few pixels at the lowest resolution. Photos of any shape (a 100:1 panorama at a small
size ends up one pixel tall) are padded up to both, by reflection where the image is large
enough and by repeating its edge where it is not (reflection cannot pad more than the
image's own size).

A model may also ask for a reflected *margin* on every side: a network trained with its loss
taken inside such a margin never learns to paint its own border (see the feed-forward training
notes), so at inference its border falls in the margin and is cropped off.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F

__all__ = ["crop_to", "in_margin", "pad_to_multiple"]


def _target(side: int, multiple: int, minimum: int) -> int:
    side = max(side, minimum)
    return side + (-side) % multiple


def pad_to_multiple(image: torch.Tensor, multiple: int, *, minimum: int = 0, margin: int = 0) -> torch.Tensor:
    """Pad ``(B, C, H, W)`` on the bottom and right so both sides are ≥ ``minimum`` and divide by ``multiple``,
    after ``margin`` reflected pixels on every side.

    Crop the result back with ``crop_to(result, image, margin=margin)``.

    Example:
        >>> pad_to_multiple(torch.zeros(1, 3, 5, 30), 8, minimum=16).shape
        torch.Size([1, 3, 16, 32])
        >>> pad_to_multiple(torch.zeros(1, 3, 40, 30), 4, margin=8).shape
        torch.Size([1, 3, 56, 48])
    """
    if margin:
        image = _pad(image, (margin, margin, margin, margin))
    height, width = image.shape[-2:]
    pad_h = _target(height, multiple, minimum) - height
    pad_w = _target(width, multiple, minimum) - width
    if not pad_h and not pad_w:
        return image
    return _pad(image, (0, pad_w, 0, pad_h))


def _pad(image: torch.Tensor, sides: tuple[int, int, int, int]) -> torch.Tensor:
    """Reflection where the image is larger than the padding, else its edge repeated."""
    left, right, top, bottom = sides
    height, width = image.shape[-2:]
    mode = "reflect" if max(top, bottom) < height and max(left, right) < width else "replicate"
    return F.pad(image, sides, mode=mode)


def crop_to(result: torch.Tensor, like: torch.Tensor, *, margin: int = 0) -> torch.Tensor:
    """``result`` cropped to the height and width of ``like`` (undoes ``pad_to_multiple``)."""
    return result[..., margin : margin + like.shape[-2], margin : margin + like.shape[-1]]


def in_margin(network: Callable[[torch.Tensor], torch.Tensor], image: torch.Tensor, margin: int) -> torch.Tensor:
    """``network`` run on ``image`` with ``margin`` reflected pixels on every side, cropped back to its size.

    How a model trained inside a margin is trained and, standalone (an ONNX file), run.
    """
    return crop_to(network(pad_to_multiple(image, 1, margin=margin)), image, margin=margin)
