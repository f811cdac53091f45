"""WGAN-GP: the penalty is computed on interpolates and drives critic gradient norms toward 1."""

from __future__ import annotations

import torch

from painterly.nets.critic import PatchCritic, gradient_penalty


def _gradient_norms(critic: PatchCritic, images: torch.Tensor) -> torch.Tensor:
    images = images.clone().requires_grad_(True)
    (grad,) = torch.autograd.grad(critic(images).sum(), images)
    return grad.flatten(1).norm(dim=1)


class TestGradientPenalty:
    def test_uses_interpolates_between_real_and_fake(self, monkeypatch) -> None:  # type: ignore[no-untyped-def]
        critic = PatchCritic(width=4)
        seen: list[torch.Tensor] = []
        original = critic.forward
        monkeypatch.setattr(critic, "forward", lambda x: seen.append(x.detach()) or original(x))
        real, fake = torch.zeros(3, 3, 16, 16), torch.ones(3, 3, 16, 16)
        gradient_penalty(critic, real, fake)
        values = seen[0]
        assert values.shape == real.shape
        assert (values > 0).all() and (values < 1).all()  # strictly between the two batches
        assert len(torch.unique(values.flatten(1)[:, 0])) == 3  # one random mix per sample

    def test_matches_definition(self) -> None:
        torch.manual_seed(0)
        critic = PatchCritic(width=4)
        real, fake = torch.rand(2, 3, 16, 16), torch.rand(2, 3, 16, 16)
        torch.manual_seed(7)
        penalty = gradient_penalty(critic, real, fake)
        torch.manual_seed(7)
        alpha = torch.rand(2, 1, 1, 1)
        norms = _gradient_norms(critic, alpha * real + (1 - alpha) * fake)
        torch.testing.assert_close(penalty, (norms - 1).square().mean())

    def test_minimizing_it_moves_norms_toward_one(self) -> None:
        torch.manual_seed(1)
        critic = PatchCritic(width=8)
        with torch.no_grad():
            for parameter in critic.parameters():
                parameter.mul_(4.0)  # start far from norm 1
        real, fake = torch.rand(6, 3, 24, 24), torch.rand(6, 3, 24, 24)
        before = (_gradient_norms(critic, (real + fake) / 2) - 1).abs().mean()
        optimizer = torch.optim.Adam(critic.parameters(), lr=1e-3)
        for _ in range(50):
            optimizer.zero_grad()
            gradient_penalty(critic, real, fake).backward()
            optimizer.step()
        after = (_gradient_norms(critic, (real + fake) / 2) - 1).abs().mean()
        assert after < 0.3 * before
