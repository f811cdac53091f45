"""The feed-forward style network: shapes, conditional instance norm blending, cost."""

from __future__ import annotations

import torch

from painterly.nets.transformer import ConditionalInstanceNorm, StyleNet


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
