"""Feed-forward style networks for CPUs: one forward pass per image, one or many styles.

Johnson et al. (2016)'s image transformer does most of its work at full and half resolution
(9×9 convolutions there), ≈227 GFLOP at 1024×768. This one keeps the paper's shape, an
encoder, residual blocks at quarter resolution and a decoder, but enters and leaves through
pixel-(un)shuffle instead of full-resolution convolutions, so no convolution runs at full
resolution and the bulk runs at H/4. Upsampling is pixel-shuffle of a convolution's output
(sub-pixel convolution, Shi et al. 2016) instead of transposed convolution, which avoids
checkerboard artefacts. Normalization is conditional instance norm (Dumoulin et al. 2017):
one set of scale/shift parameters per style, so one network holds N styles and blends them
by mixing those parameters.

For tiles of a large photo, the instance norms can use statistics recorded on a thumbnail of
the whole photo (``NormStatistics``) instead of each tile's own, so the tiles agree. With the
statistics fixed, every norm is a per-channel affine map that folds into the convolution before
it (``FrozenStyleNet``): the tiles then run convolutions only, their activations fused in.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from ..fused_conv import conv3x3, pack_weight

__all__ = ["ConditionalInstanceNorm", "FrozenStyleNet", "NormStatistics", "StyleNet", "channel_statistics"]

_EPS = 1e-5  # nn.InstanceNorm2d's


_STATISTICS_BLOCK = 4096  # rows summed per matmul before the float32 total


def channel_statistics(x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Per image and channel, the mean and (biased) variance of ``(B, C, H, W)`` x, float32 ``(B, C, 1, 1)``.

    ``torch.var_mean`` over H and W took 43 ms per norm of a 2048 px thumbnail (it reduces across
    the channels-last rows one channel at a time); here the sums of ``x`` and of its squares come
    from matmuls over blocks of rows (6 ms), each block accumulated in float32 inside the kernel and
    the blocks added in float32, so bfloat16 maps lose nothing that matters (≈ 1e-4 relative).
    """
    channels, count = x.shape[1], x.shape[2] * x.shape[3]
    full = count - count % _STATISTICS_BLOCK
    means, variances = [], []
    for image in x:  # a channels-last map's rows are a view: no copy of the activations
        rows = image.permute(1, 2, 0).reshape(count, channels)
        parts = ([rows[:full].view(-1, _STATISTICS_BLOCK, channels)] if full else []) + (
            [rows[full:][None]] if full < count else [])  # fmt: skip
        sums = torch.stack([_block_sums(part) for part in parts]).sum(0)
        mean = sums[0] / count
        means.append(mean)
        variances.append((sums[1] / count - mean.square()).clamp_min(0.0))
    return torch.stack(means)[..., None, None], torch.stack(variances)[..., None, None]


def _block_sums(blocks: torch.Tensor) -> torch.Tensor:
    """``(N, rows, C)`` → float32 ``(2, C)``: the sums of x and of x² over all N·rows rows."""
    squares = torch.bmm(blocks.transpose(1, 2), blocks).diagonal(dim1=1, dim2=2)
    sums = torch.bmm(blocks.new_ones(blocks.shape[0], 1, blocks.shape[1]), blocks)[:, 0]
    return torch.stack([sums.float().sum(0), squares.float().sum(0)])


class NormStatistics:
    """Instance-norm means and variances recorded on one image, replayed on others (its tiles).

    A fresh object records: each norm, in network order, normalizes by its input's own statistics
    and keeps them. ``replay()`` gives a reader that hands them back in the same order.
    """

    def __init__(self, values: list[tuple[torch.Tensor, torch.Tensor]] | None = None) -> None:
        self.recording = values is None
        self.values: list[tuple[torch.Tensor, torch.Tensor]] = [] if values is None else values
        self.cursor = 0

    def replay(self) -> NormStatistics:
        return NormStatistics(self.values)

    def row(self, index: int) -> NormStatistics:
        """The statistics of batch item ``index`` alone (a reader, like ``replay``)."""
        return NormStatistics([(mean[index : index + 1], var[index : index + 1]) for mean, var in self.values])

    def normalize(self, x: torch.Tensor) -> torch.Tensor:
        if self.recording:
            mean, variance = channel_statistics(x)
            self.values.append((mean, variance))
        else:
            mean, variance = self.values[self.cursor]
            self.cursor += 1
        return (x.float() - mean) * torch.rsqrt(variance + _EPS)  # float32, as instance norm gives under autocast


class ConditionalInstanceNorm(nn.Module):
    """Instance norm whose affine scale and shift are chosen (or blended) per style.

    Shape:
        ``x`` ``(B, C, H, W)``, ``style_weights`` ``(B, S)`` rows summing to 1 → ``(B, C, H, W)``.
    """

    def __init__(self, channels: int, styles: int) -> None:
        super().__init__()
        self.norm = nn.InstanceNorm2d(channels, affine=False)
        self.scale = nn.Parameter(torch.ones(styles, channels))
        self.shift = nn.Parameter(torch.zeros(styles, channels))

    def forward(self, x: torch.Tensor, style_weights: torch.Tensor, norms: NormStatistics | None = None
                ) -> torch.Tensor:  # fmt: skip
        scale = (style_weights @ self.scale)[..., None, None]
        shift = (style_weights @ self.shift)[..., None, None]
        return (self.norm(x) if norms is None else norms.normalize(x)) * scale + shift


class _ConvNorm(nn.Module):
    def __init__(self, in_channels: int, out_channels: int, styles: int, *, stride: int = 1, relu: bool = True):
        super().__init__()
        self.conv = nn.Conv2d(in_channels, out_channels, 3, stride=stride, padding=1)
        self.norm = ConditionalInstanceNorm(out_channels, styles)
        self.relu = relu

    def forward(self, x: torch.Tensor, style_weights: torch.Tensor, norms: NormStatistics | None = None
                ) -> torch.Tensor:  # fmt: skip
        x = self.norm(self.conv(x), style_weights, norms)
        return torch.relu(x) if self.relu else x


class _Residual(nn.Module):
    def __init__(self, channels: int, styles: int) -> None:
        super().__init__()
        self.first = _ConvNorm(channels, channels, styles)
        self.second = _ConvNorm(channels, channels, styles, relu=False)

    def forward(self, x: torch.Tensor, style_weights: torch.Tensor, norms: NormStatistics | None = None
                ) -> torch.Tensor:  # fmt: skip
        return x + self.second(self.first(x, style_weights, norms), style_weights, norms)


class StyleNet(nn.Module):
    """Photo → stylized photo for one of ``styles`` styles (or a blend of them).

    Args:
        styles: number of styles the network holds.
        width: channels at half resolution; quarter resolution has twice as many.
        blocks: residual blocks at quarter resolution.

    Shape:
        ``(B, 3, H, W)`` in [0, 1] with H, W divisible by 4, and ``(B, styles)`` weights → ``(B, 3, H, W)``.

    Example:
        >>> StyleNet(styles=2)(torch.rand(1, 3, 32, 48), torch.tensor([[0.5, 0.5]])).shape
        torch.Size([1, 3, 32, 48])
    """

    def __init__(self, styles: int = 1, *, width: int = 32, blocks: int = 5) -> None:
        super().__init__()
        self.styles, self.width, self.blocks = styles, width, blocks
        self.unshuffle = nn.PixelUnshuffle(2)  # H → H/2, 3 → 12 channels, no arithmetic
        self.stem = _ConvNorm(12, width, styles)
        self.down = _ConvNorm(width, 2 * width, styles, stride=2)  # H/2 → H/4
        self.residuals = nn.ModuleList(_Residual(2 * width, styles) for _ in range(blocks))
        self.up = nn.Conv2d(2 * width, 4 * width, 3, padding=1)  # then shuffle: H/4 → H/2, width channels
        self.up_norm = ConditionalInstanceNorm(width, styles)
        self.head = nn.Conv2d(width, 12, 3, padding=1)  # then shuffle: H/2 → H, 3 channels
        self.shuffle = nn.PixelShuffle(2)

    def forward(self, image: torch.Tensor, style_weights: torch.Tensor, norms: NormStatistics | None = None
                ) -> torch.Tensor:  # fmt: skip
        """``norms``: record the instance-norm statistics (a new ``NormStatistics``) or replay recorded ones."""
        x = self.stem(self.unshuffle(image), style_weights, norms)
        x = self.down(x, style_weights, norms)
        for block in self.residuals:
            x = block(x, style_weights, norms)
        x = torch.relu(self.up_norm(self.shuffle(self.up(x)), style_weights, norms))
        return torch.sigmoid(self.shuffle(self.head(x)))

    def flops(self, height: int, width: int) -> float:
        """Convolution FLOPs (2 per multiply-add) for one ``height`` × ``width`` image."""
        half, quarter = height * width / 4, height * width / 16
        c = self.width
        per_position = {
            "stem": (12 * c * 9, half), "down": (c * 2 * c * 9, quarter),
            "residuals": (2 * self.blocks * (2 * c) ** 2 * 9, quarter), "up": (2 * c * 4 * c * 9, quarter),
            "head": (c * 12 * 9, half),
        }  # fmt: skip
        return sum(2.0 * macs * positions for macs, positions in per_position.values())


class _FoldedConv:
    """One convolution with the frozen norm after it folded in: ``W·a`` and ``(b − μ)·a + shift``,
    ``a = scale / √(σ² + ε)``; ``group`` output channels share a norm channel (before a pixel shuffle)."""

    def __init__(self, conv: nn.Conv2d, norm: ConditionalInstanceNorm | None, style_weights: torch.Tensor,
                 statistics: tuple[torch.Tensor, torch.Tensor] | None, dtype: torch.dtype, *, group: int = 1
                 ) -> None:  # fmt: skip
        weight, bias = conv.weight.detach().float(), conv.bias.detach().float()  # type: ignore[union-attr]
        if norm is not None and statistics is not None:
            mean, variance = (value.reshape(-1) for value in statistics)
            gain = (style_weights @ norm.scale.detach().float()) * torch.rsqrt(variance + _EPS)
            shift = style_weights @ norm.shift.detach().float()
            gain, mean, shift = (value.repeat_interleave(group) for value in (gain, mean, shift))
            weight, bias = weight * gain[:, None, None, None], (bias - mean) * gain + shift
        self.stride = conv.stride[0]
        self.weight, self.bias = pack_weight(weight.to(dtype), stride=self.stride), bias.to(dtype)

    def __call__(self, x: torch.Tensor, activation: str = "none", add: torch.Tensor | None = None) -> torch.Tensor:
        return conv3x3(x, self.weight, self.bias, stride=self.stride, activation=activation, add=add)


class FrozenStyleNet:
    """``StyleNet`` for one blend of its styles with instance-norm statistics recorded on a thumbnail:
    the same function as ``net(image, style_weights, statistics.replay())`` (to rounding), computed
    as 2 + 2·blocks + 2 convolutions with ReLU, residual addition and sigmoid fused in.

    On a 16 MP photo the replaying network spent 84 % of its time in elementwise passes (norms in
    float32, autocast's casts, ReLU); this one runs in ``dtype`` end to end.

    Args:
        net: the trained network.
        style_weights: ``(S,)`` blend of its styles.
        statistics: what the network recorded on a thumbnail of one photo (a batch of one).
        dtype: the compute dtype (bfloat16 where the CPU has it natively).
    """

    def __init__(self, net: StyleNet, style_weights: torch.Tensor, statistics: NormStatistics,
                 dtype: torch.dtype = torch.float32) -> None:  # fmt: skip
        values = iter(statistics.values)
        if any(mean.shape[0] != 1 for mean, _ in statistics.values):
            raise ValueError("FrozenStyleNet folds the statistics of one photo; record them per photo")
        weights = style_weights.detach().float().reshape(-1)

        def fold(layer: nn.Module) -> _FoldedConv:
            assert isinstance(layer, _ConvNorm)
            return _FoldedConv(layer.conv, layer.norm, weights, next(values), dtype)

        self.dtype = dtype
        self.stem, self.down = fold(net.stem), fold(net.down)
        self.residuals = [(fold(block.first), fold(block.second)) for block in net.residuals]  # type: ignore[arg-type]
        self.up = _FoldedConv(net.up, net.up_norm, weights, next(values), dtype, group=4)
        self.head = _FoldedConv(net.head, None, weights, None, dtype)

    def __call__(self, image: torch.Tensor) -> torch.Tensor:
        """``(1, 3, H, W)`` in [0, 1], H and W divisible by 4 → the stylized ``(1, 3, H, W)`` in float32."""
        x = F.pixel_unshuffle(image, 2).to(self.dtype).contiguous(memory_format=torch.channels_last)
        x = self.down(self.stem(x, "relu"), "relu")
        for first, second in self.residuals:
            x = second(first(x, "relu"), add=x)
        x = F.pixel_shuffle(self.up(x, "relu"), 2)  # ReLU commutes with the shuffle
        return F.pixel_shuffle(self.head(x, "sigmoid"), 2).float()
