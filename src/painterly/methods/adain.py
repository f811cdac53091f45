"""Arbitrary style in one pass (Huang & Belongie 2017): VGG19 to relu4_1 encodes the photo, the
style is summarized by its channel means and standard deviations, AdaIN swaps them in, and a
trained decoder paints the result.

Works at the photo's full resolution (no fixed working size). Style statistics are cached per
style image, so restyling many photos with one painting pays for the painting once.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

import torch
import torch.nn.functional as F
from PIL import Image

from .. import color
from .._layout import channels_last
from .._settings import role
from ..encoders.vgg import VGG19Encoder
from ..errors import ArgumentError, WeightsError
from ..image_io import MIN_SIDE, image_to_tensor, open_image, resize_long_side, tensor_to_image
from ..model_files import load_into
from ..models import bundled_models_dir, resolve_model
from ..nets.adain import AdaINDecoder, adaptive_instance_norm, feature_mean_std
from ..padding import crop_to, pad_to_multiple
from ..precision import PRECISIONS, Precision, encoder_autocast, resolve_precision
from .base import ProgressCallback, ProgressEvent, Stylizer, register_method

__all__ = ["BUNDLED_DECODER", "AdaINSettings", "AdaINStylizer", "decoder_path"]

logger = logging.getLogger(__name__)

BUNDLED_DECODER = "bundled"
_BUNDLED_NAME = "adain_decoder"  # in painterly/assets/models, so `painterly models` lists it
_DECODER_KIND = "adain-decoder"
_STYLE_CACHE_SIZE = 32
# relu4_1 is at 1/8 scale and the decoder reflection-pads it by 1, so it needs ≥ 2 px there.
_DECODER_MINIMUM = 16


@dataclass(frozen=True)
class AdaINSettings:
    """Settings of the arbitrary-style method; the CLI and the service build their options from these fields."""

    alpha: float = 1.0  # content–style trade-off: 0 keeps the photo's features, 1 takes the style's statistics
    size: int | None = role(None, "size")  # long side of the result; None: the photo's own size
    style_size: int = role(512, "size")  # long side at which each style image is analysed
    preserve_color: color.ColorMode = "none"  # keep the photo's colours: luminance or histogram
    mask: str | None = role(None, "path")  # image choosing styles by brightness: black → first style … white → last
    decoder: str = role(
        BUNDLED_DECODER, "model", safe_values=(BUNDLED_DECODER,), model_kind=_DECODER_KIND
    )  # "bundled", a decoder's model name, or a decoder.safetensors path
    precision: Precision = "auto"  # encoder/decoder number format; auto: bfloat16 where the CPU has it natively

    def __post_init__(self) -> None:
        if not (0.0 <= self.alpha <= 1.0):
            raise ArgumentError(f"alpha must be within 0..1, got {self.alpha}", name="alpha")
        if self.size is not None and self.size < MIN_SIDE:
            raise ArgumentError(f"size must be ≥ {MIN_SIDE}, got {self.size}", name="size")
        if self.style_size < MIN_SIDE:
            raise ArgumentError(f"style_size must be ≥ {MIN_SIDE}, got {self.style_size}", name="style_size")
        if self.preserve_color not in color.COLOR_MODES:
            raise ArgumentError(f"preserve_color must be one of {', '.join(color.COLOR_MODES)}", name="preserve_color")
        if self.precision not in PRECISIONS:
            raise ArgumentError(f"precision must be one of {', '.join(PRECISIONS)}", name="precision")


def decoder_path(name: str) -> Path:
    """A decoder by name (``bundled``, or one in ``PAINTERLY_HOME/models``) or by path."""
    if name != BUNDLED_DECODER:
        return resolve_model(name, _DECODER_KIND)
    path = bundled_models_dir() / f"{_BUNDLED_NAME}.safetensors"
    if not path.is_file():
        raise WeightsError(
            "this install has no bundled AdaIN decoder; train one with `painterly train-decoder` "
            "and pass --decoder runs/…/decoder.safetensors"
        )
    return path


def _image_key(image: Image.Image) -> str:
    return hashlib.sha1(image.tobytes()).hexdigest() + f"{image.size}{image.mode}"


@register_method
class AdaINStylizer(Stylizer):
    """Any painting as a style, in one forward pass.

    Example:
        >>> stylizer = AdaINStylizer(AdaINSettings(alpha=0.8))  # doctest: +SKIP
        >>> stylizer.stylize(photo, [painting]).save("out.png")  # doctest: +SKIP
    """

    name = "adain"
    Settings = AdaINSettings
    summary = "AdaIN arbitrary style: any painting, one pass, under a second per 512 px image on 2 cores"
    bytes_per_pixel = 800.0  # measured ≈ 710 B/px at 2048×1536 (encoder to relu4_1 and decoder)
    settings: AdaINSettings

    def __init__(
        self,
        settings: AdaINSettings | None = None,
        *,
        device: torch.device | str = "cpu",
        encoder: VGG19Encoder | None = None,
        decoder: torch.nn.Module | None = None,
    ) -> None:
        super().__init__(settings, device=device)
        from .optimize import cached_encoder

        self.encoder = (encoder or cached_encoder("vgg19.caffe_q8", "max", "relu5_1")).to(self.device)
        self.decoder: torch.nn.Module = decoder if decoder is not None else self._load_decoder()
        channels_last(self.decoder.eval().requires_grad_(False).to(self.device))
        self.dtype = resolve_precision(self.settings.precision, self.device)
        self._style_cache: OrderedDict[str, tuple[torch.Tensor, torch.Tensor]] = OrderedDict()

    def _load_decoder(self) -> AdaINDecoder:
        decoder = AdaINDecoder()
        load_into(decoder_path(self.settings.decoder), decoder, kind=_DECODER_KIND)
        return decoder

    def _encode(self, image: torch.Tensor) -> torch.Tensor:
        with torch.no_grad(), encoder_autocast(self.device, self.dtype):
            return self.encoder(image, ["relu4_1"])["relu4_1"].float()

    def style_statistics(
        self, style: Image.Image, photo: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Channel mean and std of a style's relu4_1 features, cached unless they depend on the photo."""
        mode = self.settings.preserve_color
        key = f"{_image_key(style)}:{self.settings.style_size}:{mode}"
        if mode != "histogram" and key in self._style_cache:
            self._style_cache.move_to_end(key)
            return self._style_cache[key]
        tensor = image_to_tensor(resize_long_side(style, self.settings.style_size), device=self.device)
        if mode == "histogram" and photo is not None:
            tensor = color.match_color(tensor, photo)
        elif mode == "luminance" and photo is not None:
            tensor = color.luminance_style(tensor, photo)
        statistics = feature_mean_std(self._encode(tensor))
        if mode != "histogram":
            self._style_cache[key] = statistics
            while len(self._style_cache) > _STYLE_CACHE_SIZE:
                self._style_cache.popitem(last=False)
        return statistics

    def _stylize(
        self, content: Image.Image, styles: list[Image.Image], weights: list[float], callback: ProgressCallback | None
    ) -> Image.Image:
        """The photo in the style(s): one encoder pass, AdaIN, one decoder pass."""
        if self.settings.mask is not None and len(styles) < 2:
            raise ArgumentError("a mask chooses between styles: give two or more style images with it", name="mask")
        started = time.perf_counter()
        photo = self._photo_tensor(content)
        mask = self._load_mask(photo) if self.settings.mask is not None else None
        content_for_style = color.grey(photo) if self.settings.preserve_color == "luminance" else photo
        features = self._encode(pad_to_multiple(content_for_style, 8, minimum=_DECODER_MINIMUM))
        statistics = [self.style_statistics(style, content_for_style) for style in styles]
        target = self._mix(features, statistics, weights, mask)
        target = self.settings.alpha * target + (1 - self.settings.alpha) * features
        with torch.no_grad(), encoder_autocast(self.device, self.dtype):
            output = self.decoder(target.contiguous(memory_format=torch.channels_last)).float()
        output = crop_to(output, photo)
        if self.settings.preserve_color == "luminance":
            output = color.restore_chroma(output, photo)
        if callback is not None:
            callback(ProgressEvent("adain", 1, 1, time.perf_counter() - started, 1.0))
        return tensor_to_image(output)

    def _photo_tensor(self, content: Image.Image) -> torch.Tensor:
        size = self.settings.size
        image = resize_long_side(content, size) if size is not None else content
        return image_to_tensor(image, device=self.device)

    def _load_mask(self, photo: torch.Tensor) -> torch.Tensor:
        """The mask as ``(1, 1, H, W)`` brightness in [0, 1] at the photo's size (resized, with a note)."""
        assert self.settings.mask is not None
        image = open_image(self.settings.mask, label="mask")
        height, width = photo.shape[-2:]
        if image.size != (width, height):
            logger.warning("mask is %d×%d, the photo %d×%d: resizing the mask to fit", *image.size, width, height)
            image = image.resize((width, height), Image.Resampling.BILINEAR)
        return image_to_tensor(image.convert("L").convert("RGB"), device=self.device)[:, :1]

    def _mix(
        self,
        features: torch.Tensor,
        statistics: list[tuple[torch.Tensor, torch.Tensor]],
        weights: list[float],
        mask: torch.Tensor | None,
    ) -> torch.Tensor:
        """AdaIN with several styles: weighted statistics everywhere, or per region through the mask."""
        if mask is None:
            # AdaIN is affine in (μ, σ), so interpolating outputs equals interpolating statistics.
            mean = sum(w * m for w, (m, _) in zip(weights, statistics))
            std = sum(w * s for w, (_, s) in zip(weights, statistics))
            return adaptive_instance_norm(features, mean, std)  # type: ignore[arg-type]
        regions = region_weights(mask, features.shape[-2:], len(statistics))
        mixed = [region * adaptive_instance_norm(features, m, s) for region, (m, s) in zip(regions, statistics)]
        return torch.stack(mixed).sum(0)


def region_weights(mask: torch.Tensor, size: torch.Size, count: int) -> list[torch.Tensor]:
    """Per-style weight maps at ``size`` from mask brightness: black → first style, white → last.

    Neighbouring styles blend linearly in between, and the maps always sum to 1.
    """
    grey = F.interpolate(mask, size=tuple(size), mode="bilinear", align_corners=False, antialias=True)
    if count == 1:
        return [torch.ones_like(grey)]
    position = grey.clamp(0, 1) * (count - 1)
    return [(1 - (position - index).abs()).clamp_min(0) for index in range(count)]
