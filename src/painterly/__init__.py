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
    "ArgumentError",
    "Cancelled",
    "DeviceError",
    "ImageError",
    "OutputError",
    "PainterlyError",
    "ProgressEvent",
    "Stylizer",
    "WeightsError",
    "__version__",
    "get_method",
    "list_methods",
    "list_weights",
    "load_image",
    "save_image",
    "stylize",
]
