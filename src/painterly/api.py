"""The one-call Python API: ``painterly.stylize(photo, style)`` → PIL image."""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

import torch
from PIL import Image

from ._settings import build_settings
from .image_io import open_image
from .methods.base import ProgressCallback, get_method

__all__ = ["ImageSource", "stylize"]

ImageSource = str | os.PathLike[str] | Image.Image


def _as_image(source: ImageSource, label: str) -> Image.Image:
    return source if isinstance(source, Image.Image) else open_image(source, label=label)


def stylize(
    content: ImageSource,
    styles: ImageSource | Sequence[ImageSource] = (),
    *,
    method: str = "optimize",
    style_weights: Sequence[float] | None = None,
    callback: ProgressCallback | None = None,
    device: torch.device | str = "cpu",
    **settings: Any,
) -> Image.Image:
    """Stylize a photo with one or more style images.

    Args:
        content: the photo, as a path or a PIL image.
        styles: one style (path or PIL image) or several, mixed with ``style_weights``; none for
            methods whose styles are trained in (``method="feedforward", model="hokusai_wave"``).
        method: a registered method name (``painterly.list_methods()``).
        style_weights: one weight αᵢ ≥ 0 per style; normalized to sum to 1. Default: equal.
        callback: receives a ``ProgressEvent`` per step (the library itself never prints).
        device: where to compute; CPU by default.
        **settings: fields of the method's settings dataclass, e.g. ``size=512, quality="draft"``.

    Returns:
        The stylized image, RGB, its long side equal to the ``size`` setting.

    Raises:
        PainterlyError: unreadable images, unknown method or setting, values out of range.

    Example:
        >>> import painterly
        >>> result = painterly.stylize("photo.jpg", "painting.jpg", size=256)  # doctest: +SKIP
        >>> result.save("out.png")  # doctest: +SKIP
    """
    stylizer_class = get_method(method)
    stylizer = stylizer_class(build_settings(stylizer_class.Settings, settings), device=device)
    style_list = [styles] if isinstance(styles, (str, os.PathLike, Image.Image)) else list(styles)
    photo = _as_image(content, "photo")
    style_images = [_as_image(style, "style image") for style in style_list]
    return stylizer.stylize(photo, style_images, style_weights=style_weights, callback=callback)
