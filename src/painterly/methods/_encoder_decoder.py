"""The base of arbitrary-style methods: encode the photo, transform its features, decode.

VGG19 to ``relu4_1`` encodes the photo; each style is summarized by its features' statistics
(cached per painting); a feature transform gives the photo's features those statistics —
several styles mixed by weights or per-pixel masks — and a trained decoder paints the
result at the photo's full resolution. A method on this base is a settings class and two
functions from ``painterly.transforms``: AdaIN (``adain.py``) and WCT (``wct.py``) are each a
few lines.
"""

from __future__ import annotations

import dataclasses
import logging
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import torch
import torch.nn.functional as F
from PIL import Image

from .. import color
from .._layout import channels_last
from .._settings import role
from ..encoders import get_encoder
from ..encoders.vgg import VGG19Encoder
from ..errors import ArgumentError, WeightsError
from ..image_io import MIN_SIDE, image_to_tensor, open_image, resize_tensor
from ..model_files import load_into
from ..models import bundled_models_dir, resolve_model
from ..nets.adain import AdaINDecoder
from ..precision import PRECISIONS, Precision, encoder_autocast, resolve_precision
from ..progress import ProgressCallback, ProgressEvent
from ..tiling import Box, blend_tiles, core_boxes, plan_tiles
from ..transforms import Statistics, mix
from .base import CommonSettings, PreparedStyles, Progress, StyleImage, Stylizer, TemporalGuide

__all__ = [
    "BUNDLED_DECODER",
    "DECODER_KIND",
    "EncoderDecoderSettings",
    "EncoderDecoderStylizer",
    "decoder_path",
    "region_weights",
]

logger = logging.getLogger(__name__)

BUNDLED_DECODER = "bundled"
DECODER_KIND = "adain-decoder"
_BUNDLED_NAME = "adain_decoder"  # in painterly/assets/models, so `painterly models` lists it
_STYLE_CACHE_SIZE = 32
_LAYER = "relu4_1"


@dataclass(frozen=True)
class EncoderDecoderSettings(CommonSettings):
    """Settings shared by the encoder–decoder methods; ``strength`` scales ``alpha``."""

    alpha: float = 1.0  # content–style trade-off in feature space: 0 keeps the photo's features, 1 the style's
    size: int | None = role(None, "size")  # long side of the result; None: the photo's own size
    style_size: int = role(512, "size")  # long side at which each style image is analysed
    mask: str | None = role(None, "path")  # image choosing styles by brightness: black → first … white → last
    style_colors: bool = True  # give the result the painting's palette (RGB mean and covariance); false: the network's
    refine: int = (
        0  # then N full-size L-BFGS steps of the Gatys objective from this result (0: none; ~1 s each at 512 px)
    )
    decoder: str = role(
        BUNDLED_DECODER, "model", stage="load", safe_values=(BUNDLED_DECODER,), model_kind=DECODER_KIND
    )  # "bundled", a decoder's model name, or a decoder.safetensors path
    precision: Precision = role("auto", stage="load")  # number format; auto: bfloat16 where the CPU has it natively

    def __post_init__(self) -> None:
        super().__post_init__()
        if not (0.0 <= self.alpha <= 1.0):
            raise ArgumentError(f"alpha must be within 0..1, got {self.alpha}", name="alpha")
        if self.size is not None and self.size < MIN_SIDE:
            raise ArgumentError(f"size must be ≥ {MIN_SIDE}, got {self.size}", name="size")
        if self.style_size < MIN_SIDE:
            raise ArgumentError(f"style_size must be ≥ {MIN_SIDE}, got {self.style_size}", name="style_size")
        if self.precision not in PRECISIONS:
            raise ArgumentError(f"precision must be one of {', '.join(PRECISIONS)}", name="precision")
        if not isinstance(self.refine, int) or not 0 <= self.refine <= 1000:
            raise ArgumentError(f"refine must be a whole number of steps within 0..1000, got {self.refine!r}",
                                name="refine")  # fmt: skip


def decoder_path(name: str) -> Path:
    """A decoder by name (``bundled``, or one in ``PAINTERLY_HOME/models``) or by path."""
    if name != BUNDLED_DECODER:
        return resolve_model(name, DECODER_KIND)
    path = bundled_models_dir() / f"{_BUNDLED_NAME}.safetensors"
    if not path.is_file():
        raise WeightsError(
            "this install has no bundled AdaIN decoder; train one with `painterly train-decoder` "
            "and pass --decoder runs/…/decoder.safetensors"
        )
    return path


def region_weights(mask: torch.Tensor, size: torch.Size | tuple[int, ...], count: int) -> list[torch.Tensor]:
    """Per-style weight maps at ``size`` from mask brightness: black → first style, white → last.

    Neighbouring styles blend linearly in between, and the maps always sum to 1.
    """
    grey = F.interpolate(mask, size=tuple(size), mode="bilinear", align_corners=False, antialias=True)
    if count == 1:
        return [torch.ones_like(grey)]
    position = grey.clamp(0, 1) * (count - 1)
    return [(1 - (position - index).abs()).clamp_min(0) for index in range(count)]


class EncoderDecoderStylizer(Stylizer):
    """Encode, transform the features toward the style(s), decode: any painting in one pass."""

    # Its frames flicker more than a trained network's and its texture survives mixing better
    # (bench/results/video.md): a larger share of the carried frame.
    video_blend = 0.55
    bytes_per_pixel = 800.0  # measured ≈ 710 B/px at 2048×1536 (encoder to relu4_1 and decoder)
    pad_multiple = 8  # relu4_1 is at 1/8 scale …
    pad_minimum = 16  # … and the decoder reflection-pads it by 1, so it needs ≥ 2 px there
    supports_masks = True
    maps_strength = True  # strength scales alpha
    tiles = True  # the encoder and decoder are local; the transform's content statistics are taken on the whole map
    tile_overlap = 128  # VGG to relu4_1 and the decoder see ≈ 100 px: at 64 px tiles differed by up to 0.08
    transform: ClassVar[Callable[..., torch.Tensor]]  # features, *statistics → features
    statistics: ClassVar[Callable[..., Statistics]]  # a style's features → its statistics
    content_statistics: ClassVar[Callable[..., Statistics]]  # what the transform normalizes the content by
    settings: EncoderDecoderSettings

    def __init__(
        self,
        settings: EncoderDecoderSettings | None = None,
        *,
        device: torch.device | str = "cpu",
        encoder: VGG19Encoder | None = None,
        decoder: torch.nn.Module | None = None,
    ) -> None:
        super().__init__(settings, device=device)
        self.encoder = (encoder or get_encoder("vgg19.caffe_q8", "max", "relu5_1")).to(self.device)
        self.decoder: torch.nn.Module = decoder if decoder is not None else self._load_decoder()
        channels_last(self.decoder.eval().requires_grad_(False).to(self.device))
        self.dtype = resolve_precision(self.settings.precision, self.device)
        self._style_cache: OrderedDict[str, Statistics] = OrderedDict()

    @classmethod
    def files(cls, settings: EncoderDecoderSettings) -> list[Path]:
        return [decoder_path(settings.decoder)]

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
        """One pass; then, with ``refine``, a few Gatys steps from it ("fast preview, then refine")."""
        steps = self.settings.refine
        if not steps or self.settings.strength == 0 or temporal is not None:  # the base refuses a temporal guide
            return super().stylize_tensor(photos, styles, init=init, masks=masks, callback=callback, temporal=temporal)
        count = photos.shape[0]
        share = 1 / (1 + steps)  # progress: the one pass counts as one step of each photo
        first = _rescaled(callback, 0.0, share, offset=0, total=count * (1 + steps))
        result = super().stylize_tensor(photos, styles, init=init, masks=masks, callback=first)
        later = _rescaled(callback, share, 1.0, offset=count, total=count * (1 + steps))
        return refine(result, photos, styles, steps=steps, device=self.device,
                      preserve_color=self.settings.preserve_color, callback=later)  # fmt: skip

    def _load_decoder(self) -> AdaINDecoder:
        decoder = AdaINDecoder()
        load_into(decoder_path(self.settings.decoder), decoder, kind=DECODER_KIND)
        return decoder

    def encode(self, image: torch.Tensor) -> torch.Tensor:
        """``relu4_1`` features of ``(B, 3, H, W)`` images, in float32."""
        with torch.no_grad(), encoder_autocast(self.device, self.dtype):
            return self.encoder(image, [_LAYER])[_LAYER].float()

    def decode(self, features: torch.Tensor) -> torch.Tensor:
        with torch.no_grad(), encoder_autocast(self.device, self.dtype):
            return self.decoder(features.contiguous(memory_format=torch.channels_last)).float()

    def style_statistics(self, style: StyleImage) -> Statistics:
        """The style's feature statistics at ``style_size``, cached per painting and size."""
        size = self.settings.style_size
        key = f"{type(self).__name__}:{style.key}:{size}" if style.key else None
        with self._lock:
            if key is not None and key in self._style_cache:
                self._style_cache.move_to_end(key)
                return self._style_cache[key]
        height, width = style.image.shape[-2:]
        scale = size / max(height, width)
        image = resize_tensor(
            style.image.to(self.device), (max(1, round(height * scale)), max(1, round(width * scale)))
        )
        statistics = type(self).statistics(self.encode(image))
        if key is not None:
            with self._lock:
                self._style_cache[key] = statistics
                while len(self._style_cache) > _STYLE_CACHE_SIZE:
                    self._style_cache.popitem(last=False)
        return statistics

    def _default_masks(self, photos: torch.Tensor, count: int) -> torch.Tensor | None:
        """Region maps from the ``mask`` setting's brightness image, at the photo's size."""
        if self.settings.mask is None:
            return None
        if count < 2:
            raise ArgumentError("a mask chooses between styles: give two or more style images with it", name="mask")
        image = open_image(self.settings.mask, label="mask")
        height, width = photos.shape[-2:]
        if image.size != (width, height):
            logger.warning("mask is %d×%d, the photo %d×%d: resizing the mask to fit", *image.size, width, height)
            image = image.resize((width, height), Image.Resampling.BILINEAR)
        grey = image_to_tensor(image.convert("L").convert("RGB"), device=self.device)[:, :1]
        maps = torch.cat(region_weights(grey, (height, width), count), dim=1)
        return maps.expand(photos.shape[0], -1, -1, -1)

    def _run(self, content: torch.Tensor, styles: list[StyleImage], weights: list[float], *,
             init: torch.Tensor | None, masks: torch.Tensor | None, progress: Progress,
             frozen: Any = None) -> torch.Tensor:  # fmt: skip
        features = self.encode(content)
        self._transform_(features, styles, weights, masks)
        output = self.decode(features)
        progress.report(self.name, 1, 1.0)
        return output

    def _transform_(
        self,
        features: torch.Tensor,
        styles: list[StyleImage],
        weights: list[float],
        masks: torch.Tensor | None,
        *,
        rows: int | None = None,
    ) -> None:
        """Give ``features`` the styles' statistics, in place (``alpha`` of the way), ``rows`` rows at a time.

        The content statistics are always the whole feature map's, so a map assembled from tiles
        is transformed exactly as the untiled one; the slices bound the float32 temporaries.
        """
        statistics = [self.style_statistics(style) for style in styles]
        own = type(self).content_statistics(features)
        maps = None
        if masks is not None:
            maps = F.interpolate(masks, size=features.shape[-2:], mode="bilinear", align_corners=False, antialias=True)
            maps = maps / maps.sum(dim=1, keepdim=True).clamp_min(1e-6)
        alpha = self._alpha
        step = rows or features.shape[-2]
        for top in range(0, features.shape[-2], step):
            band = features[..., top : top + step, :]
            part = band.float()
            mixing: list[float | torch.Tensor] = list(weights)
            if maps is not None:
                mixing = [m.unsqueeze(1) for m in maps[..., top : top + step, :].unbind(dim=1)]
            target = mix(type(self).transform, part, statistics, mixing, own=own)
            band.copy_(alpha * target + (1 - alpha) * part)

    def _run_tiled(self, content: torch.Tensor, styles: list[StyleImage], weights: list[float],
                   masks: torch.Tensor | None, progress: Progress, side: int) -> torch.Tensor:  # fmt: skip
        """Exact tiles: the encoder has no normalization, so ``relu4_1`` features can be computed tile by
        tile and assembled into one map (each tile contributing its part away from its cut edges); the
        transform then sees the whole map's statistics, as untiled, and the decoder runs tile by tile.
        The map is kept in the encoder's number format (bfloat16: 64 bytes per result pixel / 64 · 2)."""
        height, width = content.shape[-2:]
        boxes = plan_tiles(height, width, side, self.tile_overlap, 8)
        count = 2 * len(boxes)
        features = torch.empty(content.shape[0], 512, height // 8, width // 8, dtype=self.dtype, device=self.device)
        for index, (box, core) in enumerate(zip(boxes, core_boxes(boxes, height, width)), start=1):
            encoded = self.encode(box.of(content))
            inner = encoded[..., (core.top - box.top) // 8 : (core.bottom - box.top) // 8,
                            (core.left - box.left) // 8 : (core.right - box.left) // 8]  # fmt: skip
            features[..., core.top // 8 : core.bottom // 8, core.left // 8 : core.right // 8] = inner
            progress.report(f"{self.name}: encoding tile {index}/{len(boxes)}", 0, index / count)
        self._transform_(features, styles, weights, masks, rows=16)

        def decode(_: torch.Tensor, box: Box) -> torch.Tensor:
            return self.decode(features[..., box.top // 8 : box.bottom // 8, box.left // 8 : box.right // 8])

        def on_tile(done: int, total: int) -> None:
            progress.report(f"{self.name}: decoding tile {done}/{total}", int(done == total), (total + done) / count)

        return blend_tiles(content, decode, boxes, overlap=self.tile_overlap, on_tile=on_tile)

    @property
    def _alpha(self) -> float:
        return self.settings.alpha * self.settings.strength

    def _finish(self, output: torch.Tensor, styles: list[StyleImage], weights: list[float],
                masks: torch.Tensor | None) -> torch.Tensor:  # fmt: skip
        """The decoder's colours pulled to the paintings' (a 2-core decoder learns a house palette; a linear
        colour transfer removes it for ≈ 0.01 s); with alpha < 1 the pull is partial, like the features'.
        Done on the whole result, so tiles share one colour transform."""
        if not self.settings.style_colors or self.settings.preserve_color != "none" or masks is not None:
            return output
        return color.pull_to_palette(output, *color.color_statistics([s.image for s in styles], weights), self._alpha)


def _rescaled(callback: ProgressCallback | None, start: float, end: float, *, offset: int, total: int
              ) -> ProgressCallback | None:  # fmt: skip
    """A callback that maps one part's events onto ``start``..``end`` of the whole and its steps after ``offset``."""
    if callback is None:
        return None

    def report(event: ProgressEvent) -> None:
        callback(dataclasses.replace(event, step=offset + event.step, total=total,
                                     fraction=start + (end - start) * event.fraction))  # fmt: skip

    return report


def refine(result: torch.Tensor, photos: torch.Tensor, styles: PreparedStyles, *, steps: int,
           device: torch.device, preserve_color: str = "none", callback: ProgressCallback | None = None
           ) -> torch.Tensor:  # fmt: skip
    """``steps`` full-size L-BFGS iterations of the Gatys objective, starting from a one-pass ``result``.

    The one-pass result already has the layout and palette; a few optimization steps sharpen the
    texture toward the painting's Gram statistics at a fraction of a full optimization's time.
    """
    from ..loading import load

    size = max(result.shape[-2:])
    optimizer = load("optimize", device=device, size=size, scales=(1.0,), steps=(steps,), preserve_color=preserve_color)
    photos = resize_tensor(photos, tuple(result.shape[-2:]))  # type: ignore[arg-type]
    return optimizer.stylize_tensor(photos, styles, init=result, callback=callback)
