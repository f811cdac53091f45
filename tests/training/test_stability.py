"""The temporal-stability term: zero for a network that moves with its input, large for one that does not."""

from __future__ import annotations

import torch

from painterly.training.stability import random_motion, stability_loss


def _photos() -> torch.Tensor:
    ys, xs = torch.meshgrid(torch.linspace(0, 6, 64), torch.linspace(0, 6, 64), indexing="ij")
    return torch.stack([0.5 + 0.4 * torch.sin(xs), 0.5 + 0.4 * torch.cos(ys), 0.5 + 0.2 * torch.sin(xs + ys)])[None]


def test_motions_are_small_and_seeded() -> None:
    theta = random_motion(8, torch.Generator().manual_seed(0))
    assert theta.shape == (8, 2, 3)
    assert torch.allclose(theta[:, :, :2], torch.eye(2).expand(8, 2, 2), atol=0.04)  # ≤ 1° and ≤ 2 % zoom
    assert theta[:, :, 2].abs().max() <= 0.04 + 1e-6
    assert torch.equal(theta, random_motion(8, torch.Generator().manual_seed(0)))


def test_a_pointwise_network_is_stable_and_a_position_dependent_one_is_not() -> None:
    photos = _photos().expand(2, -1, -1, -1).contiguous()

    def pointwise(x: torch.Tensor) -> torch.Tensor:
        return x.square()

    grid = torch.sin(torch.arange(64.0) * 1.3).view(1, 1, 1, 64)  # a pattern fixed to the frame, like flicker

    def fixed_pattern(x: torch.Tensor) -> torch.Tensor:
        return (x + 0.3 * grid).clamp(0, 1)

    stable = stability_loss(pointwise, photos, pointwise(photos), torch.Generator().manual_seed(1))
    unstable = stability_loss(fixed_pattern, photos, fixed_pattern(photos), torch.Generator().manual_seed(1))
    assert stable < 0.002  # only the added noise and resampling remain
    assert unstable > 10 * stable


def test_gradients_reach_the_network() -> None:
    weight = torch.tensor(1.5, requires_grad=True)

    def net(x: torch.Tensor) -> torch.Tensor:
        return x * weight + 0.1 * torch.sin(torch.arange(64.0) * weight).view(1, 1, 1, 64)

    photos = _photos()
    stability_loss(net, photos, net(photos), torch.Generator().manual_seed(2)).backward()
    assert weight.grad is not None and weight.grad.abs() > 0
