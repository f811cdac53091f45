"""The one-call Python API: ``painterly.stylize(photo, style)`` → PIL image, on top of ``painterly.load``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch

from .inputs import ImageInput
from .loading import load
from .progress import ProgressCallback

__all__ = ["ImageInput", "stylize"]


def stylize(
    content: ImageInput,
    styles: ImageInput | Sequence[ImageInput] = (),
    *,
    method: str = "optimize",
    style_weights: Sequence[float] | None = None,
    callback: ProgressCallback | None = None,
    device: torch.device | str = "cpu",
    **settings: Any,
) -> Any:
    """Stylize a photo with one or more style images, in one call.

    Loads the method once per process (``painterly.load``) and calls it; for many photos, load
    once yourself and call the stylizer.

    Args:
        content: the photo: a path, PIL image, bytes, ``H×W×3`` array or ``3×H×W`` tensor.
        styles: one style or several, mixed with ``style_weights``; none for methods whose styles
            are trained in (``method="feedforward", model="hokusai_wave"``).
        method: a registered method name (``painterly.list_methods()``).
        style_weights: one weight αᵢ ≥ 0 per style; normalized to sum to 1. Default: equal.
        callback: receives a ``ProgressEvent`` per step (the library itself never prints).
        device: where to compute; CPU by default.
        **settings: fields of the method's settings, e.g. ``size=512, quality="draft"``, and
            ``output="tensor"`` or ``"numpy"`` for another result type.

    Returns:
        The stylized image (PIL RGB unless another ``output`` was asked for).

    Raises:
        PainterlyError: unreadable images, unknown method or setting, values out of range.

    Example:
        >>> import painterly
        >>> result = painterly.stylize("photo.jpg", "painting.jpg", size=256)  # doctest: +SKIP
        >>> result.save("out.png")  # doctest: +SKIP
    """
    output = settings.pop("output", "pil")
    stylizer = load(method, device=device, **settings)
    # One style or several: the stylizer's prepare_styles tells them apart, as for every other caller.
    return stylizer(content, styles, style_weights=style_weights, callback=callback, output=output)
