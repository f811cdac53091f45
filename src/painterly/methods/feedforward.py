"""Trained style networks (``StyleNet``), one forward pass per image: the real-time method.

A model holds one or more styles; ``blend`` mixes them through their normalization
parameters. Inference runs in PyTorch or, when asked, in onnxruntime from an exported copy.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Any, Literal

import torch
import torch.nn.functional as F
from PIL import Image

from .. import color
from .._layout import channels_last
from ..errors import ArgumentError
from ..image_io import MIN_SIDE, image_to_tensor, resize_long_side, tensor_to_image
from ..model_files import load_into, read_metadata
from ..models import resolve_model
from ..nets.transformer import StyleNet
from ..precision import PRECISIONS, Precision, encoder_autocast, resolve_precision
from .base import ProgressCallback, ProgressEvent, Stylizer, register_method

__all__ = ["MODEL_KIND", "FeedForwardSettings", "FeedForwardStylizer", "parse_blend"]

logger = logging.getLogger(__name__)

MODEL_KIND = "stylenet"
Engine = Literal["torch", "onnx"]


@dataclass(frozen=True)
class FeedForwardSettings:
    """Settings of the trained-model method; the CLI and the service build their options from these fields."""

    model: str = ""  # bundled or user model name (painterly models), or a model file path
    blend: str = ""  # style mix for multi-style models, e.g. "0:0.7,2:0.3" ("": the first style)
    strength: float = 1.0  # 0 returns the photo, 1 the full stylization, in between a mix
    preserve_color: color.ColorMode = "none"  # keep the photo's colours (luminance or histogram)
    size: int | None = None  # long side of the result; None: the photo's own size
    engine: Engine = "torch"  # torch, or onnx (onnxruntime on an exported copy)
    precision: Precision = "auto"  # torch engine: bfloat16 where the CPU has it natively

    def __post_init__(self) -> None:
        if not self.model:
            raise ArgumentError("choose a model: --model NAME (see `painterly models`) or a file path", name="model")
        if not 0.0 <= self.strength <= 1.0:
            raise ArgumentError(f"strength must be within 0..1, got {self.strength}", name="strength")
        if self.size is not None and self.size < MIN_SIDE:
            raise ArgumentError(f"size must be ≥ {MIN_SIDE}, got {self.size}", name="size")
        if self.engine not in ("torch", "onnx"):
            raise ArgumentError(f"engine must be torch or onnx, got {self.engine!r}", name="engine")
        if self.precision not in PRECISIONS or self.preserve_color not in color.COLOR_MODES:
            raise ArgumentError("precision or preserve_color has an unknown value", name="precision")


def parse_blend(text: str, styles: int) -> torch.Tensor:
    """``"0:0.7,2:0.3"`` → normalized weights ``(1, styles)``; ``""`` → the first style.

    Raises:
        ArgumentError: malformed, an index out of range, a negative weight, or weights summing to 0.
    """
    weights = torch.zeros(1, styles)
    if not text.strip():
        weights[0, 0] = 1.0
        return weights
    for item in text.split(","):
        index_text, _, weight_text = item.partition(":")
        try:
            index, weight = int(index_text), float(weight_text or "1")
        except ValueError:
            raise ArgumentError(f"blend item {item!r} is not INDEX:WEIGHT", name="blend") from None
        if not 0 <= index < styles:
            raise ArgumentError(
                f"blend index {index} is out of range: the model has styles 0..{styles - 1}", name="blend"
            )
        if not 0 <= weight < float("inf"):
            raise ArgumentError(f"blend weight {weight} must be finite and ≥ 0", name="blend")
        weights[0, index] += weight
    if weights.sum() <= 0:
        raise ArgumentError("blend weights must sum to more than 0", name="blend")
    return weights / weights.sum()


def load_stylenet(name_or_path: str) -> tuple[StyleNet, dict[str, Any]]:
    """A model by name or path, checked (kind, shapes) and ready for inference."""
    path = resolve_model(name_or_path, MODEL_KIND)
    metadata = read_metadata(path)
    styles = len(metadata.get("styles", [])) or 1
    net = StyleNet(styles, width=int(metadata.get("width", 32)), blocks=int(metadata.get("blocks", 4)))
    load_into(path, net, kind=MODEL_KIND)
    return channels_last(net.eval().requires_grad_(False)), metadata


@register_method
class FeedForwardStylizer(Stylizer):
    """A trained style network: real time on a CPU, any photo size.

    Example:
        >>> FeedForwardStylizer(FeedForwardSettings(model="mosaic")).stylize(photo, [])  # doctest: +SKIP
    """

    name = "feedforward"
    Settings = FeedForwardSettings
    summary = "trained style models: a fraction of a second per image (painterly models lists them)"
    needs_style_images = False
    settings: FeedForwardSettings

    def __init__(self, settings: FeedForwardSettings | None = None, *, device: torch.device | str = "cpu") -> None:
        super().__init__(settings, device=device)
        self.net, self.metadata = load_stylenet(self.settings.model)
        self.net.to(self.device)
        self.weights = parse_blend(self.settings.blend, self.net.styles).to(self.device)
        self.dtype = resolve_precision(self.settings.precision, self.device)
        self._onnx = None
        if self.settings.engine == "onnx":
            from ..onnx_export import onnx_session

            self._onnx = onnx_session(self.net, self.settings.model)

    def _stylize(
        self, content: Image.Image, styles: list[Image.Image], weights: list[float], callback: ProgressCallback | None
    ) -> Image.Image:
        started = time.perf_counter()
        image = resize_long_side(content, self.settings.size) if self.settings.size else content
        photo = image_to_tensor(image, device=self.device)
        output = self._run(_pad4(photo))[..., : photo.shape[-2], : photo.shape[-1]]
        if self.settings.preserve_color == "luminance":
            output = color.restore_chroma(output, photo)
        elif self.settings.preserve_color == "histogram":
            output = color.match_color(output, photo)
        if self.settings.strength < 1.0:
            output = self.settings.strength * output + (1 - self.settings.strength) * photo
        if callback is not None:
            callback(ProgressEvent("feedforward", 1, 1, time.perf_counter() - started, 1.0))
        return tensor_to_image(output)

    def _run(self, photo: torch.Tensor) -> torch.Tensor:
        if self._onnx is not None:
            feeds = {"image": photo.cpu().numpy(), "style_weights": self.weights.cpu().numpy()}
            return torch.from_numpy(self._onnx.run(None, feeds)[0]).to(photo.device)
        with torch.no_grad(), encoder_autocast(self.device, self.dtype):
            return self.net(photo.contiguous(memory_format=torch.channels_last), self.weights).float()


def _pad4(image: torch.Tensor) -> torch.Tensor:
    """Reflect-pad to multiples of 4: the network works at H/2 and H/4."""
    pad_h, pad_w = (-image.shape[-2]) % 4, (-image.shape[-1]) % 4
    return F.pad(image, (0, pad_w, 0, pad_h), mode="reflect") if pad_h or pad_w else image
