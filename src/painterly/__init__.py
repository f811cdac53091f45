"""painterly: turn photos into artworks with neural style transfer.

Example:
    >>> import painterly
    >>> painterly.stylize("photo.jpg", "painting.jpg", quality="draft").save("out.png")  # doctest: +SKIP
    >>> stylizer = painterly.load("feedforward", model="hokusai_wave")  # load once …  # doctest: +SKIP
    >>> for path in photos:  # … call many times  # doctest: +SKIP
    ...     stylizer(path, strength=0.8).save(f"styled-{path}")  # doctest: +SKIP
"""

from __future__ import annotations

__version__ = "0.1.0"

from .api import stylize
from .errors import ArgumentError, DeviceError, ImageError, OutputError, PainterlyError, WeightsError
from .image_io import load_image, save_image
from .loading import load
from .methods.base import PreparedStyles, Stylizer, get_method, list_methods
from .models import list_models
from .progress import Cancelled, ProgressEvent
from .weights import list_weights

__all__ = [
    "ArgumentError",
    "Cancelled",
    "DeviceError",
    "ImageError",
    "OutputError",
    "PainterlyError",
    "PreparedStyles",
    "ProgressEvent",
    "Stylizer",
    "WeightsError",
    "__version__",
    "get_method",
    "list_methods",
    "list_models",
    "list_weights",
    "load",
    "load_image",
    "save_image",
    "stylize",
]
