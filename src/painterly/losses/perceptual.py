"""The style-transfer objective: weighted content + style + TV terms over one encoder pass.

Every method that learns or optimizes against a frozen encoder (Gatys optimization,
feed-forward training, decoder training) uses this one module, so the weights a user sets
mean the same thing everywhere.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Literal

import torch
from torch import nn

from ..encoders.vgg import VGG19Encoder, check_layers
from ..errors import ArgumentError
from ..precision import encoder_autocast
from ..tiling import Box, shifted_partition
from .fused_step import encode_features, fused_step, fused_step_supported
from .modules import ContentLoss, GramLoss, TVLoss, WassersteinLoss, normalize_weights

__all__ = ["STYLE_LOSSES", "PerceptualLoss", "StyleLossKind"]

StyleLossKind = Literal["gram", "wasserstein"]
STYLE_LOSSES: tuple[StyleLossKind, ...] = ("gram", "wasserstein")
_STYLE_CLASSES: dict[str, type[GramLoss] | type[WassersteinLoss]] = {"gram": GramLoss, "wasserstein": WassersteinLoss}


def _check_weights(weights: Mapping[str, float], what: str) -> dict[str, float]:
    check_layers(weights, what=what)
    for layer, weight in weights.items():
        if not (weight >= 0.0 and weight < float("inf")):
            raise ArgumentError(f"{what} weight for {layer} must be finite and ≥ 0, got {weight}", name=what)
    return dict(weights)


class PerceptualLoss(nn.Module):
    """``α·Σ wₗ·content + β·Σ wₗ·style + γ·TV`` with targets set once.

    Each layer's term is divided by the mean square of its own target (fixed when the
    target is set). This departs from Gatys et al. (2016), whose raw sums make β depend
    on the network's activation scale (Caffe features are ~255× larger than torchvision
    ones) and let the shallow layers dominate; normalized, the defaults carry over to any
    weight set and the per-layer weights say what share each layer gets.

    Args:
        encoder: frozen feature extractor with named layers.
        content_layers: layer → weight; style_layers: layer → weight.
        content_weight, style_weight, tv_weight: α, β, γ.
        style_loss: ``"gram"`` or ``"wasserstein"`` (mean/covariance).
        compute_dtype: dtype the encoder runs in (``torch.bfloat16`` where the CPU has it natively).
        fused: compute the step with ``fused_step``'s hand-written backward where it applies (about
            twice as fast on a CPU); ``False`` keeps autograd throughout (the reference it is tested against).
    """

    def __init__(
        self,
        encoder: VGG19Encoder,
        *,
        content_layers: Mapping[str, float],
        style_layers: Mapping[str, float],
        content_weight: float = 1.0,
        style_weight: float = 1.0,
        tv_weight: float = 0.0,
        style_loss: StyleLossKind = "gram",
        compute_dtype: torch.dtype = torch.float32,
        fused: bool = True,
    ) -> None:
        super().__init__()
        if style_loss not in STYLE_LOSSES:
            raise ArgumentError(f"style loss must be one of {', '.join(STYLE_LOSSES)}, got {style_loss!r}")
        for name, value in (("content weight", content_weight), ("style weight", style_weight),
                            ("tv weight", tv_weight)):  # fmt: skip
            if not (value >= 0.0 and value < float("inf")):
                raise ArgumentError(f"{name} must be finite and ≥ 0, got {value}", name=name)
        self.encoder = encoder
        self.content_layers = _check_weights(content_layers, "content layer")
        self.style_layers = _check_weights(style_layers, "style layer")
        self.content_weight, self.style_weight, self.tv_weight = content_weight, style_weight, tv_weight
        self.style_loss = style_loss
        self.compute_dtype = compute_dtype
        self.fused = fused
        self.content_terms = nn.ModuleDict()
        self.style_terms = nn.ModuleDict()
        self.tv = TVLoss()
        self._scales: dict[str, float] = {}
        self.layers = list(dict.fromkeys([*self.content_layers, *self.style_layers]))

    @torch.no_grad()
    def set_content(self, image: torch.Tensor, *, keep_scale: bool = False) -> None:
        """Fix the content targets from ``image`` ``(B, 3, H, W)``.

        ``keep_scale``: keep each layer's normalization from an earlier call (tiles of one image are
        measured against the whole image's scale, not each their own).
        """
        features = self._encode(image, list(self.content_layers))
        for layer, target in features.items():
            self.content_terms[layer] = ContentLoss(target)
            if not (keep_scale and f"content:{layer}" in self._scales):
                self._scales[f"content:{layer}"] = float(target.square().mean().clamp_min(1e-12))

    @torch.no_grad()
    def set_styles(self, images: Sequence[torch.Tensor], weights: Sequence[float] | None = None, *,
                   tile: int | None = None) -> None:  # fmt: skip
        """Fix the style targets from one or more images, mixed with weights αᵢ (normalized to sum 1).

        ``tile``: analyse images larger than this in non-overlapping tiles, one at a time (bounded
        memory for print sizes); each target is then the area-weighted mean of its tiles' statistics.
        """
        style_class = _STYLE_CLASSES[self.style_loss]
        alphas = normalize_weights(weights, len(images))
        mixed: dict[str, tuple[torch.Tensor, ...]] = {}
        for alpha, image in zip(alphas, images):
            height, width = image.shape[-2:]
            fits = tile is None or max(height, width) <= tile
            boxes = [Box(0, 0, height, width)] if fits else shifted_partition(height, width, tile, 0)  # type: ignore[arg-type]
            for box in boxes:
                share = alpha * (box.bottom - box.top) * (box.right - box.left) / (height * width)
                features = self._encode(box.of(image), list(self.style_layers))
                for layer in self.style_layers:
                    parts = tuple(share * part for part in style_class.statistics(features[layer]))
                    mixed[layer] = parts if layer not in mixed else tuple(a + b for a, b in zip(mixed[layer], parts))
        for layer in self.style_layers:
            term = style_class.from_statistics(mixed[layer])
            self.style_terms[layer] = term
            self._scales[f"style:{layer}"] = _target_scale(term)

    def _encode(self, image: torch.Tensor, layers: list[str]) -> dict[str, torch.Tensor]:
        """Encoder features in ``compute_dtype`` (see ``painterly.precision``).

        Grams are taken in that dtype too (3× faster in bfloat16 than float32 here); each
        loss is then compared with its float32 target in float32.
        """
        if self.fused and fused_step_supported(self, image, layers):
            return encode_features(self.encoder, image, layers, self.compute_dtype)
        with encoder_autocast(image.device, self.compute_dtype):
            return self.encoder(image, layers)

    def forward(
        self, image: torch.Tensor, content: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, dict[str, float]]:
        """Total loss and its parts (content, style, tv) as floats for progress reports.

        Args:
            image: the image being optimized or generated, RGB [0, 1].
            content: if given, content targets are taken from it for this call (training on batches).
        """
        if not self.style_terms:
            raise ArgumentError("set_styles() must be called before the loss is evaluated")
        if content is not None:
            self.set_content(content)
        elif self.content_weight > 0 and not self.content_terms:
            raise ArgumentError("set_content() must be called before the loss is evaluated")
        tv_total = self.tv(image) if self.tv_weight > 0 else image.new_zeros(())
        if self.fused and torch.is_grad_enabled() and fused_step_supported(self, image, self.layers):
            total, parts = fused_step(self, image)
            parts["tv"] = float(tv_total.detach())
            return total + self.tv_weight * tv_total, parts
        features = self._encode(image, self.layers)
        content_total = image.new_zeros(())
        style_total = image.new_zeros(())
        for layer, weight in self.content_layers.items():
            if layer in self.content_terms:
                term = self.content_terms[layer](features[layer]) / self._scales[f"content:{layer}"]
                content_total = content_total + weight * term
        for layer, weight in self.style_layers.items():
            style_total = (
                style_total + weight * self.style_terms[layer](features[layer]) / self._scales[f"style:{layer}"]
            )
        total = self.content_weight * content_total + self.style_weight * style_total + self.tv_weight * tv_total
        parts = {
            "content": float(content_total.detach()),
            "style": float(style_total.detach()),
            "tv": float(tv_total.detach()),
        }
        return total, parts


def _target_scale(term: nn.Module) -> float:
    """Mean square of a style target, used to normalize that layer's loss."""
    if isinstance(term, GramLoss):
        return float(term.target.square().mean().clamp_min(1e-12))
    assert isinstance(term, WassersteinLoss)
    # Second moment per channel: what the W2 distance is measured against.
    second_moment = (term.mean.square().sum(-1) + term.trace) / term.mean.shape[-1]
    return float(second_moment.mean().clamp_min(1e-12))
