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
the whole photo (``NormStatistics``) instead of each tile's own, so the tiles agree.
"""

from __future__ import annotations

import torch
from torch import nn

__all__ = ["ConditionalInstanceNorm", "NormStatistics", "StyleNet"]

_EPS = 1e-5  # nn.InstanceNorm2d's


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

    def normalize(self, x: torch.Tensor) -> torch.Tensor:
        if self.recording:
            variance, mean = torch.var_mean(x.float(), dim=(2, 3), keepdim=True, unbiased=False)
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
