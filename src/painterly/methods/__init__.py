"""Stylization methods, each one file registered by name (see ``base.register_method``).

Methods are found by importing every public module of this package on first use
(``base._discover``), so adding a method is adding its file.
"""

from __future__ import annotations

from .base import Cancelled as Cancelled
from .base import ProgressCallback as ProgressCallback
from .base import ProgressEvent as ProgressEvent
from .base import Stylizer as Stylizer
from .base import get_method as get_method
from .base import list_methods as list_methods
from .base import register_method as register_method

__all__ = ["Cancelled", "ProgressCallback", "ProgressEvent", "Stylizer", "get_method", "list_methods",
           "register_method"]  # fmt: skip
