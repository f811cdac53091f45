"""Gatys et al. (2016) style transfer by optimizing the pixels, made fast on a CPU.

Speed comes from work not done rather than from approximations: the encoder stops at the
deepest layer needed and runs channels-last; content and style targets are computed once
per scale; and a coarse-to-fine schedule (as in Gatys et al. 2017, §6) spends most
iterations at low resolution, where one costs a fraction of a full-size one, leaving a few
full-size iterations to restore fine texture.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import torch

from .. import memory
from .._settings import role
from ..encoders import get_encoder
from ..encoders.vgg import POOLINGS, Pooling, VGG19Encoder, check_layers, deepest
from ..errors import ArgumentError
from ..image_io import MIN_SIDE, fit_long_side, image_to_tensor, load_image, resize_tensor, tensor_to_image
from ..losses.perceptual import STYLE_LOSSES, PerceptualLoss, StyleLossKind
from ..padding import crop_to, pad_to_multiple
from ..precision import PRECISIONS, Precision, resolve_precision
from ..tiling import Box, shifted_partition, thumbnail, tile_side
from ..weights import DEFAULT_VGG19
from ._lbfgs import minimize_lbfgs
from .base import CommonSettings, PreparedStyles, Progress, StyleImage, Stylizer, TemporalGuide, register_method

__all__ = ["QUALITY_PRESETS", "OptimizeSettings", "OptimizeStylizer", "OptimizerKind", "Quality"]

logger = logging.getLogger(__name__)

Quality = Literal["draft", "normal", "high"]
OptimizerKind = Literal["lbfgs", "adam"]
OPTIMIZERS: tuple[OptimizerKind, ...] = ("lbfgs", "adam")


@dataclass(frozen=True)
class Schedule:
    """Coarse-to-fine plan: long sides as fractions of the final size, and iterations at each."""

    scales: tuple[float, ...]
    steps: tuple[int, ...]


QUALITY_PRESETS: dict[Quality, Schedule] = {
    # Measured on tubingen × starry_night at 512 px (bench/optimize.py): the last scale does
    # most of the style matching in its first ~15 iterations; earlier scales lay out the large
    # strokes cheaply. More final iterations mostly trade style for content again.
    "draft": Schedule(scales=(0.25, 0.5, 1.0), steps=(40, 25, 8)),
    "normal": Schedule(scales=(0.25, 0.5, 1.0), steps=(60, 40, 15)),
    "high": Schedule(scales=(0.25, 0.5, 0.71, 1.0), steps=(150, 100, 60, 40)),
}
QUALITIES: tuple[Quality, ...] = tuple(QUALITY_PRESETS)
# A scale whose whole-image optimization would take more than this (or than the memory free) is optimized in
# tiles (with Adam: its state is 2 numbers per pixel, L-BFGS's history 100, and the objective moves a little
# with the tile grid).
WHOLE_BUDGET = 4 * 1024**3
TILE_WORK_BUDGET = 1024**3  # one tile's forward and backward pass
TILE_BYTES_PER_PIXEL = 1800.0  # measured forward + backward to relu5_1, without L-BFGS's history
TILED_STATE_BYTES = 100.0  # per pixel kept whole at a tiled scale: image, gradient, Adam's two moments, the photo
TILED_LEARNING_RATE = 0.01  # Adam's step at tiled scales, which start from the upsampled previous scale
# L-BFGS keeps up to 50 correction pairs (two image-sized vectors each), within a memory budget: at 512 px the
# budget allows more pairs than the schedule's steps make; at 1024 px it keeps the 15 final steps' history to 6
# pairs (265 MB → 113 MB); the 1024 px run's peak is in bench/results/optimize.md.
LBFGS_HISTORY = 50
LBFGS_MIN_HISTORY = 5
LBFGS_HISTORY_BYTES = 128 * 1024**2
ONE_PASS_STARTS = ("adain", "wct")  # methods whose result can start the optimization (--init adain)
DEFAULT_STYLE_LAYERS = ("relu1_1", "relu2_1", "relu3_1", "relu4_1", "relu5_1")


@dataclass(frozen=True)
class OptimizeSettings(CommonSettings):
    """Settings of the optimization method; the CLI and the service build their options from these fields.

    ``strength`` scales β (0: the photo, 1: ``style_weight`` as given).
    """

    quality: Quality = "normal"  # preset that picks scales and steps; --scales/--steps override it
    size: int | None = role(512, "size")  # long side of the result in px; none or "original": the photo's own
    scales: tuple[float, ...] | None = None  # coarse-to-fine long sides as fractions of size, ending at 1.0
    steps: tuple[int, ...] | None = None  # iterations per scale (one value: the same at every scale)
    optimizer: OptimizerKind = "lbfgs"  # L-BFGS converges in far fewer steps; Adam uses less memory
    learning_rate: float | None = None  # None: 1.0 for L-BFGS, 0.02 for Adam (pixels are in [0, 1])
    content_weight: float = 1.0  # α: how strongly the photo's structure is kept
    style_weight: float = 15.0  # β: how strongly the style's textures are imposed
    tv_weight: float = 0.0  # γ: total-variation smoothing of the result
    content_layers: tuple[str, ...] = ("relu4_2",)  # VGG19 layers whose features define content
    content_layer_weights: tuple[float, ...] | None = None  # one per content layer; None: equal
    style_layers: tuple[str, ...] = DEFAULT_STYLE_LAYERS  # VGG19 layers whose statistics define style
    style_layer_weights: tuple[float, ...] | None = None  # one per style layer; None: equal
    style_loss: StyleLossKind = "gram"  # gram (Gatys) or wasserstein (mean and covariance)
    style_scale: float = 1.0  # style image long side relative to the result's at each scale
    init: str = role(
        "content", "path", safe_values=("content", "random", "adain", "wct")
    )  # start from "content", "random" noise, a one-pass method's result ("adain", "wct"), or an image file
    pooling: Pooling = role("max", stage="load")  # VGG19 pooling; avg gives softer results
    weights: str = role(DEFAULT_VGG19, "weights", stage="load")  # VGG19 weight set name or state-dict path
    precision: Precision = role("auto", stage="load")  # encoder number format; auto: bfloat16 where native
    seed: int = 0  # seeds random init, so results repeat
    save_every: int = role(0, "preview")  # attach a preview image to the progress event every N steps (0: never)
    frame_steps: int = 40  # video: iterations per frame after the first, which start from the previous result
    temporal_weight: float = 50.0  # video: how strongly a frame keeps the previous result where the flow is trusted

    def __post_init__(self) -> None:
        super().__post_init__()
        _check_choice("quality", self.quality, QUALITIES)
        _check_choice("optimizer", self.optimizer, OPTIMIZERS)
        _check_choice("style_loss", self.style_loss, STYLE_LOSSES)
        _check_choice("pooling", self.pooling, POOLINGS)
        _check_choice("precision", self.precision, PRECISIONS)
        if self.size is not None and (not isinstance(self.size, int) or self.size < MIN_SIDE):
            raise ArgumentError(f"size must be an integer ≥ {MIN_SIDE}, got {self.size!r}", name="size")
        for name in ("content_weight", "style_weight", "tv_weight"):
            _check_non_negative(name, getattr(self, name))
        _check_positive("style_scale", self.style_scale)
        if self.learning_rate is not None:
            _check_positive("learning_rate", self.learning_rate)
        _check_non_negative("temporal_weight", self.temporal_weight)
        if not isinstance(self.frame_steps, int) or self.frame_steps < 1:
            raise ArgumentError(f"frame_steps must be ≥ 1, got {self.frame_steps!r}", name="frame_steps")
        if self.save_every < 0:
            raise ArgumentError(f"save_every must be ≥ 0, got {self.save_every}", name="save_every")
        check_layers(self.content_layers, what="content layer")
        check_layers(self.style_layers, what="style layer")
        _layer_weights(self.content_layers, self.content_layer_weights, "content_layer_weights")
        _layer_weights(self.style_layers, self.style_layer_weights, "style_layer_weights")
        self.schedule()  # validates scales and steps

    def schedule(self) -> Schedule:
        """The preset's schedule with any explicit scales or steps applied."""
        preset = QUALITY_PRESETS[self.quality]
        scales = tuple(self.scales) if self.scales is not None else preset.scales
        if self.steps is None:
            steps = preset.steps if len(preset.steps) == len(scales) else (preset.steps[-1],) * len(scales)
        else:
            steps = tuple(self.steps) * len(scales) if len(self.steps) == 1 else tuple(self.steps)
        if not scales or any(not (0 < s <= 1) for s in scales) or list(scales) != sorted(scales):
            raise ArgumentError(f"scales must rise within (0, 1], got {scales}", name="scales")
        if len(steps) != len(scales) or any(not isinstance(s, int) or s < 0 for s in steps):
            raise ArgumentError(f"steps: need one count ≥ 0 per scale ({len(scales)}), got {steps}", name="steps")
        return Schedule(scales, steps)


def _check_choice(name: str, value: object, allowed: Sequence[object]) -> None:
    if value not in allowed:
        raise ArgumentError(f"{name} must be one of {', '.join(map(str, allowed))}, got {value!r}", name=name)


def _check_non_negative(name: str, value: float) -> None:
    if not (isinstance(value, (int, float)) and 0 <= value < float("inf")):
        raise ArgumentError(f"{name} must be a finite number ≥ 0, got {value!r}", name=name)


def _check_positive(name: str, value: float) -> None:
    _check_non_negative(name, value)
    if value == 0:
        raise ArgumentError(f"{name} must be > 0", name=name)


def _layer_weights(layers: Sequence[str], weights: Sequence[float] | None, name: str) -> dict[str, float]:
    if weights is None:
        return {layer: 1.0 / len(layers) for layer in layers}
    if len(weights) != len(layers):
        raise ArgumentError(f"{name}: {len(weights)} weights for {len(layers)} layers", name=name)
    for weight in weights:
        _check_non_negative(name, weight)
    return dict(zip(layers, (float(w) for w in weights)))


@register_method
class OptimizeStylizer(Stylizer):
    """Optimize the result's pixels against content and style losses (Gatys et al. 2016).

    Example:
        >>> stylizer = OptimizeStylizer(OptimizeSettings(quality="draft", size=128))  # doctest: +SKIP
        >>> result = stylizer.stylize(photo, [painting])  # doctest: +SKIP
    """

    name = "optimize"
    Settings = OptimizeSettings
    summary = "optimize (Gatys): 10–30 s at 512 px on 2 cores, the closest match to any painting; a picture to keep"
    bytes_per_pixel = (
        3000.0  # measured ≈ 1.8 kB/px for the encoder's forward and backward, plus L-BFGS's history of 50 steps
    )
    settings: OptimizeSettings

    maps_strength = True  # strength scales β
    batched = False  # each photo is its own optimization
    temporal_loss = True  # a video frame starts from the previous result and is held to it (Ruder et al. 2016)

    def __init__(
        self,
        settings: OptimizeSettings | None = None,
        *,
        device: torch.device | str = "cpu",
        encoder: VGG19Encoder | None = None,
    ) -> None:
        super().__init__(settings, device=device)
        s = self.settings
        self._given_encoder = encoder.to(self.device) if encoder is not None else None
        self.encoder_for(s)  # load now, not on the first call

    def encoder_for(self, settings: OptimizeSettings) -> VGG19Encoder:
        """The encoder to the deepest layer these settings use (built once per process and depth)."""
        if self._given_encoder is not None:
            return self._given_encoder
        last = deepest([*settings.content_layers, *settings.style_layers])
        return get_encoder(settings.weights, settings.pooling, last).to(self.device)

    @classmethod
    def total_steps(cls, settings: OptimizeSettings) -> int:
        return sum(settings.schedule().steps)

    @classmethod
    def scale_tile_side(cls, settings: OptimizeSettings, width: int, height: int) -> int | None:
        """Tile side for optimizing a ``width`` × ``height`` scale, or None to optimize it whole."""
        if settings.tile < 0:
            return None
        if settings.tile:
            return settings.tile if max(width, height) > settings.tile else None
        # Whole while it fits both the budget and the memory free now (after the whole-image state).
        free = memory.available_memory() - memory.BASE_BYTES - width * height * TILED_STATE_BYTES
        if width * height * cls.bytes_per_pixel <= min(WHOLE_BUDGET, free):
            return None
        return tile_side(TILE_BYTES_PER_PIXEL, budget=TILE_WORK_BUDGET)

    @classmethod
    def peak_bytes_per_pixel(cls, settings: OptimizeSettings, width: int, height: int) -> float:
        side = cls.scale_tile_side(settings, width, height)
        if side is None:
            return cls.bytes_per_pixel
        return TILED_STATE_BYTES + TILE_BYTES_PER_PIXEL * min(1.0, side * side / (width * height))

    def _run(self, content: torch.Tensor, styles: list[StyleImage], weights: list[float], *,
             init: torch.Tensor | None, masks: torch.Tensor | None, progress: Progress,
             frozen: object = None, temporal: TemporalGuide | None = None) -> torch.Tensor:  # fmt: skip
        """Optimize the pixels scale by scale; reports each iteration.

        A video frame (``temporal``) is optimized at its full size only, for ``frame_steps``, from the
        previous frame's result: the layout is already there, only what moved needs the work.
        """
        return _Run(self, content, styles, weights, init, progress, temporal).execute()


class _Run:
    """One stylization: the schedule's scales in turn, carrying the image up between them."""

    def __init__(
        self,
        stylizer: OptimizeStylizer,
        content: torch.Tensor,
        styles: Sequence[StyleImage],
        alphas: list[float],
        init: torch.Tensor | None,
        progress: Progress,
        temporal: TemporalGuide | None = None,
    ) -> None:
        self.settings = stylizer.settings
        self.device = stylizer.device
        self.content = content  # at the result size, already grey where the photo's colours are kept
        self.style_images = styles  # with their cache keys, for a one-pass start
        self.styles = [style.image.to(self.device) for style in styles]
        self.one_pass: torch.Tensor | None = None  # a one-pass start at the result's size, when there is one
        self.alphas = alphas
        self.temporal = temporal
        self.init = temporal.previous if temporal is not None else init
        self.progress = progress
        self.schedule = Schedule((1.0,), (self.settings.frame_steps,)) if temporal else self.settings.schedule()
        self.total = sum(self.schedule.steps)
        self.done = 0
        # A step's cost grows with its pixel count, so progress (and the CLI's ETA) is weighted by it.
        costs = [fraction**2 * steps for fraction, steps in zip(self.schedule.scales, self.schedule.steps)]
        self.step_costs = [fraction**2 / (sum(costs) or 1.0) for fraction in self.schedule.scales]
        self.work_done = 0.0
        self.scale_index = 0
        self.loss = self._make_loss(stylizer.encoder_for(self.settings))

    def _make_loss(self, encoder: VGG19Encoder) -> PerceptualLoss:
        s = self.settings
        return PerceptualLoss(
            encoder,
            content_layers=_layer_weights(s.content_layers, s.content_layer_weights, "content_layer_weights"),
            style_layers=_layer_weights(s.style_layers, s.style_layer_weights, "style_layer_weights"),
            content_weight=s.content_weight,
            style_weight=s.style_weight * s.strength,
            tv_weight=s.tv_weight,
            style_loss=s.style_loss,
            compute_dtype=resolve_precision(s.precision, self.device),
        )

    def execute(self) -> torch.Tensor:
        image: torch.Tensor | None = None
        for index, (fraction, steps) in enumerate(zip(self.schedule.scales, self.schedule.steps)):
            self.scale_index = index
            height, width = self._scale_size(fraction)
            content = resize_tensor(self.content, (height, width))
            image = self._initial(content) if image is None else self._carried(image, index)
            stage = f"scale {index + 1}/{len(self.schedule.scales)} ({max(height, width)} px)"
            side = OptimizeStylizer.scale_tile_side(self.settings, width, height)
            if side is not None:
                image = self._optimize_tiled(image, content, steps, stage, side)
                continue
            # A thin photo (a 100:1 panorama) is padded to VGG's minimum side for the optimization and
            # cropped back, so the result keeps the photo's shape.
            self._set_targets(pad_to_multiple(content, 1, minimum=MIN_SIDE))
            memory.release_freed()  # the style analysis's buffers, before the optimization's peak
            image = crop_to(self._optimize(pad_to_multiple(image, 1, minimum=MIN_SIDE), steps, stage), content)
        assert image is not None
        return image

    def _optimize_tiled(self, image: torch.Tensor, content: torch.Tensor, steps: int, stage: str, side: int
                        ) -> torch.Tensor:  # fmt: skip
        """Optimize a scale too large to run whole: each step sums the gradients of non-overlapping tiles
        (each against the same global style targets and the whole photo's content scale), on a grid that
        shifts at every step so no tile border stays in one place; then one Adam step on the whole image."""
        self._set_targets(thumbnail(content, side=side), long_side=max(content.shape[-2:]), tile=side)
        pixels = image.detach()  # updated in place: a 16 MP scale keeps no second copy
        pixels.grad = torch.zeros_like(pixels)
        rate = self.settings.learning_rate if self.settings.optimizer == "adam" and self.settings.learning_rate \
            else TILED_LEARNING_RATE  # fmt: skip
        optimizer = torch.optim.Adam([pixels], lr=rate)
        height, width = pixels.shape[-2:]
        for step in range(steps):
            pixels.grad.zero_()
            boxes = shifted_partition(height, width, side, step)
            sums: dict[str, float] = {}
            for number, box in enumerate(boxes, start=1):
                share = (box.bottom - box.top) * (box.right - box.left) / (height * width)
                for name, value in self._tile_gradient(pixels, content, box, share).items():
                    sums[name] = sums.get(name, 0.0) + share * value
                self.work_done += self.step_costs[self.scale_index] * share
                last = number == len(boxes)
                self.done += int(last)
                self._report(pixels, f"{stage}, tile {number}/{len(boxes)}", sums if last else {}, with_preview=last)
            optimizer.step()
            with torch.no_grad():
                pixels.clamp_(0, 1)
        return pixels.detach()

    def _tile_gradient(self, pixels: torch.Tensor, content: torch.Tensor, box: Box, share: float
                       ) -> dict[str, float]:  # fmt: skip
        """Add one tile's share of the loss gradient into ``pixels.grad``; returns the tile's losses."""
        self.loss.set_content(box.of(content), keep_scale=True)
        tile = box.of(pixels).detach().requires_grad_(True)
        total, parts = self.loss(tile)
        (total * share).backward()
        loss = float(total.detach())
        assert tile.grad is not None and pixels.grad is not None
        box.of(pixels.grad).add_(tile.grad)
        del tile, total
        memory.release_freed()  # tiles of varying sizes fragment the heap (see memory.release_freed)
        return {"total": loss, **parts}

    def _scale_size(self, fraction: float) -> tuple[int, int]:
        long_side = max(MIN_SIDE, round(max(self.content.shape[-2:]) * fraction))
        width, height = fit_long_side(self.content.shape[-1], self.content.shape[-2], long_side)
        return height, width

    def _carried(self, image: torch.Tensor, index: int) -> torch.Tensor:
        """The previous scale's result brought up to scale ``index``; from a one-pass start, with that start's
        detail finer than the previous scale put back, so this scale begins with brush texture instead of a
        blur. Measured from wct on 3 photos × 9 paintings (bench/arbitrary.py): the default preset's gram_ratio
        in (20, 10) steps at scales (0.5, 1), 56 % of its time; with the blurred start it took (30, 12), 65 %."""
        height, width = self._scale_size(self.schedule.scales[index])
        image = resize_tensor(image, (height, width))
        if self.one_pass is None:
            return image
        start = resize_tensor(self.one_pass, (height, width))
        coarse = resize_tensor(resize_tensor(start, self._scale_size(self.schedule.scales[index - 1])), (height, width))
        return image.add_(start).sub_(coarse).clamp_(0, 1)

    def _initial(self, content: torch.Tensor) -> torch.Tensor:
        if self.init is not None:  # a start image handed in (the previous video frame, a one-pass result)
            return resize_tensor(self.init.to(content), tuple(content.shape[-2:])).clone()  # type: ignore[arg-type]
        init = self.settings.init
        if init == "content":
            return content.clone()
        if init in ONE_PASS_STARTS:  # a one-pass method's result: layout and palette done, texture left to refine
            from ..loading import load

            # At the result's size (its texture then serves every scale, see _carried), with the styles' cache keys.
            prepared = PreparedStyles(tuple(self.style_images), tuple(self.alphas))
            self.one_pass = load(init, device=self.device).stylize_tensor(self.content, prepared)
            return resize_tensor(self.one_pass, tuple(content.shape[-2:]))  # type: ignore[arg-type]
        if init == "random":
            generator = torch.Generator().manual_seed(self.settings.seed)
            return torch.rand(content.shape, generator=generator).to(content)
        path = Path(init)
        start = image_to_tensor(load_image(path, label="init image"), device=self.device)
        return resize_tensor(start, tuple(content.shape[-2:]))  # type: ignore[arg-type]

    def _set_targets(self, content: torch.Tensor, *, long_side: int | None = None, tile: int | None = None) -> None:
        """Content and mixed style targets for this scale, computed once and kept for every step.

        ``long_side``: the scale's (when ``content`` is a thumbnail of it); ``tile``: analyse the
        styles in tiles of this side, so a painting enlarged to a print size fits in memory.
        """
        s = self.settings
        long_side = max(MIN_SIDE, round((long_side or max(content.shape[-2:])) * s.style_scale))
        styles = []
        for style in self.styles:
            width, height = fit_long_side(style.shape[-1], style.shape[-2], long_side)
            styles.append(resize_tensor(style, (max(height, MIN_SIDE), max(width, MIN_SIDE))))
        self.loss.set_content(content)
        self.loss.set_styles(styles, self.alphas, tile=tile)

    def _optimize(self, image: torch.Tensor, steps: int, stage: str) -> torch.Tensor:
        pixels = image.detach().clone().contiguous().requires_grad_(True)
        if steps == 0:
            return pixels.detach()
        s = self.settings
        if s.optimizer == "lbfgs":
            self._lbfgs(pixels, steps, stage)
        else:
            self._adam(pixels, steps, stage)
        return pixels.detach().clamp_(0, 1)

    def _lbfgs(self, pixels: torch.Tensor, steps: int, stage: str) -> None:
        # No line search and lr 1, as in Johnson's neural-style: one evaluation per iteration,
        # so "steps" is an honest count of encoder passes.
        pair_bytes = 2 * pixels.numel() * pixels.element_size()
        history = max(LBFGS_MIN_HISTORY, min(LBFGS_HISTORY, LBFGS_HISTORY_BYTES // pair_bytes))
        minimize_lbfgs(lambda: self._evaluate(pixels, stage), pixels, steps,
                       learning_rate=self.settings.learning_rate or 1.0, history_size=history)  # fmt: skip

    def _adam(self, pixels: torch.Tensor, steps: int, stage: str) -> None:
        optimizer = torch.optim.Adam([pixels], lr=self.settings.learning_rate or 0.02)
        for _ in range(steps):
            optimizer.step(lambda: self._evaluate(pixels, stage))

    def _evaluate(self, pixels: torch.Tensor, stage: str) -> torch.Tensor:
        pixels.grad = None
        total, parts = self.loss(pixels)
        if self.temporal is not None and self.settings.temporal_weight:
            guide = self.temporal
            temporal = (guide.confidence * (pixels - guide.previous).square()).mean()
            total = total + self.settings.temporal_weight * temporal
            parts["temporal"] = float(temporal.detach())
        total.backward()
        self.done += 1
        self.work_done += self.step_costs[self.scale_index]
        self._report(pixels, stage, {"total": float(total.detach()), **parts})
        return total

    def _report(self, pixels: torch.Tensor, stage: str, losses: dict[str, float], *, with_preview: bool = True
                ) -> None:  # fmt: skip
        every = self.settings.save_every
        preview = tensor_to_image(pixels) if with_preview and every and self.done % every == 0 else None
        fraction = min(1.0, self.work_done) if self.done < self.total else 1.0
        self.progress.report(stage, self.done, fraction, losses, preview)
