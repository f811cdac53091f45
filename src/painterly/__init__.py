"""painterly: turn photos into artworks with neural style transfer.

Example:
    >>> import painterly
    >>> painterly.stylize("photo.jpg", "painting.jpg", quality="draft").save("out.png")  # doctest: +SKIP
"""

from __future__ import annotations

__version__ = "0.1.0"

from .api import stylize
from .errors import ArgumentError, DeviceError, ImageError, OutputError, PainterlyError, WeightsError
from .image_io import load_image, save_image
from .methods.base import Cancelled, ProgressEvent, Stylizer, get_method, list_methods
from .weights import list_weights

__all__ = [
    "__version__",
    "stylize",
    "load_image",
    "save_image",
    "Stylizer",
    "ProgressEvent",
    "Cancelled",
    "get_method",
    "list_methods",
    "list_weights",
    "PainterlyError",
    "ImageError",
    "ArgumentError",
    "WeightsError",
    "DeviceError",
    "OutputError",
]
