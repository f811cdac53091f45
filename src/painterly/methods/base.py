"""The ``Stylizer`` interface every method implements, its progress events and registry.

The CLI, the web service, video and batch jobs all call methods through this interface
and nothing else, so a new method is one file that subclasses ``Stylizer`` and registers
itself with ``@register_method``.
"""

from __future__ import annotations

import abc
import dataclasses
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, TypeVar

import torch
from PIL import Image

from ..devices import make_device
from ..errors import ArgumentError
from ..image_io import check_image, fit_long_side
from ..losses.modules import normalize_weights
from ..memory import check_memory

__all__ = [
    "Cancelled",
    "ProgressCallback",
    "ProgressEvent",
    "Stylizer",
    "get_method",
    "list_methods",
    "register_method",
]


@dataclass(frozen=True)
class ProgressEvent:
    """One report from long work; the CLI draws it as a bar, the service streams it."""

    stage: str  # what is running, e.g. "scale 2/3 (362 px)"
    step: int  # steps done so far, over all stages
    total: int  # steps expected in all
    elapsed: float  # seconds since the work started
    fraction: float  # share of the work done, weighted by cost (a full-size step costs more)
    losses: dict[str, float] = field(default_factory=dict)  # named loss values at this step
    preview: Image.Image | None = None  # intermediate result, when one was asked for


ProgressCallback = Callable[[ProgressEvent], None]


class Cancelled(Exception):  # noqa: N818 (control flow, not an error)
    """Raised by a progress callback to stop a method between steps (the service's cancel)."""


class Stylizer(abc.ABC):
    """A way of turning a photo and one or more styles into a stylized image.

    Subclasses set ``name`` and ``Settings`` (a frozen dataclass whose fields the CLI and the
    service turn into options) and implement ``_stylize``; ``stylize`` checks the inputs for all.
    Heavy state (encoders, cached style statistics) is built in ``__init__`` and reused across calls.
    """

    name: ClassVar[str]
    Settings: ClassVar[type]
    summary: ClassVar[str] = ""
    needs_style_images: ClassVar[bool] = True  # False for trained models, whose styles are built in
    bytes_per_pixel: ClassVar[float] = 1000.0  # peak memory per result pixel, for the up-front memory check

    def __init__(self, settings: Any = None, *, device: torch.device | str = "cpu") -> None:
        self.settings = settings if settings is not None else self.Settings()
        if not isinstance(self.settings, self.Settings):
            raise ArgumentError(f"{self.name} takes {self.Settings.__name__}, got {type(self.settings).__name__}")
        self.device = make_device(device)

    @classmethod
    def result_size(cls, settings: Any, width: int, height: int) -> tuple[int, int]:
        """(width, height) of the result for a photo of that size: the ``size`` long side, or the photo's own."""
        size = getattr(settings, "size", None)
        return fit_long_side(width, height, size) if size else (width, height)

    @classmethod
    def check_fits(cls, settings: Any, width: int, height: int) -> None:
        """Refuse, before any work, a result that would not fit in the memory available now.

        Raises:
            ArgumentError: the estimate is over the available memory (``name="size"``).
        """
        out_width, out_height = cls.result_size(settings, width, height)
        what = f"a {out_width}×{out_height} result with method {cls.name}"
        check_memory(what, out_width * out_height, cls.bytes_per_pixel)

    def stylize(
        self,
        content: Image.Image,
        styles: Sequence[Image.Image],
        *,
        style_weights: Sequence[float] | None = None,
        callback: ProgressCallback | None = None,
    ) -> Image.Image:
        """Return ``content`` in the mixed style of ``styles``.

        Args:
            content: the photo.
            styles: one or more style images.
            style_weights: one αᵢ ≥ 0 per style, normalized to sum 1; default equal.
            callback: receives ``ProgressEvent`` s; may raise ``Cancelled`` to stop.

        Raises:
            ArgumentError: no style, weights that do not fit the styles, or a result too large for memory.
            ImageError: an image that is too small or too large.
        """
        content = check_image(content, label="photo")
        styles = [check_image(style, label="style image") for style in styles]
        self.check_fits(self.settings, *content.size)
        if not styles and self.needs_style_images:
            raise ArgumentError("give at least one style image", name="styles")
        if styles and not self.needs_style_images:
            raise ArgumentError(f"method {self.name} uses its model's styles; drop the style images", name="styles")
        weights = normalize_weights(style_weights, len(styles)) if styles else []
        return self._stylize(content, list(styles), weights, callback)

    @abc.abstractmethod
    def _stylize(
        self, content: Image.Image, styles: list[Image.Image], weights: list[float], callback: ProgressCallback | None
    ) -> Image.Image:
        """The method itself, with inputs already checked and weights normalized."""


StylizerType = TypeVar("StylizerType", bound=type[Stylizer])
_METHODS: dict[str, type[Stylizer]] = {}


def register_method(cls: StylizerType) -> StylizerType:
    """Class decorator: make a ``Stylizer`` findable by its ``name``."""
    if not dataclasses.is_dataclass(cls.Settings):
        raise TypeError(f"{cls.__name__}.Settings must be a dataclass")
    _METHODS[cls.name] = cls
    return cls


def get_method(name: str) -> type[Stylizer]:
    """The registered method called ``name``.

    Raises:
        ArgumentError: unknown name; the message lists the known ones.
    """
    _ensure_loaded()
    try:
        return _METHODS[name]
    except KeyError:
        raise ArgumentError(
            f"unknown method {name!r}; choose from {', '.join(sorted(_METHODS))}", name="method"
        ) from None


def list_methods() -> list[str]:
    """Names of all registered methods."""
    _ensure_loaded()
    return sorted(_METHODS)


def _ensure_loaded() -> None:
    from . import load_all  # the package imports this module, so import it only when asked

    load_all()
