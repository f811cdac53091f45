"""The Gatys loss step through VGG19 with a hand-written backward pass.

Autograd's generic backward of conv → ReLU → max-pool spent about a third of a step at 512 px
on an AMX CPU in elementwise passes between the convolutions (ReLU forward and backward, the
Gram gradient's division and its addition into the running gradient, a slow max-pool backward),
and autocast converted every conv weight to bfloat16 again on every step
(``bench/results/optimize.md`` has the profile). This module computes exactly the objective of
``PerceptualLoss`` (same terms, same normalisation) and its gradient with less memory traffic:

- each convolution runs with its ReLU fused in (a oneDNN post-op), from weights converted to the
  compute dtype and laid out for oneDNN once per encoder;
- the backward of a convolution is the forward convolution of the gradient with the kernel
  flipped and transposed (one oneDNN forward kernel: as fast or faster than its backward-data one);
- at a max-pool whose input only feeds the pool, the ReLU backward is applied on the pooled grid
  (the ReLU passed the argmax exactly where the pooled maximum is positive), on 4× fewer
  elements, and the pool backward is an unpool from its saved indices (3× faster than aten's
  max-pool backward here; called as the aten op, as ``F.max_unpool2d``'s Python checks cost more
  than the unpool);
- each style layer's gradient ``F·(G − T)`` is added into the running gradient inside its matmul;
- only what the backward needs is kept: ReLU outputs that carry a mask or a loss, pooled outputs
  and pool indices.

It serves the common case: CPU, float32 images, Gram style losses, features at ReLU layers.
``PerceptualLoss`` falls back to autograd for anything else (``fused_step_supported``).
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, cast

import torch
import torch.nn.functional as F

from ..encoders.vgg import VGG19Encoder
from ..fused_conv import convolve, pack_weight
from ..memory import release_freed

if TYPE_CHECKING:
    from .perceptual import PerceptualLoss

__all__ = ["encode_features", "fused_step", "fused_step_supported"]

_CHANNELS_LAST = torch.channels_last
# Above this many pixels a step recomputes VGG's first block in its backward pass rather than keep it: 5 % more
# FLOPs per step; a 1024 px default run peaked at 1.31–1.37 GB with it against 1.55–1.64 GB without (3 runs each).
CHECKPOINT_ABOVE_PIXELS = 512 * 512


@dataclass
class _Kernels:
    """One encoder's conv weights in one dtype: forward (with bias) and flipped-transposed for backward."""

    forward: dict[str, tuple[torch.Tensor, torch.Tensor]] = field(default_factory=dict)
    backward: dict[str, torch.Tensor] = field(default_factory=dict)


_KERNELS: weakref.WeakKeyDictionary[VGG19Encoder, dict[torch.dtype, _Kernels]] = weakref.WeakKeyDictionary()


def _kernels(encoder: VGG19Encoder, dtype: torch.dtype) -> _Kernels:
    per_dtype = _KERNELS.setdefault(encoder, {})
    if dtype not in per_dtype:
        kernels = _Kernels()
        for name, layer in encoder.layers.items():
            if isinstance(layer, torch.nn.Conv2d):
                weight = layer.weight.detach().to(dtype)
                kernels.forward[name] = (pack_weight(weight), layer.bias.detach().to(dtype))  # type: ignore[union-attr]
                kernels.backward[name] = pack_weight(weight.flip(2, 3).transpose(0, 1))
        per_dtype[dtype] = kernels
        release_freed()  # the conversion's temporaries: ~50 MB that glibc would keep
    return per_dtype[dtype]


def _rows(features: torch.Tensor) -> torch.Tensor:
    """``(B, C, H, W)`` channels-last → ``(B, HW, C)``, a view."""
    batch, channels, height, width = features.shape
    return features.permute(0, 2, 3, 1).reshape(batch, height * width, channels)


def fused_step_supported(loss: PerceptualLoss, image: torch.Tensor, layers: list[str]) -> bool:
    """Whether ``fused_step`` (and ``encode_features``) serve this loss and ``layers``: CPU, float32,
    Gram style, features at ReLU layers of a plain conv/ReLU/max-pool VGG."""
    return (
        image.device.type == "cpu"
        and image.dtype == torch.float32
        and image.dim() == 4
        and loss.style_loss == "gram"
        and loss.compute_dtype in (torch.float32, torch.bfloat16)
        and isinstance(loss.encoder, VGG19Encoder)
        and all(layer.startswith("relu") for layer in layers)
        and all(isinstance(layer, torch.nn.ReLU | torch.nn.Conv2d | torch.nn.MaxPool2d)
                for layer in loss.encoder.layers.values())
    )  # fmt: skip


def encode_features(encoder: VGG19Encoder, image: torch.Tensor, layers: list[str], dtype: torch.dtype
                    ) -> dict[str, torch.Tensor]:  # fmt: skip
    """Features at ReLU ``layers`` in ``dtype``, without autograd (targets, evaluation)."""
    with torch.no_grad():
        return _Forward(encoder, dtype, set(layers), keep=False).run(image).features


class _Forward:
    """The encoder's forward pass with fused conv + ReLU, keeping what a backward pass will need.

    ``checkpoint_first_block``: keep only the block's input and recompute the pool indices, then the
    first ReLU output, when the backward pass reaches them: one full-size convolution more per step,
    and the three largest tensors of a print-size step are never alive together.
    """

    def __init__(self, encoder: VGG19Encoder, dtype: torch.dtype, wanted: set[str], *, keep: bool,
                 checkpoint_first_block: bool = False) -> None:  # fmt: skip
        self.encoder, self.dtype, self.wanted, self.keep = encoder, dtype, wanted, keep
        self.names = list(encoder.layers)
        self.stop = max(wanted, key=self.names.index)
        self.names = self.names[: self.names.index(self.stop) + 1]
        self.kernels = _kernels(encoder, dtype)
        self.features: dict[str, torch.Tensor] = {}
        self.kept: dict[str, Any] = {}  # ReLU outputs (masks, losses) and (indices, input size, pooled) per pool
        first_pool = self.names.index("pool1") if "pool1" in self.names else -1
        self.keep_from = first_pool + 1 if keep and checkpoint_first_block else 0
        self.input: torch.Tensor | None = None

    def output_needed(self, index: int) -> bool:
        """Whether backward needs this ReLU's output: for a loss, or as a mask (a pool's input needs none)."""
        following = self.names[index + 1] if index + 1 < len(self.names) else "end"
        return self.names[index] in self.wanted or not following.startswith("pool")

    def run(self, image: torch.Tensor) -> _Forward:
        x = self.encoder.preprocess(image).to(self.dtype).contiguous(memory_format=_CHANNELS_LAST)
        if self.keep_from:
            self.input = x
        self._through(x, len(self.names), keep_from=self.keep_from)
        return self

    def take(self, index: int) -> Any:
        """What backward needs of layer ``index`` (recomputed from the input if it was not kept), once."""
        name = self.names[index]
        if name not in self.kept:
            assert self.input is not None, f"{name} was neither kept nor checkpointed"
            self._through(self.input, index + 1, keep_from=index)
        return self.kept.pop(name)

    def _through(self, x: torch.Tensor, end: int, *, keep_from: int) -> None:
        for index, name in enumerate(self.names[:end]):
            keep = self.keep and index >= keep_from
            if name.startswith("conv"):
                weight, bias = self.kernels.forward[name]
                x = convolve(x, weight, bias, activation="relu")  # the next layer is its ReLU, applied here
            elif name.startswith("relu"):
                if name in self.wanted:
                    self.features[name] = x
                if keep and self.output_needed(index):
                    self.kept[name] = x
            else:
                pooled, indices = F.max_pool2d_with_indices(x, (2, 2), (2, 2))
                if keep:
                    self.kept[name] = (indices, x.shape[-2:], pooled)
                x = pooled


class _Step(torch.autograd.Function):
    """Total of the content and style terms (``PerceptualLoss``'s, TV aside) with a hand-written backward."""

    @staticmethod
    def forward(ctx: Any, image: torch.Tensor, loss: PerceptualLoss, parts: dict[str, float]) -> torch.Tensor:
        checkpoint = image.shape[-2] * image.shape[-1] > CHECKPOINT_ABOVE_PIXELS
        forward = _Forward(loss.encoder, loss.compute_dtype, set(loss.layers), keep=ctx.needs_input_grad[0],
                           checkpoint_first_block=checkpoint).run(image)  # fmt: skip
        style_total = torch.zeros((), dtype=torch.float32)
        content_total = torch.zeros((), dtype=torch.float32)
        # Per layer, what backward adds: ∂L/∂rows = rows·M for a (B, C, C) matrix M; for content, c·(F − target).
        matrices: dict[str, torch.Tensor] = {}
        content_coefficients: dict[str, float] = {}
        for layer, weight in loss.style_layers.items():
            features = forward.features[layer]
            rows = _rows(features)
            norm = float(rows.shape[1] * rows.shape[2])
            target = cast(torch.Tensor, loss.style_terms[layer].target)
            difference = torch.bmm(rows.transpose(1, 2), rows).float().div_(norm) - target
            scale = loss._scales[f"style:{layer}"]
            style_total += weight * difference.square().mean() / scale
            # d mean((G − T)²) / dG = 2(G − T)/n; through G = RᵀR/norm: ∂/∂R = R·2·dG/norm (G − T is symmetric).
            coefficient = 4.0 * loss.style_weight * weight / (scale * difference.numel() * norm)
            matrices[layer] = difference.mul_(coefficient)
        for layer, weight in loss.content_layers.items():
            if layer not in loss.content_terms:
                continue
            difference = forward.features[layer].float() - cast(torch.Tensor, loss.content_terms[layer].target)
            scale = loss._scales[f"content:{layer}"]
            content_total += weight * difference.square().mean() / scale
            if loss.content_weight > 0:
                content_coefficients[layer] = 2.0 * loss.content_weight * weight / (scale * difference.numel())
        parts["content"], parts["style"] = float(content_total), float(style_total)
        forward.features.clear()  # what backward needs is in forward.kept
        if ctx.needs_input_grad[0]:
            ctx.forward, ctx.matrices, ctx.content_coefficients = forward, matrices, content_coefficients
            ctx.content_targets = {layer: loss.content_terms[layer].target for layer in content_coefficients}
        return (loss.content_weight * content_total + loss.style_weight * style_total).to(image.dtype)

    @staticmethod
    def backward(ctx: Any, grad_total: torch.Tensor) -> tuple[torch.Tensor, None, None]:
        forward: _Forward = ctx.forward
        dtype = forward.dtype
        scale = float(grad_total)
        gradient: torch.Tensor | None = None
        for index in range(len(forward.names) - 1, -1, -1):
            name = forward.names[index]
            if name.startswith("relu"):
                output = forward.take(index) if forward.output_needed(index) else None
                gradient = _add_loss_gradients(gradient, name, output, ctx, scale, dtype)
                if gradient is not None and output is not None:  # else masked on the pooled grid already
                    _relu_backward_(gradient, output)
            elif name.startswith("conv"):
                if gradient is not None:
                    gradient = convolve(gradient, forward.kernels.backward[name], None)
            else:
                indices, size, pooled = forward.take(index)
                if gradient is not None:
                    if not forward.output_needed(index - 1):  # the ReLU before only fed this pool
                        _relu_backward_(gradient, pooled)
                    # aten's op itself: F.max_unpool2d's checks import sympy (0.5 s, once) and cost ≈ 2 ms a call
                    gradient = torch.ops.aten.max_unpool2d(gradient, indices, list(size))
                del indices, pooled
        ctx.forward = ctx.matrices = ctx.content_coefficients = ctx.content_targets = None
        assert gradient is not None
        preprocess = forward.encoder.preprocess
        if preprocess.bgr:
            gradient = gradient.flip(1)
        return gradient.float() * preprocess.multiplier, None, None


def _relu_backward_(gradient: torch.Tensor, output: torch.Tensor) -> None:
    """Zero ``gradient`` where the ReLU ``output`` is 0, in place (no second full-size gradient)."""
    torch.ops.aten.threshold_backward.grad_input(gradient, output, 0, grad_input=gradient)


def _add_loss_gradients(gradient: torch.Tensor | None, layer: str, output: torch.Tensor | None, ctx: Any,
                        scale: float, dtype: torch.dtype) -> torch.Tensor | None:  # fmt: skip
    """The running gradient at a ReLU output plus that layer's style and content gradients."""
    matrix = ctx.matrices.get(layer)
    if matrix is not None:
        assert output is not None
        rows, matrix = _rows(output), (matrix * scale).to(dtype)
        if gradient is None:
            added = torch.bmm(rows, matrix)
        else:  # in place, into a view of the running gradient: no copy of it
            added = _rows(gradient.contiguous(memory_format=_CHANNELS_LAST)).baddbmm_(rows, matrix)
        batch, channels, height, width = output.shape
        gradient = added.view(batch, height, width, channels).permute(0, 3, 1, 2)
    coefficient = ctx.content_coefficients.get(layer)
    if coefficient is not None:
        assert output is not None
        term = (output.float() - ctx.content_targets[layer]).mul_(coefficient * scale).to(dtype)
        gradient = term if gradient is None else gradient.add_(term)
    return gradient


def fused_step(loss: PerceptualLoss, image: torch.Tensor) -> tuple[torch.Tensor, dict[str, float]]:
    """``α·content + β·style`` of ``image`` and its parts, differentiable with respect to ``image``."""
    parts: dict[str, float] = {}
    total = _Step.apply(image, loss, parts)
    return total, parts
