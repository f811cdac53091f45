"""The feed-forward style network: shapes, conditional instance norm blending, cost, frozen statistics."""

from __future__ import annotations

import pytest
import torch

from painterly.nets.transformer import (
    ConditionalInstanceNorm,
    FusedStyleNet,
    NormStatistics,
    StyleNet,
    channel_statistics,
)


class TestConditionalInstanceNorm:
    def test_one_hot_selects_a_style(self) -> None:
        norm = ConditionalInstanceNorm(4, styles=3)
        with torch.no_grad():
            norm.scale.copy_(torch.arange(12.0).view(3, 4))
            norm.shift.copy_(-torch.arange(12.0).view(3, 4))
        x = torch.randn(1, 4, 5, 5)
        normalized = torch.nn.functional.instance_norm(x)
        out = norm(x, torch.tensor([[0.0, 1.0, 0.0]]))
        torch.testing.assert_close(out, normalized * norm.scale[1].view(1, 4, 1, 1) + norm.shift[1].view(1, 4, 1, 1))

    def test_blend_is_parameter_mix(self) -> None:
        norm = ConditionalInstanceNorm(3, styles=2)
        with torch.no_grad():
            norm.scale.copy_(torch.tensor([[1.0, 2.0, 3.0], [3.0, 2.0, 1.0]]))
        x = torch.randn(1, 3, 4, 4)
        blended = norm(x, torch.tensor([[0.25, 0.75]]))
        expected = torch.nn.functional.instance_norm(x) * torch.tensor([2.5, 2.0, 1.5]).view(1, 3, 1, 1)
        torch.testing.assert_close(blended, expected)


class TestStyleNet:
    def test_shape_and_range(self) -> None:
        net = StyleNet(styles=2, width=8, blocks=1)
        out = net(torch.rand(2, 3, 32, 40), torch.tensor([[1.0, 0.0], [0.0, 1.0]]))
        assert out.shape == (2, 3, 32, 40)
        assert out.min() >= 0 and out.max() <= 1

    def test_styles_differ_once_their_parameters_do(self) -> None:
        net = StyleNet(styles=2, width=8, blocks=1)
        with torch.no_grad():
            for module in net.modules():
                if isinstance(module, ConditionalInstanceNorm):
                    module.shift[1].add_(0.5)
        image = torch.rand(1, 3, 16, 16)
        first, second = net(image, torch.tensor([[1.0, 0.0]])), net(image, torch.tensor([[0.0, 1.0]]))
        assert (first - second).abs().mean() > 1e-3

    def test_flops_count_matches_layers(self) -> None:
        net = StyleNet(width=32, blocks=5)
        # 1024×768: residual blocks dominate, ≈48 GFLOP (Johnson et al.'s transformer: ≈227).
        assert 45e9 < net.flops(768, 1024) < 50e9


class TestFusedStyleNet:
    """Inference with fused convolutions: each norm measured per image (whole photos), or a thumbnail's
    statistics folded into the convolutions (tiles)."""

    @staticmethod
    def _trained_looking_net() -> StyleNet:
        torch.manual_seed(3)
        net = StyleNet(styles=2, width=8, blocks=2).eval()
        with torch.no_grad():
            for module in net.modules():
                if isinstance(module, ConditionalInstanceNorm):  # styles that differ, as trained ones do
                    module.scale.uniform_(0.5, 1.5)
                    module.shift.normal_(0.0, 0.3)
        return net

    def test_measuring_equals_the_network_and_records_its_statistics(self) -> None:
        net = self._trained_looking_net()
        photos, blend = torch.rand(2, 3, 40, 56), torch.tensor([[0.3, 0.7]])
        expected_statistics = NormStatistics()
        with torch.no_grad():
            expected = net(photos, blend.expand(2, -1), expected_statistics)
        recorded = NormStatistics()
        fused = FusedStyleNet(net, blend[0])
        torch.testing.assert_close(fused(photos, record=recorded), expected, atol=2e-5, rtol=0)
        torch.testing.assert_close(fused(photos[:1]), expected[:1], atol=2e-5, rtol=0)  # one photo: batch norm
        assert len(recorded.values) == len(expected_statistics.values) == 2 + 2 * 2 + 1
        for (mean, variance), (expected_mean, expected_variance) in zip(recorded.values, expected_statistics.values):
            torch.testing.assert_close(mean, expected_mean, atol=1e-5, rtol=1e-4)
            torch.testing.assert_close(variance, expected_variance, atol=1e-5, rtol=1e-4)

    def test_frozen_equals_replaying_the_statistics(self) -> None:
        net = self._trained_looking_net()
        thumbnail, tile = torch.rand(1, 3, 32, 48), torch.rand(1, 3, 40, 24)
        blend = torch.tensor([[0.3, 0.7]])
        statistics = NormStatistics()
        with torch.no_grad():
            net(thumbnail, blend, statistics)
            replayed = net(tile, blend, statistics.replay())
        frozen = FusedStyleNet(net, blend[0], statistics=statistics)(tile)
        torch.testing.assert_close(frozen, replayed, atol=2e-5, rtol=0)
        own = net(tile, blend)  # the tile's own statistics: a different picture, so the check above has teeth
        assert (own - replayed).abs().max() > 1e-2

    def test_rows_of_a_batch_fold_separately(self) -> None:
        net = self._trained_looking_net()
        thumbnails, blend = torch.rand(2, 3, 16, 16), torch.tensor([[1.0, 0.0], [0.0, 1.0]])
        statistics = NormStatistics()
        with torch.no_grad():
            net(thumbnails, blend, statistics)
            replayed = net(thumbnails, blend, statistics.replay())
        for row in range(2):
            frozen = FusedStyleNet(net, blend[row], statistics=statistics.row(row))(thumbnails[row : row + 1])
            torch.testing.assert_close(frozen, replayed[row : row + 1], atol=2e-5, rtol=0)
        with pytest.raises(ValueError, match="one photo"):
            FusedStyleNet(net, blend[0], statistics=statistics)

    @pytest.mark.parametrize("frozen", [False, True])
    def test_bfloat16_within_rounding(self, frozen: bool) -> None:
        net = self._trained_looking_net()
        photo, blend = torch.rand(1, 3, 32, 32), torch.tensor([[0.5, 0.5]])
        statistics = NormStatistics()
        with torch.no_grad():
            reference = net(photo, blend, statistics)
        fused = FusedStyleNet(net, blend[0], torch.bfloat16, statistics if frozen else None)(photo)
        assert fused.dtype == torch.float32
        assert (fused - reference).abs().mean() < 5e-3


@pytest.mark.parametrize("dtype, tolerance", [(torch.float32, 1e-5), (torch.bfloat16, 5e-3)])
def test_channel_statistics_match_var_mean(dtype: torch.dtype, tolerance: float) -> None:
    """Row-blocked matmul sums, batch of two, against float64 var_mean."""
    torch.manual_seed(4)
    x = (torch.randn(2, 16, 70, 90) * 3 + 2).to(dtype).contiguous(memory_format=torch.channels_last)
    variance, mean = torch.var_mean(x.double(), dim=(2, 3), keepdim=True, unbiased=False)
    got_mean, got_variance = channel_statistics(x)
    assert got_mean.dtype == got_variance.dtype == torch.float32 and got_mean.shape == (2, 16, 1, 1)
    assert float((got_mean.double() - mean).abs().max()) < tolerance * 3
    assert float(((got_variance.double() - variance) / variance).abs().max()) < tolerance
