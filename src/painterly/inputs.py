"""Images in every form users hold them, to the engine's ``(B, 3, H, W)`` float tensors and back.

The stylizer accepts a path, a PIL image, encoded bytes, a NumPy array (``H×W×3`` uint8, or
float in [0, 1]) or a torch tensor (``3×H×W`` or ``B×3×H×W`` float in [0, 1]); every form
passes the same checks as a file (sides ≥ 16 px, pixel limit). Results come back as PIL by
default, or as a tensor or array on request.
"""

from __future__ import annotations

import os
from typing import Any, Literal

import numpy as np
import torch
from PIL import Image

from .errors import ArgumentError, ImageError
from .image_io import MAX_PIXELS, MIN_SIDE, check_image, image_to_tensor, open_image, tensor_to_image

__all__ = ["OUTPUTS", "ImageInput", "Output", "as_batch", "as_image", "from_batch"]

ImageInput = str | os.PathLike[str] | bytes | Image.Image | np.ndarray | torch.Tensor
Output = Literal["pil", "tensor", "numpy"]
OUTPUTS: tuple[Output, ...] = ("pil", "tensor", "numpy")


def as_image(source: ImageInput, *, label: str = "image") -> Image.Image:
    """Any accepted form → a checked RGB PIL image (a batch of one for tensors)."""
    if isinstance(source, Image.Image):
        return check_image(source, label=label)
    if isinstance(source, (np.ndarray, torch.Tensor)):
        batch = as_batch(source, label=label)
        if batch.shape[0] != 1:
            raise ImageError(f"{label} is a batch of {batch.shape[0]}; give one image here")
        return tensor_to_image(batch)
    if isinstance(source, (str, bytes, os.PathLike)):
        return open_image(source, label=label)
    raise ImageError(f"{label}: cannot read a {type(source).__name__}; give a path, PIL image, bytes, array or tensor")


def as_batch(source: ImageInput, *, label: str = "image", device: torch.device | None = None) -> torch.Tensor:
    """Any accepted form → ``(B, 3, H, W)`` float32 in [0, 1] (B = 1 unless a batch tensor was given).

    Raises:
        ImageError: a shape that is not an RGB image, values outside [0, 1], or a side under 16 px.
    """
    if isinstance(source, np.ndarray):
        tensor = _from_array(source, label)
    elif isinstance(source, torch.Tensor):
        tensor = _from_tensor(source, label)
    else:
        tensor = image_to_tensor(as_image(source, label=label))
    height, width = tensor.shape[-2:]
    if min(height, width) < MIN_SIDE:
        raise ImageError(f"{label} is {width}×{height}; each side must be ≥ {MIN_SIDE} px")
    if height * width > MAX_PIXELS:
        raise ImageError(f"{label} has {width}×{height} pixels, over the limit of {MAX_PIXELS:,}", too_large=True)
    return tensor.to(device) if device is not None else tensor


def _from_array(array: np.ndarray, label: str) -> torch.Tensor:
    if array.ndim != 3 or array.shape[-1] not in (3, 4):
        raise ImageError(f"{label}: a NumPy image must be H×W×3 (RGB), got shape {array.shape}")
    if array.dtype == np.uint8:
        values = torch.from_numpy(np.array(array[..., :3])).float().div_(255.0)  # a copy: arrays may be read-only
    elif np.issubdtype(array.dtype, np.floating):
        values = torch.from_numpy(np.array(array[..., :3], dtype=np.float32))
    else:
        raise ImageError(f"{label}: a NumPy image must be uint8 or float in [0, 1], got {array.dtype}")
    return _check_range(values.permute(2, 0, 1).unsqueeze(0), label)


def _from_tensor(tensor: torch.Tensor, label: str) -> torch.Tensor:
    if tensor.dim() == 3:
        tensor = tensor.unsqueeze(0)
    if tensor.dim() != 4 or tensor.shape[1] != 3:
        raise ImageError(f"{label}: a tensor image must be 3×H×W or B×3×H×W, got shape {tuple(tensor.shape)}")
    if not tensor.is_floating_point():
        raise ImageError(f"{label}: a tensor image must be float in [0, 1], got {tensor.dtype}")
    return _check_range(tensor.detach().float(), label)


def _check_range(tensor: torch.Tensor, label: str) -> torch.Tensor:
    low, high = (float(value) for value in torch.aminmax(tensor))  # one pass; NaN fails both comparisons
    if not (low >= -1e-3 and high <= 1 + 1e-3):
        raise ImageError(f"{label}: values must be finite and within [0, 1] (divide 8-bit values by 255)")
    return tensor if low >= 0 and high <= 1 else tensor.clamp(0, 1)  # no copy when already in range


def from_batch(batch: torch.Tensor, output: Output) -> Any:
    """``(B, 3, H, W)`` → PIL image(s), the tensor itself, or ``H×W×3`` uint8 array(s); one item when B = 1."""
    if output == "tensor":
        return batch
    if output not in OUTPUTS:
        raise ArgumentError(f"output must be one of {', '.join(OUTPUTS)}, got {output!r}", name="output")
    items = [tensor_to_image(item) for item in batch]
    if output == "numpy":
        items = [np.asarray(item) for item in items]  # type: ignore[misc]
    return items[0] if len(items) == 1 else items
