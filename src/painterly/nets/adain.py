"""The decoder of AdaIN (Huang & Belongie 2017): VGG19 ``relu4_1`` features back into an image.
(The transform itself, with its siblings, is in ``painterly.transforms``.)

The decoder departs from the paper's mirror of VGG19 (≈126 GFLOP at 512², as much as the
encoder) to fit a CPU budget: widths halve at every scale down to 32 channels at full
resolution and each scale has at most two convolutions, ≈48 GFLOP at 512². Upsampling is
nearest-neighbour followed by a convolution (no transposed convolutions, hence no
checkerboards), with reflection padding as in the paper.
"""

from __future__ import annotations

import torch
from torch import nn

__all__ = ["DECODER_WIDTHS", "AdaINDecoder"]

# Output channels per scale, from relu4_1 (H/8) up to full resolution.
DECODER_WIDTHS: tuple[int, ...] = (256, 128, 64, 32)


def _conv(in_channels: int, out_channels: int, *, relu: bool = True) -> nn.Sequential:
    layers: list[nn.Module] = [nn.ReflectionPad2d(1), nn.Conv2d(in_channels, out_channels, 3)]
    if relu:
        layers.append(nn.ReLU(inplace=True))
    return nn.Sequential(*layers)


class AdaINDecoder(nn.Module):
    """``relu4_1`` features (512 channels at H/8) → RGB image in [0, 1] at H.

    Args:
        widths: output channels at H/8, H/4, H/2 and H.

    Shape:
        ``(B, 512, h, w)`` → ``(B, 3, 8h, 8w)``.

    Example:
        >>> AdaINDecoder()(torch.rand(1, 512, 4, 4)).shape
        torch.Size([1, 3, 32, 32])
    """

    def __init__(self, widths: tuple[int, ...] = DECODER_WIDTHS) -> None:
        super().__init__()
        if len(widths) != 4:
            raise ValueError(f"the decoder has 4 scales; got widths {widths}")
        first, *rest = widths
        stages: list[nn.Module] = [_conv(512, first)]
        previous = first
        for width in rest:
            stages += [nn.Upsample(scale_factor=2, mode="nearest"), _conv(previous, width), _conv(width, width)]
            previous = width
        stages.append(_conv(previous, 3, relu=False))
        self.body = nn.Sequential(*stages)
        self.widths = tuple(widths)

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        # The encoder expects [0, 1] inputs; a sigmoid would slow learning of saturated
        # colours, so clamp only outside training where gradients no longer matter.
        image = self.body(features)
        return image if self.training else image.clamp(0, 1)
