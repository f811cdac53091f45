"""Synthetic test images: deterministic, made in memory, never read from disk."""

from __future__ import annotations

import torch
from PIL import Image


def make_photo(width: int = 64, height: int = 48, seed: int = 0) -> Image.Image:
    """A smooth synthetic 'photo': gradients plus a bright square, deterministic."""
    generator = torch.Generator().manual_seed(seed)
    ys = torch.linspace(0, 1, height).view(-1, 1).expand(height, width)
    xs = torch.linspace(0, 1, width).view(1, -1).expand(height, width)
    image = torch.stack([xs, ys, 1 - xs * ys], dim=0)
    image[:, height // 4 : height // 2, width // 4 : width // 2] = 0.9
    image = (image + 0.02 * torch.randn(image.shape, generator=generator)).clamp(0, 1)
    array = (image.permute(1, 2, 0) * 255).round().byte().numpy()
    return Image.fromarray(array, mode="RGB")


def make_stripes(width: int = 64, height: int = 64, period: int = 6) -> Image.Image:
    """A high-contrast diagonal stripe 'painting' in red and blue."""
    ys, xs = torch.meshgrid(torch.arange(height), torch.arange(width), indexing="ij")
    on = (((xs + ys) // period) % 2).bool()
    image = torch.zeros(3, height, width)
    image[0][on] = 0.9
    image[2][~on] = 0.8
    image[1] = 0.1
    array = (image.permute(1, 2, 0) * 255).round().byte().numpy()
    return Image.fromarray(array, mode="RGB")
