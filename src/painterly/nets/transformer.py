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
it (``FusedStyleNet``): the tiles then run convolutions only, their activations fused in.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from ..fused_conv import convolve, pack_weight

__all__ = ["ConditionalInstanceNorm", "FusedStyleNet", "NormStatistics", "StyleNet", "channel_statistics"]

_EPS = 1e-5  # nn.InstanceNorm2d's


def channel_statistics(x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Per image and channel, the mean and (biased) variance of ``(B, C, H, W)`` x, float32 ``(B, C, 1, 1)``.

    ``torch.var_mean`` over H and W took 43 ms per norm of a 2048 px thumbnail (it reduces across
    the channels-last rows one channel at a time). Here each image row is a block: one batched
    matmul gives every row's sums of x and of x² (accumulated in float32 inside the kernel, rounded
    once per row), and the rows are added in float32, so bfloat16 maps lose nothing that matters
    (≈ 1e-4 relative); a channels-last map is read in place, once per matmul.
    """
    batch, channels, height, width = x.shape
    rows = x.permute(0, 2, 3, 1).reshape(batch * height, width, channels)
    squares = torch.bmm(rows.transpose(1, 2), rows).diagonal(dim1=1, dim2=2)
    sums = torch.bmm(rows.new_ones(batch * height, 1, width), rows)[:, 0]
    sums, squares = (value.float().view(batch, height, channels).sum(1) for value in (sums, squares))
    mean = sums / (height * width)
    variance = (squares / (height * width) - mean.square()).clamp_min(0.0)
    return mean[..., None, None], variance[..., None, None]


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


def _through_unshuffle(weight: torch.Tensor) -> torch.Tensor:
    """A 3×3 kernel over ``pixel_unshuffle(image, 2)``'s channels as a 6×6 kernel over the image's: input
    channel ``4c + 2dy + dx`` at tap ``(ky, kx)`` reads pixel ``(2ky + dy, 2kx + dx)`` of channel ``c``."""
    out_channels, in_channels = weight.shape[:2]
    grouped = weight.view(out_channels, in_channels // 4, 2, 2, 3, 3)  # o, c, dy, dx, ky, kx
    return grouped.permute(0, 1, 4, 2, 5, 3).reshape(out_channels, in_channels // 4, 6, 6)


def _shuffle_to_float(x: torch.Tensor) -> torch.Tensor:
    """``pixel_shuffle(x, 2)`` of a channels-last ``(B, 4c, H, W)`` map as a contiguous float32 ``(B, c, 2H, 2W)``
    in one copy (the shuffle alone returns channels-last, which the tiles' blending then reads across)."""
    batch, channels, height, width = x.shape
    grouped = x.permute(0, 2, 3, 1).reshape(batch, height, width, channels // 4, 2, 2)  # b, h, w, c, dy, dx
    return grouped.permute(0, 3, 1, 4, 2, 5).float().reshape(batch, channels // 4, 2 * height, 2 * width)


class _FusedLayer:
    """One convolution of a ``StyleNet`` and the instance norm after it (if any), for one blend of styles.

    With frozen statistics the norm folds into the convolution: ``W·a`` and ``(b − μ)·a + shift``,
    ``a = scale / √(σ² + ε)``. Without them the convolution runs bare, the norm measures its output
    (``channel_statistics``) and is applied in one pass in the compute dtype. ``group``
    output channels share a norm channel (a pixel shuffle follows the convolution).
    """

    def __init__(self, conv: nn.Conv2d, norm: ConditionalInstanceNorm | None, style_weights: torch.Tensor,
                 dtype: torch.dtype, statistics: tuple[torch.Tensor, torch.Tensor] | None = None, *,
                 group: int = 1, unshuffled: bool = False) -> None:  # fmt: skip
        weight, bias = conv.weight.detach().float(), conv.bias.detach().float()  # type: ignore[union-attr]
        self.stride, self.padding = conv.stride[0], 1
        if unshuffled:  # pixel-unshuffle by 2, then this conv = one 6×6 conv with stride 2 on the image itself
            weight, self.stride, self.padding = _through_unshuffle(weight), 2, 2
        self.scale: torch.Tensor | None = None
        self.shift: torch.Tensor | None = None
        if norm is not None:
            scale, shift = (style_weights @ values.detach().float() for values in (norm.scale, norm.shift))
            if statistics is None:
                self.scale, self.shift = scale[:, None, None], shift[:, None, None]
            else:
                mean, variance = (value.reshape(-1) for value in statistics)
                gain = scale * torch.rsqrt(variance + _EPS)
                gain, mean, shift = (value.repeat_interleave(group) for value in (gain, mean, shift))
                weight, bias = weight * gain[:, None, None, None], (bias - mean) * gain + shift
        self.group, self.dtype = group, dtype
        # The mean and variance an inference-mode batch norm subtracts and divides by: none (see __call__).
        self.zeros, self.ones = (torch.full((weight.shape[0],), value, device=weight.device) for value in (0.0, 1.0))
        self.weight = pack_weight(weight.to(dtype), stride=self.stride, padding=self.padding)
        self.bias = bias.to(dtype)

    def __call__(self, x: torch.Tensor, activation: str = "none", add: torch.Tensor | None = None,
                 record: NormStatistics | None = None) -> torch.Tensor:  # fmt: skip
        if self.scale is None or self.shift is None:  # no norm, or folded into the weights
            return convolve(x, self.weight, self.bias, stride=self.stride, padding=self.padding,
                            activation=activation, add=add)  # fmt: skip
        z = convolve(x, self.weight, self.bias, stride=self.stride, padding=self.padding)
        mean, variance = channel_statistics(z)
        if self.group > 1:  # the norm's channel is the group's: pool the sub-channels' moments
            batch = z.shape[0]
            squares = (variance + mean.square()).view(batch, -1, self.group).mean(2)
            mean = mean.view(batch, -1, self.group).mean(2)
            mean, variance = mean[..., None, None], (squares[..., None, None] - mean[..., None, None].square())
        if record is not None:
            record.values.append((mean, variance))
        gain = self.scale * torch.rsqrt(variance + _EPS)
        offset = self.shift - mean * gain
        if self.group > 1:
            gain, offset = (value.repeat_interleave(self.group, dim=1) for value in (gain, offset))
        if z.shape[0] == 1:  # as an inference batch norm: one pass, float inside; 35 % faster than addcmul
            y = F.batch_norm(z, self.zeros, self.ones, gain.view(-1), offset.view(-1), False, 0.0, 0.0)
        else:
            y = torch.addcmul(offset.to(self.dtype), z, gain.to(self.dtype))
        if add is not None:
            y = y.add_(add)
        return y.relu_() if activation == "relu" else y


class FusedStyleNet:
    """``StyleNet`` inference for one blend of its styles: 2 + 2·blocks + 2 convolutions with their
    ReLU, residual addition or sigmoid fused in, in ``dtype`` end to end, no autograd.

    Without ``statistics`` it is ``net(image, style_weights)``: each norm measures its input, per
    image, and is applied in one pass. With a thumbnail's ``statistics`` it is
    ``net(image, style_weights, statistics.replay())``, every norm folded into its convolution, so a
    tile runs convolutions only. Both equal the trained network to float rounding (float32) or
    bfloat16 rounding. The network's own forward spent 84 % of a 16 MP run in elementwise passes
    (norms in float32, autocast's casts, ReLU); training and ONNX export still use it.

    Args:
        net: the trained network.
        style_weights: ``(S,)`` blend of its styles.
        dtype: the compute dtype (bfloat16 where the CPU has it natively).
        statistics: instance-norm statistics recorded on a thumbnail of one photo (a batch of one).
    """

    def __init__(self, net: StyleNet, style_weights: torch.Tensor, dtype: torch.dtype = torch.float32,
                 statistics: NormStatistics | None = None) -> None:  # fmt: skip
        if statistics is not None and any(mean.shape[0] != 1 for mean, _ in statistics.values):
            raise ValueError("FusedStyleNet folds the statistics of one photo; record them per photo")
        values = iter(statistics.values) if statistics is not None else None
        weights = style_weights.detach().float().reshape(-1)

        def layer(conv: nn.Module, norm: ConditionalInstanceNorm | None, *, group: int = 1,
                  unshuffled: bool = False) -> _FusedLayer:  # fmt: skip
            assert isinstance(conv, nn.Conv2d)
            frozen = next(values) if values is not None and norm is not None else None
            return _FusedLayer(conv, norm, weights, dtype, frozen, group=group, unshuffled=unshuffled)

        def pair(block: nn.Module) -> tuple[_FusedLayer, _FusedLayer]:
            assert isinstance(block, _Residual)
            return layer(block.first.conv, block.first.norm), layer(block.second.conv, block.second.norm)

        self.dtype, self.frozen = dtype, statistics is not None
        self.stem = layer(net.stem.conv, net.stem.norm, unshuffled=True)  # takes the image itself
        self.down = layer(net.down.conv, net.down.norm)
        self.residuals = [pair(block) for block in net.residuals]
        self.up = layer(net.up, net.up_norm, group=4)
        self.head = layer(net.head, None)

    def __call__(self, image: torch.Tensor, record: NormStatistics | None = None) -> torch.Tensor:
        """``(B, 3, H, W)`` in [0, 1], H and W divisible by 4 → the stylized images in float32.

        ``record``: a fresh ``NormStatistics`` that keeps what each norm measured (a thumbnail's).
        """
        if self.frozen and (record is not None or image.shape[0] != 1):
            raise ValueError("a FusedStyleNet with frozen statistics runs one photo and measures nothing")
        x = image.to(self.dtype).contiguous(memory_format=torch.channels_last)
        x = self.down(self.stem(x, "relu", record=record), "relu", record=record)
        for first, second in self.residuals:
            x = second(first(x, "relu", record=record), add=x, record=record)
        x = F.pixel_shuffle(self.up(x, "relu", record=record), 2)  # ReLU commutes with the shuffle
        return _shuffle_to_float(self.head(x, "sigmoid"))
