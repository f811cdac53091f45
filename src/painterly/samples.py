"""Sample inputs that ship with painterly, so the demo and docs need no downloads.

The photo is scikit-image's ``astronaut`` (Eileen Collins, NASA, public domain), which the
scikit-image wheel carries. The style is painted here, by code: swirling strokes made by
line-integral convolution of noise along a field of vortices, coloured with a night-sky
palette. It is ours, so it can be shipped and shown anywhere.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

from .errors import PainterlyError

__all__ = ["sample_photo", "sample_style", "write_samples"]

# Night-sky palette: deep blue → teal → pale yellow → ochre (RGB 0..255).
_PALETTE = np.array([[18, 32, 84], [36, 78, 148], [70, 130, 160], [222, 214, 140], [232, 178, 64]], dtype=np.float32)


def sample_photo() -> Image.Image:
    """scikit-image's astronaut photo (512×512, public domain).

    Raises:
        PainterlyError: scikit-image is not installed (it is in the ``demo`` extra).
    """
    try:
        from skimage import data
    except ImportError:
        raise PainterlyError("the sample photo comes from scikit-image: pip install 'painterly[demo]'") from None
    return Image.fromarray(data.astronaut()).convert("RGB")


def _vortex_field(size: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Unit vectors of a flow made of a few vortices of random sign plus a gentle drift."""
    ys, xs = np.mgrid[0:size, 0:size].astype(np.float32) / size
    u = np.full_like(xs, 0.3)
    v = np.zeros_like(ys)
    for _ in range(7):
        cx, cy = rng.uniform(0.05, 0.95, 2)
        strength = rng.choice([-1.0, 1.0]) * rng.uniform(0.5, 1.0)
        radius = rng.uniform(0.08, 0.2)
        dx, dy = xs - cx, ys - cy
        falloff = strength * np.exp(-(dx**2 + dy**2) / (2 * radius**2)) / radius
        u += -dy * falloff
        v += dx * falloff
    norm = np.sqrt(u**2 + v**2) + 1e-6
    return u / norm, v / norm


def _line_integral(noise: np.ndarray, u: np.ndarray, v: np.ndarray, length: int) -> np.ndarray:
    """Average the noise along each pixel's streamline, forwards and backwards: brush strokes."""
    size = noise.shape[0]
    total = noise.copy()
    for direction in (1.0, -1.0):
        ys, xs = np.mgrid[0:size, 0:size].astype(np.float32)
        for _ in range(length):
            iy, ix = ys.astype(np.int32) % size, xs.astype(np.int32) % size
            xs += direction * u[iy, ix]
            ys += direction * v[iy, ix]
            total += noise[ys.astype(np.int32) % size, xs.astype(np.int32) % size]
    return total / (2 * length + 1)


def sample_style(size: int = 512, *, seed: int = 7) -> Image.Image:
    """A procedurally painted style image of swirling strokes (deterministic for a seed)."""
    rng = np.random.default_rng(seed)
    u, v = _vortex_field(size, rng)
    coarse = rng.random((size // 16, size // 16)).astype(np.float32)
    noise = np.kron(rng.random((size // 2, size // 2)).astype(np.float32), np.ones((2, 2), np.float32))
    strokes = _line_integral(noise, u, v, length=size // 24)
    strokes = (strokes - strokes.mean()) / (strokes.std() + 1e-6)
    tone = np.asarray(Image.fromarray((coarse * 255).astype(np.uint8)).resize((size, size), Image.Resampling.BICUBIC))
    tone = _line_integral(tone.astype(np.float32) / 255.0, u, v, length=size // 16)
    position = np.clip(tone * 1.6 - 0.3 + 0.12 * strokes, 0, 1) * (len(_PALETTE) - 1)
    low = np.floor(position).astype(np.int32).clip(0, len(_PALETTE) - 2)
    mix = (position - low)[..., None]
    rgb = _PALETTE[low] * (1 - mix) + _PALETTE[low + 1] * mix
    rgb *= (1.0 + 0.18 * strokes)[..., None]
    return Image.fromarray(np.clip(rgb, 0, 255).astype(np.uint8), mode="RGB")


def write_samples(folder: str | Path) -> tuple[Path, Path]:
    """Write the sample photo and style into ``folder`` (created if needed); return their paths."""
    target = Path(folder)
    target.mkdir(parents=True, exist_ok=True)
    photo_path, style_path = target / "astronaut.png", target / "swirls_style.png"
    sample_photo().save(photo_path)
    sample_style().save(style_path)
    return photo_path, style_path
