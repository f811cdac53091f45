"""The ``Stylizer`` interface every method implements, the shared pipeline around it, and the registry.

A stylizer is loaded once (``painterly.load``) and called many times. Around each method's
tensor core (``_run``: padded ``(B, 3, H, W)`` in [0, 1] in, the same out) this module runs
the pipeline every method shares, written once: any input form to tensors, the result size,
style strength (0 returns the photo), colour preservation, padding to what the network needs
and cropping back, progress, and the conversion to the output the caller asked for. The
CLI, the service, video, batch and tiling all call ``__call__`` or ``stylize_tensor``.

A new method is one file in this package: a settings dataclass, a ``Stylizer`` subclass with
``_run``, and ``@register_method``; it is found without being listed anywhere.
"""

from __future__ import annotations

import abc
import copy
import dataclasses
import hashlib
import logging
import pkgutil
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar, TypeVar

import torch
import torch.nn.functional as F

from .. import color
from .._settings import setting_fields
from ..devices import make_device
from ..errors import ArgumentError
from ..image_io import fit_long_side, resize_tensor
from ..inputs import ImageInput, Output, as_batch, from_batch
from ..losses.modules import normalize_weights
from ..memory import check_memory
from ..padding import crop_to, pad_to_multiple
from ..progress import Cancelled as Cancelled
from ..progress import ProgressCallback, ProgressEvent
from ..tiling import DEFAULT_OVERLAP, THUMBNAIL_SIDE, TILE_BUDGET, Box, blend_tiles, plan_tiles, thumbnail, tile_side

logger = logging.getLogger(__name__)

__all__ = [
    "Cancelled",
    "CommonSettings",
    "LoadSpec",
    "PreparedStyles",
    "Progress",
    "ProgressCallback",
    "ProgressEvent",
    "StyleImage",
    "Stylizer",
    "TemporalGuide",
    "get_method",
    "list_methods",
    "register_method",
]


@dataclass(frozen=True)
class LoadSpec:
    """What a stylizer loaded: the cache key of ``painterly.load`` (method, load-time settings, device,
    and the identity — path, size, time — of each file loaded, so an edited or shadowed model is reloaded)."""

    method: str
    values: tuple[tuple[str, Any], ...]
    device: str
    files: tuple[tuple[str, int, int], ...] = ()


@dataclass(frozen=True)
class StyleImage:
    """One style image as a ``(1, 3, h, w)`` tensor; ``key`` identifies it for caches (``None``: do not cache)."""

    image: torch.Tensor
    key: str | None


@dataclass(frozen=True)
class PreparedStyles:
    """Style images checked and converted once, with their normalized weights; reusable across calls."""

    images: tuple[StyleImage, ...]
    weights: tuple[float, ...]


@dataclass(frozen=True)
class TemporalGuide:
    """The previous video frame's result carried onto this frame along the optical flow (``painterly.video``).

    Methods with ``temporal_loss`` start from it and add Ruder et al.'s (2016) temporal loss, the
    mean of ``confidence · (result − previous)²`` (weighted by their own setting); one-pass methods
    are blended with it by the video pipeline instead.
    """

    previous: torch.Tensor  # (1, 3, H, W) in [0, 1] at the result size
    confidence: torch.Tensor  # (1, 1, H, W) in [0, 1]: where the previous frame was visible and the flow trusted


MIN_TILE = 64  # one-pass methods further need more than twice their overlap (checked by tile_size)


@dataclass(frozen=True)
class CommonSettings:
    """Per-call settings every method shares; each method's settings dataclass extends this one."""

    strength: float = 1.0  # style strength: 0 returns the photo, 1 the method's full style
    preserve_color: color.ColorMode = "none"  # keep the photo's colours: luminance or histogram
    tile: int = 0  # tile side in px for results too large to run whole (0: from free memory; -1: never tile)

    def __post_init__(self) -> None:
        if not (isinstance(self.tile, int) and (self.tile in (0, -1) or self.tile >= MIN_TILE)):
            raise ArgumentError(f"tile must be 0 (automatic), -1 (never) or ≥ {MIN_TILE} px, got {self.tile!r}",
                                name="tile")  # fmt: skip
        if not (isinstance(self.strength, (int, float)) and 0.0 <= self.strength <= 1.0):
            raise ArgumentError(f"strength must be within 0..1, got {self.strength!r}", name="strength")
        if self.preserve_color not in color.COLOR_MODES:
            raise ArgumentError(
                f"preserve_color must be one of {', '.join(color.COLOR_MODES)}, got {self.preserve_color!r}",
                name="preserve_color",
            )


FULL_SIZE_BYTES = 64.0  # bytes per result pixel a tiled run keeps whole: photo, output, weights, copies


def _tensor_key(tensor: torch.Tensor) -> str:
    return hashlib.sha1(tensor.detach().cpu().contiguous().numpy().tobytes()).hexdigest() + str(tuple(tensor.shape))


class Progress:
    """Turns a method's per-item reports into monotone events over a whole batch, and carries cancellation."""

    def __init__(self, callback: ProgressCallback | None, items: int, steps_per_item: int) -> None:
        self.callback, self.items, self.steps_per_item = callback, items, steps_per_item
        self.item, self.span, self.started, self.last = 0, 1, time.perf_counter(), 0.0

    def start(self, group: slice, items: int) -> None:
        """The core now works on ``group`` of the batch (one photo, or all of them at once)."""
        self.item, self.span = group.start or 0, len(range(items)[group])

    def report(self, stage: str, step: int, fraction: float, losses: dict[str, float] | None = None,
               preview: Any = None) -> None:  # fmt: skip
        """``step`` and ``fraction`` within the current group; raises ``Cancelled`` if the listener asks."""
        if self.callback is None:
            return
        overall = max(self.last, min(1.0, (self.item + self.span * min(1.0, fraction)) / self.items))
        self.last = overall
        label = stage if self.span == self.items else f"image {self.item + 1}/{self.items}: {stage}"
        done = (self.item + (self.span - 1)) * self.steps_per_item + step
        self.callback(ProgressEvent(label, done, self.items * self.steps_per_item, time.perf_counter() - self.started,
                                    overall, losses or {}, preview))  # fmt: skip


class Stylizer(abc.ABC):
    """A loaded way of turning photos and styles into stylized images; call it many times.

    Subclasses set ``name`` and ``Settings`` (a frozen dataclass whose fields the CLI, the service
    and ``painterly.load`` turn into options; fields marked ``stage="load"`` are what is loaded)
    and implement ``_run``. Heavy state is built in ``__init__`` and reused across calls.
    """

    name: ClassVar[str]
    Settings: ClassVar[type]
    summary: ClassVar[str] = ""
    needs_style_images: ClassVar[bool] = True  # False for trained models, whose styles are built in
    bytes_per_pixel: ClassVar[float] = 1000.0  # peak memory per result pixel, for the up-front memory check
    pad_multiple: ClassVar[int] = 1  # the core needs sides divisible by this …
    pad_minimum: ClassVar[int] = 0  # … and at least this long
    margin: int = 0  # reflected pixels added on every side before the core and cropped after (a model's own)
    supports_masks: ClassVar[bool] = False  # per-pixel style maps
    maps_strength: ClassVar[bool] = False  # the core turns ``strength`` into its own knob (else: a pixel blend)
    batched: ClassVar[bool] = True  # the core takes several photos in one call (else: one at a time)
    tiles: ClassVar[bool] = False  # the core can run tile by tile with global statistics frozen (one-pass methods)
    tile_overlap: ClassVar[int] = DEFAULT_OVERLAP  # px neighbouring tiles share: about the core's receptive field
    thumbnail_side: ClassVar[int] = THUMBNAIL_SIDE  # long side at which tiles' global statistics are taken
    temporal_loss: ClassVar[bool] = False  # the core takes a ``TemporalGuide`` into its objective (video)
    video_blend: ClassVar[float] = 0.4  # video: share of the previous result carried along the flow (one-pass)
    real_time: ClassVar[bool] = False  # a 640×360 frame in tens of milliseconds on a CPU (video runs share cores)

    def __init__(self, settings: Any = None, *, device: torch.device | str = "cpu") -> None:
        self.settings = settings if settings is not None else self.Settings()
        if not isinstance(self.settings, self.Settings):
            raise ArgumentError(f"{self.name} takes {self.Settings.__name__}, got {type(self.settings).__name__}")
        self.device = make_device(device)
        self._lock = threading.Lock()  # guards caches when service workers share one stylizer

    # -- what is loaded and what varies per call

    @classmethod
    def load_time_names(cls) -> set[str]:
        return {field.name for field in setting_fields(cls.Settings) if field.stage == "load"}

    @classmethod
    def load_spec(cls, settings: Any, device: torch.device | str) -> LoadSpec:
        names = cls.load_time_names()
        values = tuple(sorted((n, v) for n, v in dataclasses.asdict(settings).items() if n in names))
        files = tuple((str(path), path.stat().st_size, path.stat().st_mtime_ns) for path in cls.files(settings))
        return LoadSpec(cls.name, values, str(device), files)

    @property
    def spec(self) -> LoadSpec:
        return self.load_spec(self.settings, self.device)

    def with_options(self, **options: Any) -> Stylizer:
        """The same loaded stylizer with other per-call defaults (nothing is reloaded or copied deeply).

        Raises:
            ArgumentError: an unknown option, a load-time setting, or a value the method refuses.
        """
        from .._settings import build_settings

        loaded = sorted(set(options) & self.load_time_names())
        if loaded:
            raise ArgumentError(f"{', '.join(loaded)} is chosen when loading: painterly.load({self.name!r}, "
                                f"{loaded[0]}=…)", name=loaded[0])  # fmt: skip
        current = {f.name: getattr(self.settings, f.name) for f in dataclasses.fields(self.settings)}
        view = copy.copy(self)
        view.settings = build_settings(self.Settings, {**current, **options})
        return view

    @classmethod
    def files(cls, settings: Any) -> list[Path]:
        """Files a stylizer with these settings loads (models, decoders), so caches notice when they change."""
        return []

    # -- sizes, memory and work

    @classmethod
    def result_size(cls, settings: Any, width: int, height: int) -> tuple[int, int]:
        """(width, height) of the result for a photo of that size: the ``size`` long side, or the photo's own."""
        size = getattr(settings, "size", None)
        return fit_long_side(width, height, size) if size else (width, height)

    @classmethod
    def enlargement(cls, settings: Any, width: int, height: int) -> float:
        """How many times larger (long side) the result is than the photo; 1.0 when it is not larger.

        Enlarging adds no detail; it is done when asked for (a ``size`` above the photo's) but never
        silently: the pipeline logs a warning and a PIL result records ``info["enlarged_from"]``.
        """
        out_width, out_height = cls.result_size(settings, width, height)
        return max(1.0, max(out_width, out_height) / max(width, height))

    @classmethod
    def check_fits(cls, settings: Any, width: int, height: int) -> None:
        """Refuse, before any work, a result that would not fit in the memory available now.

        Raises:
            ArgumentError: the estimate is over the available memory (``name="size"``).
        """
        out_width, out_height = cls.result_size(settings, width, height)
        what = f"a {out_width}×{out_height} result with method {cls.name}"
        check_memory(what, out_width * out_height, cls.peak_bytes_per_pixel(settings, out_width, out_height))

    @classmethod
    def tile_size(cls, settings: Any, width: int, height: int) -> int | None:
        """The tile side for a result of this size, or None to run it whole (it fits, or tiling is off)."""
        if not cls.tiles or settings.tile < 0:
            return None
        if settings.tile:
            if settings.tile <= 2 * cls.tile_overlap:
                raise ArgumentError(f"tile {settings.tile} px is too small for method {cls.name}: give more than "
                                    f"{2 * cls.tile_overlap} px (twice its tile overlap), or 0 for automatic",
                                    name="tile")  # fmt: skip
            return settings.tile if max(width, height) > settings.tile else None
        if width * height * cls.bytes_per_pixel <= TILE_BUDGET:
            return None
        return tile_side(cls.bytes_per_pixel, multiple=max(8, cls.pad_multiple))

    @classmethod
    def peak_bytes_per_pixel(cls, settings: Any, width: int, height: int) -> float:
        """Peak memory per result pixel: the method's own when run whole; whole-image buffers plus one tile's
        work spread over the image when tiled."""
        side = cls.tile_size(settings, width, height)
        if side is None:
            return cls.bytes_per_pixel
        return FULL_SIZE_BYTES + cls.bytes_per_pixel * min(1.0, side * side / (width * height))

    @classmethod
    def total_steps(cls, settings: Any) -> int:
        """Progress steps one image takes (iterations for optimization, 1 for one-pass methods)."""
        return 1

    # -- styles

    def prepare_styles(self, styles: Sequence[ImageInput] | ImageInput | PreparedStyles = (),
                       style_weights: Sequence[float] | None = None) -> PreparedStyles:  # fmt: skip
        """Check and convert style images once, for reuse across many calls.

        Raises:
            ArgumentError: styles given to a method whose styles are trained in, none given to one
                that needs them, or weights that do not fit.
        """
        if isinstance(styles, PreparedStyles):
            return styles
        if isinstance(styles, (str, bytes)) or not isinstance(styles, Sequence):
            styles = [styles]
        if not styles and self.needs_style_images:
            raise ArgumentError("give at least one style image", name="styles")
        if styles and not self.needs_style_images:
            raise ArgumentError(f"method {self.name} uses its model's styles; drop the style images", name="styles")
        tensors = [as_batch(style, label="style image") for style in styles]  # type: ignore[arg-type]
        if any(tensor.shape[0] != 1 for tensor in tensors):
            raise ArgumentError("give each style as one image, not a batch", name="styles")
        images = tuple(StyleImage(tensor, _tensor_key(tensor)) for tensor in tensors)
        weights = tuple(normalize_weights(style_weights, len(images))) if images else ()
        return PreparedStyles(images, weights)

    # -- the pipeline

    def __call__(
        self,
        photo: ImageInput,
        styles: Sequence[ImageInput] | ImageInput | PreparedStyles = (),
        *,
        style_weights: Sequence[float] | None = None,
        callback: ProgressCallback | None = None,
        init: torch.Tensor | None = None,
        masks: torch.Tensor | None = None,
        output: Output = "pil",
        **options: Any,
    ) -> Any:
        """Stylize a photo (or a batch tensor) with ``styles``; ``options`` override per-call settings.

        Args:
            photo: a path, PIL image, bytes, ``H×W×3`` array, or ``(B,) 3×H×W`` tensor in [0, 1].
            styles: style images in any of those forms, or ``prepare_styles(...)``'s result; none
                for trained-model methods.
            style_weights: one weight ≥ 0 per style, normalized; default equal.
            callback: receives ``ProgressEvent`` s; may raise ``Cancelled`` to stop.
            init: a start image for methods that optimize (e.g. the previous video frame).
            masks: ``(B, K, H, W)`` per-pixel weights of the K styles (methods with ``supports_masks``).
            output: ``"pil"`` (default), ``"tensor"`` or ``"numpy"``.

        Returns:
            The result in the requested form (a list for a batch of several).

        Raises:
            PainterlyError: unreadable or unsuitable images, bad options, a result too large for memory.
        """
        stylizer = self.with_options(**options) if options else self
        batch = as_batch(photo, label="photo")
        prepared = self.prepare_styles(styles, style_weights)
        stylizer.check_fits(stylizer.settings, batch.shape[-1], batch.shape[-2])
        result = stylizer.stylize_tensor(batch, prepared, init=init, masks=masks, callback=callback)
        converted = from_batch(result, output)
        if output == "pil" and stylizer.enlargement(stylizer.settings, batch.shape[-1], batch.shape[-2]) > 1:
            for image in converted if isinstance(converted, list) else [converted]:
                image.info["enlarged_from"] = f"{batch.shape[-1]}x{batch.shape[-2]}"
        return converted

    def stylize(
        self,
        content: ImageInput,
        styles: Sequence[ImageInput] = (),
        *,
        style_weights: Sequence[float] | None = None,
        callback: ProgressCallback | None = None,
    ) -> Any:
        """``__call__`` with a PIL result: the interface of earlier versions."""
        return self(content, list(styles), style_weights=style_weights, callback=callback)

    def stylize_tensor(
        self,
        photos: torch.Tensor,
        styles: PreparedStyles,
        *,
        init: torch.Tensor | None = None,
        masks: torch.Tensor | None = None,
        callback: ProgressCallback | None = None,
        temporal: TemporalGuide | None = None,
    ) -> torch.Tensor:
        """The shared pipeline on tensors: ``(B, 3, H, W)`` photos in [0, 1] → results at the result size.

        ``temporal``: for one video frame, the previous frame's result (methods with ``temporal_loss``).
        """
        settings = self.settings
        if temporal is not None and not self.temporal_loss:
            raise ArgumentError(f"method {self.name} takes no temporal guide; blend its frames instead",
                                name="temporal")  # fmt: skip
        photos = photos.to(self.device)
        width, height = self.result_size(settings, photos.shape[-1], photos.shape[-2])
        factor = self.enlargement(settings, photos.shape[-1], photos.shape[-2])
        if factor > 1:
            logger.warning("the photo is %d×%d and the result %d×%d: enlarged %.1f× (size original keeps the photo's "
                           "size)", photos.shape[-1], photos.shape[-2], width, height, factor)  # fmt: skip
        photos = resize_tensor(photos, (height, width))
        progress = Progress(callback, photos.shape[0], self.total_steps(settings))
        masks = masks if masks is not None else self._default_masks(photos, self._style_count(styles))
        if masks is not None:
            self._check_masks(masks, photos, styles)
        if settings.strength == 0:  # the photo itself, exactly, at no cost
            progress.start(slice(None), photos.shape[0])
            progress.report(self.name, self.total_steps(settings), 1.0)
            return photos.clone()
        mode = settings.preserve_color
        per_photo = not self.batched or (mode != "none" and self.needs_style_images)
        groups = [slice(i, i + 1) for i in range(photos.shape[0])] if per_photo else [slice(None)]
        results = []
        for group in groups:
            progress.start(group, photos.shape[0])
            results.append(self._run_group(photos[group], styles, mode, _part(init, group), _part(masks, group),
                                           progress, temporal))  # fmt: skip
        return (results[0] if len(results) == 1 else torch.cat(results)).clamp_(0, 1)

    def _run_group(self, photos: torch.Tensor, styles: PreparedStyles, mode: str, init: torch.Tensor | None,
                   masks: torch.Tensor | None, progress: Progress, temporal: TemporalGuide | None = None
                   ) -> torch.Tensor:  # fmt: skip
        content = color.grey(photos) if mode == "luminance" and self.needs_style_images else photos
        style_images = [self._colour_style(style, content, mode) for style in styles.images]
        size = tuple(content.shape[-2:])
        padded = self._pad(content)
        extra: dict[str, Any] = {
            "init": self._padded_like(init, padded, size),
            "masks": self._padded_like(masks, padded, size),
        }
        if temporal is not None:
            previous, confidence = (self._padded_like(part, padded, size)
                                    for part in (temporal.previous, temporal.confidence))  # fmt: skip
            assert previous is not None and confidence is not None
            extra["temporal"] = TemporalGuide(previous, confidence)
        weights = list(styles.weights)
        side = self.tile_size(self.settings, padded.shape[-1], padded.shape[-2])
        if side is None:
            output = self._run(padded, style_images, weights, progress=progress, **extra)
        else:
            output = self._run_tiled(padded, style_images, weights, extra["masks"], progress, side)
        output = self._finish(crop_to(output, content, margin=self.margin), style_images, weights, masks)
        if mode == "luminance":
            output = color.restore_chroma(output, photos)
        elif mode == "histogram" and not self.needs_style_images:
            output = color.match_color(output, photos)
        strength = self.settings.strength
        if strength < 1 and not self.maps_strength:
            output = strength * output + (1 - strength) * photos
        return output

    def _pad(self, image: torch.Tensor) -> torch.Tensor:
        return pad_to_multiple(image, self.pad_multiple, minimum=self.pad_minimum, margin=self.margin)

    def _padded_like(self, tensor: torch.Tensor | None, padded: torch.Tensor, size: tuple[int, ...]
                     ) -> torch.Tensor | None:  # fmt: skip
        """An init image or mask brought to the content's ``size``, then padded like it."""
        if tensor is None:
            return None
        tensor = tensor.to(padded.device, torch.float32)
        if tuple(tensor.shape[-2:]) != size:
            tensor = F.interpolate(tensor, size=size, mode="bilinear", align_corners=False)
        return self._pad(tensor)

    def _run_tiled(self, content: torch.Tensor, styles: list[StyleImage], weights: list[float],
                   masks: torch.Tensor | None, progress: Progress, side: int) -> torch.Tensor:  # fmt: skip
        """``_run`` tile by tile, with the statistics the core normalizes by taken once from a thumbnail."""
        multiple, minimum = max(8, self.pad_multiple), self.pad_minimum
        small = thumbnail(content, side=self.thumbnail_side, multiple=multiple, minimum=minimum)
        small_masks = None if masks is None else F.interpolate(masks, size=small.shape[-2:], mode="bilinear",
                                                                 align_corners=False, antialias=True)  # fmt: skip
        frozen = self._global_statistics(small, styles, weights, small_masks)
        quiet = Progress(None, 1, 1)

        def run(tile: torch.Tensor, box: Box) -> torch.Tensor:
            tile_masks = None if masks is None else box.of(masks)
            return self._run(tile, styles, weights, init=None, masks=tile_masks, progress=quiet, frozen=frozen)

        def on_tile(done: int, count: int) -> None:
            progress.report(f"{self.name}: tile {done}/{count}", int(done == count), done / count)

        boxes = plan_tiles(content.shape[-2], content.shape[-1], side, self.tile_overlap, multiple)
        return blend_tiles(content, run, boxes, overlap=self.tile_overlap, on_tile=on_tile)

    def _global_statistics(self, thumbnail: torch.Tensor, styles: list[StyleImage], weights: list[float],
                           masks: torch.Tensor | None) -> Any:  # fmt: skip
        """What the core normalizes by over the whole image, measured on its thumbnail (methods with ``tiles``)."""
        raise NotImplementedError(f"method {self.name} does not run in tiles")

    def _finish(self, output: torch.Tensor, styles: list[StyleImage], weights: list[float],
                masks: torch.Tensor | None) -> torch.Tensor:  # fmt: skip
        """A last step on the whole result (after tiles are joined); nothing by default."""
        return output

    def _style_count(self, styles: PreparedStyles) -> int:
        """How many styles a mask chooses between (a trained model counts its own)."""
        return len(styles.images)

    def _default_masks(self, photos: torch.Tensor, count: int) -> torch.Tensor | None:
        """Masks a method derives from its own settings (e.g. a mask image); none by default."""
        return None

    def _check_masks(self, masks: torch.Tensor, photos: torch.Tensor, styles: PreparedStyles) -> None:
        if not self.supports_masks:
            raise ArgumentError(f"method {self.name} does not take style masks", name="masks")
        count = self._style_count(styles)
        if masks.dim() != 4 or masks.shape[1] != count or masks.shape[0] not in (1, photos.shape[0]):
            raise ArgumentError(f"masks must be (B, {count}, H, W), one map per style; got {tuple(masks.shape)}",
                                name="masks")  # fmt: skip

    @staticmethod
    def _colour_style(style: StyleImage, content: torch.Tensor, mode: str) -> StyleImage:
        """Style images recoloured to the photo when its colours are to be kept (then not cacheable)."""
        image = style.image.to(content.device)
        if mode == "luminance":
            return StyleImage(color.luminance_style(image, content), None)
        if mode == "histogram":
            return StyleImage(color.match_color(image, content), None)
        return StyleImage(image, style.key)

    @abc.abstractmethod
    def _run(self, content: torch.Tensor, styles: list[StyleImage], weights: list[float], *,
             init: torch.Tensor | None, masks: torch.Tensor | None, progress: Progress,
             frozen: Any = None) -> torch.Tensor:  # fmt: skip
        """The method itself: padded ``(B, 3, H, W)`` content → same-size result, reporting to ``progress``.

        ``frozen``: for a tile, ``_global_statistics`` of the whole image, to use instead of the tile's own.
        """


def _part(tensor: torch.Tensor | None, group: slice) -> torch.Tensor | None:
    """The group's rows of a per-photo tensor; a tensor of one row applies to every photo."""
    if tensor is None:
        return None
    return tensor if tensor.shape[0] == 1 else tensor[group]


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
    _discover()
    try:
        return _METHODS[name]
    except KeyError:
        raise ArgumentError(
            f"unknown method {name!r}; choose from {', '.join(sorted(_METHODS))}", name="method"
        ) from None


def list_methods() -> list[str]:
    """Names of all registered methods."""
    _discover()
    return sorted(_METHODS)


_discovered = False


def _discover() -> None:
    """Import every public module of this package once: each registers its method (nothing is listed by hand)."""
    global _discovered
    if _discovered:
        return
    import importlib

    from .. import methods

    for module in pkgutil.iter_modules(methods.__path__):
        if not module.name.startswith("_") and module.name != "base":
            importlib.import_module(f"{methods.__name__}.{module.name}")
    _discovered = True
