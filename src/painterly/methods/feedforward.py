"""Trained style networks (``StyleNet``), one forward pass per image: the real-time method.

A model holds one or more styles; ``blend`` mixes them through their normalization
parameters. Inference runs in PyTorch or, when asked, in onnxruntime from an exported copy.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import torch

from .. import color
from .._layout import channels_last
from .._settings import role
from ..errors import ArgumentError, WeightsError
from ..image_io import MIN_SIDE
from ..model_files import load_into, read_metadata
from ..models import resolve_model
from ..nets.transformer import FusedStyleNet, NormStatistics, StyleNet
from ..precision import PRECISIONS, Precision, encoder_autocast, resolve_precision
from .base import CommonSettings, PreparedStyles, Progress, StyleImage, Stylizer, register_method

__all__ = ["MODEL_KIND", "FeedForwardSettings", "FeedForwardStylizer", "parse_blend", "pulled_styles"]

logger = logging.getLogger(__name__)

MODEL_KIND = "stylenet"
Engine = Literal["torch", "onnx"]


@dataclass(frozen=True)
class FeedForwardSettings(CommonSettings):
    """Settings of the trained-model method; the CLI and the service build their options from these fields.

    ``strength`` blends the result with the photo (the network has no other knob).
    """

    model: str = role(
        "", "model", stage="load", model_kind=MODEL_KIND
    )  # bundled or user model name (painterly models), or a model file path
    blend: str = ""  # style mix for multi-style models, e.g. "0:0.7,2:0.3" ("": the first style)
    size: int | None = role(None, "size")  # long side of the result; None: the photo's own size
    engine: Engine = role("torch", stage="load")  # torch, or onnx (onnxruntime on an exported copy)
    precision: Precision = role("auto", stage="load")  # torch engine: bfloat16 where the CPU has it natively
    # A network can stay short of its painting's contrast and colour (Arlésiennes: gram_ratio 0.082, with the
    # palette pulled after it 0.049); for another it costs style (The Great Wave 0.075 → 0.094). So each model's
    # card says whether it is on (metadata ``style_colors``) and this overrides it.
    style_colors: bool | None = None  # pull the result's RGB mean and covariance to the painting's; None: the model's

    def __post_init__(self) -> None:
        super().__post_init__()
        if not self.model:
            raise ArgumentError("model: choose a trained model by name (`painterly models` lists them)", name="model")
        if self.size is not None and self.size < MIN_SIDE:
            raise ArgumentError(f"size must be ≥ {MIN_SIDE}, got {self.size}", name="size")
        if self.engine not in ("torch", "onnx"):
            raise ArgumentError(f"engine must be torch or onnx, got {self.engine!r}", name="engine")
        if self.precision not in PRECISIONS:
            raise ArgumentError(f"precision must be one of {', '.join(PRECISIONS)}", name="precision")
        if self.blend.strip():  # checked against the model now, not when the first photo arrives
            try:
                metadata = read_metadata(resolve_model(self.model, MODEL_KIND))
            except WeightsError as error:
                raise ArgumentError(str(error), name="model") from None
            parse_blend(self.blend, _style_count(metadata))


def _style_count(metadata: dict[str, Any]) -> int:
    return len(metadata.get("styles", [])) or 1


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


def pulled_styles(metadata: dict[str, Any], chosen: bool | None = None) -> list[bool]:
    """Per style, whether results are recoloured to its painting's palette: ``chosen``, else the model's own
    choice (``style_colors`` in its metadata: one for the model or one per style; absent: none)."""
    recorded = metadata.get("style_colors", False)
    per_style = recorded if isinstance(recorded, list) else [recorded] * _style_count(metadata)
    return [bool(on if chosen is None else chosen) for on in per_style]


def load_stylenet(name_or_path: str) -> tuple[StyleNet, dict[str, Any]]:
    """A model by name or path, checked (kind, shapes) and ready for inference."""
    path = resolve_model(name_or_path, MODEL_KIND)
    metadata = read_metadata(path)
    net = StyleNet(_style_count(metadata), width=int(metadata.get("width", 32)), blocks=int(metadata.get("blocks", 4)))
    load_into(path, net, kind=MODEL_KIND)
    return channels_last(net.eval().requires_grad_(False)), metadata


_FUSED_BLENDS_KEPT = 8  # fused networks kept per model, one per blend of its styles (each a copy of the weights)


@register_method
class FeedForwardStylizer(Stylizer):
    """A trained style network: real time on a CPU, any photo size.

    Example:
        >>> FeedForwardStylizer(FeedForwardSettings(model="mosaic")).stylize(photo, [])  # doctest: +SKIP
    """

    name = "feedforward"
    Settings = FeedForwardSettings
    summary = "trained model: a few hundredths of a second per 512 px, close to its own painting; batches, video, live"
    needs_style_images = False
    # Measured ≈ 45 B/px at 2048×1536 (width 24); 60 covers wider user models. It also sets where tiling
    # starts (≈ 4.5 MP): below that one whole pass is faster than tiles plus their 2048 px thumbnail pass
    # (first measured at 4 MP: 0.23 s/MP whole, 0.33 tiled), above it tiles are faster (16 MP: 0.32 whole, 0.12
    # tiled). Since both run as ``FusedStyleNet``: 4 MP whole 0.12 s/MP, 16 MP tiled 0.08 (bench/results/highres.md).
    bytes_per_pixel = 60.0
    real_time = True
    settings: FeedForwardSettings

    pad_multiple = 4  # the network works at H/2 and H/4 …
    pad_minimum = 16  # … and its instance norms need a few pixels there
    supports_masks = True  # a model's styles per region: one pass per style, composited
    tiles = True  # instance-norm statistics are taken on a thumbnail and frozen for the tiles
    tile_overlap = 96  # float32 tiles then match the whole image within 0.005 (0.02 at 64 px)
    # Results up to 2048 px take exact statistics; larger ones those of a 2048 px thumbnail (≈ 25 B/px: 80 MB).
    thumbnail_side = 2048

    def __init__(self, settings: FeedForwardSettings | None = None, *, device: torch.device | str = "cpu") -> None:
        super().__init__(settings, device=device)
        self.net, self.metadata = load_stylenet(self.settings.model)
        self.margin = int(self.metadata.get("margin", 0))  # a model trained inside a margin runs inside one
        self._palettes = [(torch.tensor(p["mean"]).view(3, 1), torch.tensor(p["covariance"]))
                          for p in self.metadata.get("palettes", [])]  # fmt: skip
        self.style_colors  # noqa: B018 -- refuses style_colors now if the model cannot honour it
        self.net.to(self.device)
        self.dtype = resolve_precision(self.settings.precision, self.device)
        self._onnx = None
        self._fused_nets: dict[tuple[float, ...], FusedStyleNet] = {}
        if self.settings.engine == "onnx":
            from ..onnx_export import onnx_session

            self._onnx = onnx_session(self.net, self.settings.model)

    @property
    def style_colors(self) -> list[bool]:
        """Per style, whether results take its painting's palette: a per-call setting, so read from the settings
        in use (``with_options`` gives a stylizer new ones without running ``__init__``)."""
        pulled = pulled_styles(self.metadata, self.settings.style_colors)
        if any(pulled) and len(self._palettes) != self.net.styles:
            raise ArgumentError(
                f"model {self.settings.model} records no palettes of its paintings (trained before "
                "painterly stored them): style_colors needs a model trained since",
                name="style_colors",
            )
        return pulled

    def with_options(self, **options: Any) -> FeedForwardStylizer:
        view = super().with_options(**options)
        assert isinstance(view, FeedForwardStylizer)
        view.style_colors  # noqa: B018 -- refused when the options are given, not after the network has run
        return view

    @classmethod
    def files(cls, settings: FeedForwardSettings) -> list[Path]:
        return [resolve_model(settings.model, MODEL_KIND)]

    def _style_count(self, styles: PreparedStyles) -> int:
        return int(self.net.styles)

    @classmethod
    def tile_size(cls, settings: FeedForwardSettings, width: int, height: int) -> int | None:
        # An exported ONNX graph normalizes each input by its own statistics: it cannot be tiled without seams.
        return None if settings.engine == "onnx" else super().tile_size(settings, width, height)

    def _blends(self, count: int, masks: torch.Tensor | None) -> list[tuple[int | None, torch.Tensor]]:
        """(style index or None, ``(B, styles)`` weights) of each pass: the blend, or one pass per style a map uses."""
        if masks is None:
            blend = parse_blend(self.settings.blend, self.net.styles).to(self.device)
            return [(None, blend.expand(count, -1))]
        passes: list[tuple[int | None, torch.Tensor]] = []
        for index in range(self.net.styles):
            if masks[:, index].max() > 0:
                one_hot = torch.zeros(count, self.net.styles, device=self.device)
                one_hot[:, index] = 1.0
                passes.append((index, one_hot))
        return passes

    def _global_statistics(self, thumbnail: torch.Tensor, styles: list[StyleImage], weights: list[float],
                           masks: torch.Tensor | None) -> dict[int | None, list[FusedStyleNet]]:  # fmt: skip
        """Per pass, per photo: the network with the thumbnail's instance-norm statistics folded in."""
        frozen = {}
        for index, blend in self._blends(thumbnail.shape[0], masks):
            statistics = NormStatistics()
            self._fused(blend[0])(thumbnail, record=statistics)
            frozen[index] = [FusedStyleNet(self.net, blend[row], self.dtype, statistics.row(row))
                             for row in range(thumbnail.shape[0])]  # fmt: skip
        return frozen

    def _run(self, content: torch.Tensor, styles: list[StyleImage], weights: list[float], *,
             init: torch.Tensor | None, masks: torch.Tensor | None, progress: Progress,
             frozen: dict[int | None, list[FusedStyleNet]] | None = None) -> torch.Tensor:  # fmt: skip
        maps = None if masks is None else masks / masks.sum(dim=1, keepdim=True).clamp_min(1e-6)
        output: torch.Tensor | None = None
        for index, blend in self._blends(content.shape[0], masks):
            if frozen is None:
                result = self.forward(content, blend)
            else:
                rows = [net(content[row : row + 1]) for row, net in enumerate(frozen[index])]
                result = rows[0] if len(rows) == 1 else torch.cat(rows)  # a tile of one photo: no copy
            if maps is None or index is None:
                output = result
            else:  # one pass per style the map uses, composited by the map's weights
                weighted = maps[:, index : index + 1] * result
                output = weighted if output is None else output.add_(weighted)
        assert output is not None
        progress.report(self.name, 1, 1.0)
        return output

    def _finish(self, output: torch.Tensor, styles: list[StyleImage], weights: list[float],
                masks: torch.Tensor | None) -> torch.Tensor:  # fmt: skip
        """The blend's palette on the whole result (after tiles are joined, so they share one colour transform),
        as far as the blend is made of styles whose palette is on: a model may choose per style."""
        blend = parse_blend(self.settings.blend, self.net.styles)[0].tolist()
        share = sum(weight for weight, on in zip(blend, self.style_colors) if on)  # of the blend, styles pulled
        if share == 0 or self.settings.preserve_color != "none" or masks is not None:
            return output
        mean, covariance = (part.to(output.device) for part in color.pool_statistics(self._palettes, blend))
        return color.pull_to_palette(output, mean, covariance, share)

    def _fused(self, blend: torch.Tensor) -> FusedStyleNet:
        """The fused network for one blend of the model's styles (weights packed once per blend)."""
        key = tuple(float(value) for value in blend)
        if key not in self._fused_nets:
            if len(self._fused_nets) >= _FUSED_BLENDS_KEPT:  # a service sees any number of blends: keep the latest
                del self._fused_nets[next(iter(self._fused_nets))]
            self._fused_nets[key] = FusedStyleNet(self.net, blend, self.dtype)
        return self._fused_nets[key]

    def forward(self, photos: torch.Tensor, blend: torch.Tensor) -> torch.Tensor:
        """The bare network on padded ``(B, 3, H, W)`` photos with ``(B, styles)`` blend weights."""
        if self._onnx is not None:
            feeds = {"image": photos.cpu().numpy(), "style_weights": blend.cpu().numpy()}
            return torch.from_numpy(self._onnx.run(None, feeds)[0]).to(photos.device)
        if torch.equal(blend, blend[:1].expand_as(blend)):  # one blend for the batch (always, from _blends)
            return self._fused(blend[0])(photos)
        with torch.no_grad(), encoder_autocast(self.device, self.dtype):
            return self.net(photos.contiguous(memory_format=torch.channels_last), blend).float()
