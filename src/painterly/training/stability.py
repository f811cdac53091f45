"""A temporal-stability term for feed-forward training that needs no video (for ``painterly video``).

Between two video frames the photo moves a little and its pixels carry a little noise; a stable
network's output then moves the same way and nothing else changes. So each step warps the
training photos by a small random motion (shift, rotation, zoom), adds sensor-like noise, and
penalizes the difference between the network's output for that photo and the equally warped
output for the original: ``‖N(W(x) + n) − W(N(x))‖²`` on the pixels the warp keeps inside the
image. This is the compound regularization of Wang et al. (2020, "Consistent video style
transfer via compound regularization"); Gupta et al. (2017) used the noise half alone.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch
import torch.nn.functional as F

__all__ = ["MAX_ANGLE", "MAX_SHIFT", "NOISE", "random_motion", "stability_loss"]

MAX_SHIFT = 0.02  # of the crop side: 5 px at 256, a brisk pan between two frames
MAX_ANGLE = 1.0  # degrees
MAX_ZOOM = 0.02
NOISE = 0.02  # standard deviation of the added noise, images in [0, 1]


def random_motion(count: int, generator: torch.Generator) -> torch.Tensor:
    """``(count, 2, 3)`` affine matrices (``F.affine_grid``'s normalized convention) of small random motions."""
    shift = (torch.rand(count, 2, generator=generator) * 2 - 1) * MAX_SHIFT * 2  # normalized coords span 2
    angle = (torch.rand(count, generator=generator) * 2 - 1) * math.radians(MAX_ANGLE)
    zoom = 1 + (torch.rand(count, generator=generator) * 2 - 1) * MAX_ZOOM
    cos, sin = torch.cos(angle) / zoom, torch.sin(angle) / zoom
    return torch.stack([torch.stack([cos, -sin, shift[:, 0]], 1), torch.stack([sin, cos, shift[:, 1]], 1)], 1)


def _warp(images: torch.Tensor, theta: torch.Tensor) -> torch.Tensor:
    grid = F.affine_grid(theta.to(images), list(images.shape), align_corners=False)
    return F.grid_sample(images, grid, mode="bilinear", padding_mode="zeros", align_corners=False)


def stability_loss(net: Callable[[torch.Tensor], torch.Tensor], photos: torch.Tensor, outputs: torch.Tensor,
                   generator: torch.Generator, *, global_batch: int | None = None, rows: slice = slice(None)
                   ) -> torch.Tensor:  # fmt: skip
    """Mean squared difference between ``net(W(photos) + noise)`` and ``W(outputs)`` where W keeps pixels.

    Args:
        net: the network being trained, photos → outputs (in the training's autocast).
        photos: ``(B, 3, H, W)`` the step's photos.
        outputs: ``net(photos)``, with its graph: both branches learn to agree.
        generator: the run's CPU generator, so the motions are part of the resumable data order.
        global_batch, rows: in a distributed run, motions and noise are drawn for the whole global
            batch and these rows kept, so every rank's generator stays in step with a single process's.
    """
    count = photos.shape[0] if global_batch is None else global_batch
    theta = random_motion(count, generator)[rows]
    noise = torch.randn((count, *photos.shape[1:]), generator=generator)[rows].to(photos) * NOISE
    moved = net((_warp(photos, theta) + noise).clamp(0, 1)).float()
    inside = (_warp(torch.ones_like(photos[:, :1]), theta) > 0.999).to(moved.dtype)
    difference = (moved - _warp(outputs, theta)).square() * inside
    return difference.sum() / (inside.sum() * photos.shape[1]).clamp_min(1.0)
