"""Stylization methods, each one file registered by name (see ``base.register_method``)."""

from __future__ import annotations

import importlib

from .base import Cancelled as Cancelled
from .base import ProgressCallback as ProgressCallback
from .base import ProgressEvent as ProgressEvent
from .base import Stylizer as Stylizer
from .base import get_method as get_method
from .base import list_methods as list_methods
from .base import register_method as register_method

__all__ = [
    "METHOD_MODULES",
    "Cancelled",
    "ProgressCallback",
    "ProgressEvent",
    "Stylizer",
    "get_method",
    "list_methods",
    "load_all",
    "register_method",
]  # fmt: skip

# Modules that register a method when imported; importing them lazily keeps `painterly --help` fast.
METHOD_MODULES: tuple[str, ...] = ("optimize", "adain", "feedforward")


def load_all() -> None:
    """Import every method module so that all methods are registered."""
    for module in METHOD_MODULES:
        importlib.import_module(f"{__name__}.{module}")
