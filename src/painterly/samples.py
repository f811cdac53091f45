"""Sample inputs that ship with painterly, so the demo and docs need no downloads.

The photo is scikit-image's ``astronaut`` (Eileen Collins, NASA, public domain), which the
scikit-image wheel carries. The style is painted here, by code: short thick brush strokes that
follow a smooth flow, in an impressionist palette. It is ours, so it can be shipped and
shown anywhere.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

from .errors import PainterlyError

__all__ = ["sample_photo", "sample_style", "write_samples"]

# An impressionist palette (RGB): sky blues, leaf greens, warm ochres, rose, cream.
_PALETTE = np.array(
    [[52, 84, 150], [88, 136, 196], [62, 120, 88], [132, 170, 92], [214, 168, 72], [226, 120, 96],
     [236, 218, 170], [152, 92, 140]], dtype=np.float32,
)  # fmt: skip


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


def _smooth_field(size: int, rng: np.random.Generator, cells: int) -> np.ndarray:
    """Low-frequency noise in [0, 1]: a coarse random grid upsampled bicubically."""
    coarse = (rng.random((cells, cells)) * 255).astype(np.uint8)
    return np.asarray(Image.fromarray(coarse).resize((size, size), Image.Resampling.BICUBIC), np.float32) / 255


def sample_style(size: int = 512, *, seed: int = 7) -> Image.Image:
    """A procedurally painted style image: thousands of short, thick, flowing brush strokes.

    Stroke direction follows a smooth angle field and colour follows a smooth palette field
    with jitter, so the picture reads as brushwork with no large shapes of its own; that
    keeps the photo's structure legible when the style is transferred.
    """
    rng = np.random.default_rng(seed)
    angle = _smooth_field(size, rng, 5) * 2 * np.pi
    tone = _smooth_field(size, rng, 4) * (len(_PALETTE) - 1)
    canvas = Image.new("RGB", (size, size), tuple(int(c) for c in _PALETTE[0]))
    draw = ImageDraw.Draw(canvas)
    for _ in range(size * size // 60):
        x, y = rng.integers(0, size, 2)
        theta = angle[y, x] + rng.normal(0, 0.25)
        length, width = rng.uniform(size / 50, size / 18), int(rng.integers(size // 170 + 2, size // 70 + 4))
        index = int(np.clip(tone[y, x] + rng.normal(0, 1.2), 0, len(_PALETTE) - 1))
        colour = np.clip(_PALETTE[index] * rng.uniform(0.8, 1.15) + rng.normal(0, 10, 3), 0, 255)
        dx, dy = np.cos(theta) * length / 2, np.sin(theta) * length / 2
        draw.line([(x - dx, y - dy), (x + dx, y + dy)], fill=tuple(int(c) for c in colour), width=width)
    return canvas.filter(ImageFilter.SMOOTH_MORE)


def write_samples(folder: str | Path) -> tuple[Path, Path]:
    """Write the sample photo and style into ``folder`` (created if needed); return their paths."""
    target = Path(folder)
    target.mkdir(parents=True, exist_ok=True)
    photo_path, style_path = target / "astronaut.png", target / "brushstrokes_style.png"
    sample_photo().save(photo_path)
    sample_style().save(style_path)
    return photo_path, style_path
