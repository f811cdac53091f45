"""Loss functions against analytic cases and independent formulas, plus gradchecks."""

from __future__ import annotations

import pytest
import torch

from painterly.errors import ArgumentError
from painterly.losses import functional as F
from painterly.losses.modules import ContentLoss, GramLoss, TVLoss, WassersteinLoss, normalize_weights

TOL = {"atol": 1e-5, "rtol": 1e-4}  # float32 sums over a few thousand terms


class TestGramMatrix:
    def test_shape(self) -> None:
        assert F.gram_matrix(torch.rand(2, 5, 7, 3)).shape == (2, 5, 5)

    def test_against_loops(self) -> None:
        features = torch.rand(1, 4, 6, 5)
        expected = torch.zeros(4, 4)
        for i in range(4):
            for j in range(4):
                expected[i, j] = (features[0, i] * features[0, j]).sum() / (4 * 6 * 5)
        torch.testing.assert_close(F.gram_matrix(features)[0], expected, **TOL)

    def test_size_invariant_for_repeated_texture(self) -> None:
        tile = torch.rand(1, 3, 4, 4)
        assert torch.allclose(F.gram_matrix(tile), F.gram_matrix(tile.repeat(1, 1, 3, 2)), atol=1e-6)


class TestGramLoss:
    def test_zero_for_own_gram(self) -> None:
        features = torch.rand(1, 8, 5, 5)
        assert F.gram_loss(features, F.gram_matrix(features)).item() == pytest.approx(0.0, abs=1e-12)

    def test_value(self) -> None:
        features = torch.rand(1, 3, 4, 4)
        target = torch.zeros(1, 3, 3)
        expected = F.gram_matrix(features).square().mean()
        torch.testing.assert_close(F.gram_loss(features, target), expected)

    def test_module_matches_function(self) -> None:
        features, target = torch.rand(2, 4, 6, 6), torch.rand(1, 4, 4)
        torch.testing.assert_close(GramLoss(target)(features), F.gram_loss(features, target))

    def test_mixed_target_is_weighted_mean(self) -> None:
        a, b = torch.rand(1, 4, 6, 6), torch.rand(1, 4, 9, 3)
        loss = GramLoss.from_features([a, b], [3.0, 1.0])
        torch.testing.assert_close(loss.target, 0.75 * F.gram_matrix(a) + 0.25 * F.gram_matrix(b))

    def test_mixing_equals_weighted_sum_of_losses_up_to_constant(self) -> None:
        a, b = torch.rand(1, 4, 6, 6), torch.rand(1, 4, 6, 6)
        mixed = GramLoss.from_features([a, b], [0.3, 0.7])
        x1, x2 = torch.rand(1, 4, 6, 6), torch.rand(1, 4, 6, 6)

        def weighted(x: torch.Tensor) -> torch.Tensor:
            return 0.3 * F.gram_loss(x, F.gram_matrix(a)) + 0.7 * F.gram_loss(x, F.gram_matrix(b))

        # Σ αᵢ‖G − Gᵢ‖² − ‖G − Ḡ‖² does not depend on G.
        torch.testing.assert_close(weighted(x1) - mixed(x1), weighted(x2) - mixed(x2), **TOL)

    def test_gradcheck(self) -> None:
        features = torch.rand(1, 3, 4, 4, dtype=torch.float64, requires_grad=True)
        target = torch.rand(1, 3, 3, dtype=torch.float64)
        assert torch.autograd.gradcheck(lambda x: F.gram_loss(x, target), (features,))


class TestContentLoss:
    def test_value_and_module(self) -> None:
        x, y = torch.zeros(1, 2, 3, 3), torch.full((1, 2, 3, 3), 2.0)
        assert F.content_loss(x, y).item() == pytest.approx(4.0)
        torch.testing.assert_close(ContentLoss(y)(x), F.content_loss(x, y))

    def test_gradcheck(self) -> None:
        x = torch.rand(1, 2, 3, 3, dtype=torch.float64, requires_grad=True)
        assert torch.autograd.gradcheck(lambda v: F.content_loss(v, torch.zeros_like(v)), (x,))


class TestTotalVariation:
    def test_constant_is_zero(self) -> None:
        assert F.tv_loss(torch.full((1, 3, 8, 8), 0.4)).item() == 0.0

    def test_checkerboard(self) -> None:
        board = (torch.arange(8).view(-1, 1) + torch.arange(8).view(1, -1)) % 2
        image = board.float().expand(1, 3, 8, 8)
        assert F.tv_loss(image).item() == pytest.approx(2.0)  # every neighbour differs by 1, both directions

    def test_horizontal_ramp(self) -> None:
        image = torch.arange(5.0).view(1, 1, 1, 5).expand(1, 1, 4, 5) * 0.1
        assert F.tv_loss(image).item() == pytest.approx(0.01)  # (0.1)² horizontally, 0 vertically

    def test_module_and_gradcheck(self) -> None:
        x = torch.rand(1, 3, 5, 5, dtype=torch.float64, requires_grad=True)
        torch.testing.assert_close(TVLoss()(x), F.tv_loss(x))
        assert torch.autograd.gradcheck(F.tv_loss, (x,))


def _features_from_gaussian(mean: torch.Tensor, covariance: torch.Tensor, count: int) -> torch.Tensor:
    """Features whose sample mean and covariance are exactly ``mean`` and ``covariance``."""
    noise = torch.randn(mean.shape[0], count, dtype=torch.float64)
    noise -= noise.mean(dim=1, keepdim=True)
    whitened = torch.linalg.cholesky(noise @ noise.T / count)
    noise = torch.linalg.solve_triangular(whitened, noise, upper=False)
    samples = torch.linalg.cholesky(covariance) @ noise + mean.view(-1, 1)
    return samples.view(1, mean.shape[0], count, 1)


class TestWasserstein:
    def test_zero_for_own_statistics(self) -> None:
        features = torch.rand(1, 6, 10, 10, dtype=torch.float64)
        loss = WassersteinLoss.from_features([features])
        assert loss(features).item() == pytest.approx(0.0, abs=1e-6)

    def test_commuting_covariances_closed_form(self) -> None:
        # With a shared eigenbasis: W² = ‖μ₁−μ₂‖² + ‖Σ₁^½ − Σ₂^½‖²_F (independent of the eigh path).
        q, _ = torch.linalg.qr(torch.randn(4, 4, dtype=torch.float64))
        d1, d2 = torch.tensor([1.0, 2.0, 0.5, 3.0]), torch.tensor([0.2, 1.5, 2.5, 1.0])
        cov1, cov2 = q @ torch.diag(d1).double() @ q.T, q @ torch.diag(d2).double() @ q.T
        mean1, mean2 = torch.tensor([0.5, -1.0, 2.0, 0.0]).double(), torch.tensor([1.0, 1.0, 0.0, 0.5]).double()
        features = _features_from_gaussian(mean1, cov1, 4000)
        loss = WassersteinLoss(mean2.view(1, -1), cov2.unsqueeze(0))
        root_difference = q @ torch.diag(d1.sqrt() - d2.sqrt()).double() @ q.T
        expected = ((mean1 - mean2).square().sum() + root_difference.square().sum()) / 4
        assert loss(features).item() == pytest.approx(expected.item(), rel=1e-6)

    def test_gradcheck(self) -> None:
        features = torch.rand(1, 3, 6, 6, dtype=torch.float64, requires_grad=True)
        target = WassersteinLoss.from_features([torch.rand(1, 3, 5, 5, dtype=torch.float64)])
        assert torch.autograd.gradcheck(target, (features,))

    def test_module_matches_function(self) -> None:
        features, style = torch.rand(1, 4, 5, 5), torch.rand(1, 4, 6, 6)
        loss = WassersteinLoss.from_features([style])
        expected = F.wasserstein_loss(features, loss.mean, loss.covariance_sqrt, loss.trace)
        torch.testing.assert_close(loss(features), expected)


class TestNormalizeWeights:
    def test_defaults_equal(self) -> None:
        assert normalize_weights(None, 4) == [0.25] * 4

    def test_scales_to_one(self) -> None:
        assert normalize_weights([2, 6], 2) == [0.25, 0.75]

    @pytest.mark.parametrize(
        ("weights", "message"),
        [([1.0], "1 weights for 2"), ([-1.0, 2.0], "≥ 0"), ([float("nan"), 1.0], "≥ 0"),
         ([float("inf"), 1.0], "≥ 0"), ([0.0, 0.0], "not all be zero")],
    )  # fmt: skip
    def test_rejects(self, weights: list[float], message: str) -> None:
        with pytest.raises(ArgumentError, match=message):
            normalize_weights(weights, 2)
