"""PatchGAN critic (Isola et al. 2017) for WGAN-GP training (Gulrajani et al. 2017).

It scores overlapping patches rather than whole images, so it judges texture, which is
what a style is, and works on crops of any size. No normalization layers: the gradient
penalty needs per-sample gradients, which batch norm would mix.
"""

from __future__ import annotations

import torch
from torch import nn

__all__ = ["PatchCritic", "gradient_penalty"]


class PatchCritic(nn.Module):
    """Image ``(B, 3, H, W)`` in [0, 1] → patch scores ``(B, 1, H/8, W/8)`` (higher: more like the style).

    Example:
        >>> PatchCritic(width=8)(torch.rand(2, 3, 64, 64)).shape
        torch.Size([2, 1, 8, 8])
    """

    def __init__(self, width: int = 32) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        channels = 3
        for multiplier in (1, 2, 4):
            layers += [nn.Conv2d(channels, width * multiplier, 4, stride=2, padding=1), nn.LeakyReLU(0.2)]
            channels = width * multiplier
        layers.append(nn.Conv2d(channels, 1, 3, padding=1))
        self.body = nn.Sequential(*layers)

    def forward(self, image: torch.Tensor) -> torch.Tensor:
        return self.body(image * 2 - 1)


def gradient_penalty(critic: nn.Module, real: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:
    """WGAN-GP's penalty ``E[(‖∇ₓ̂ D(x̂)‖₂ − 1)²]`` on random interpolates ``x̂`` of real and fake.

    The gradient is taken with ``create_graph=True`` so the penalty itself trains the critic.

    Shape:
        ``real`` and ``fake`` ``(B, 3, H, W)`` → scalar.
    """
    alpha = torch.rand(real.shape[0], 1, 1, 1, device=real.device, dtype=real.dtype)
    interpolates = (alpha * real.detach() + (1 - alpha) * fake.detach()).requires_grad_(True)
    scores = critic(interpolates)
    (gradients,) = torch.autograd.grad(scores.sum(), interpolates, create_graph=True)
    return (gradients.flatten(1).norm(dim=1) - 1).square().mean()
