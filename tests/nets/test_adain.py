"""AdaIN: the statistics swap and the decoder's shapes."""

from __future__ import annotations

import torch

from painterly.nets.adain import AdaINDecoder
from painterly.transforms import adaptive_instance_norm, feature_mean_std


class TestAdaptiveInstanceNorm:
    def test_output_takes_style_statistics(self) -> None:
        content = torch.randn(2, 8, 6, 5) * 3 + 1
        style_mean, style_std = torch.randn(2, 8, 1, 1), torch.rand(2, 8, 1, 1) + 0.5
        mean, std = feature_mean_std(adaptive_instance_norm(content, style_mean, style_std))
        torch.testing.assert_close(mean, style_mean, atol=1e-4, rtol=1e-4)
        torch.testing.assert_close(std, style_std, atol=1e-3, rtol=1e-3)

    def test_own_statistics_are_identity(self) -> None:
        content = torch.randn(1, 4, 7, 7)
        torch.testing.assert_close(
            adaptive_instance_norm(content, *feature_mean_std(content)), content, atol=1e-4, rtol=1e-4
        )

    def test_mean_std_against_torch(self) -> None:
        features = torch.randn(1, 3, 10, 10)
        mean, std = feature_mean_std(features)
        torch.testing.assert_close(mean.flatten(), features.mean(dim=(2, 3)).flatten())
        torch.testing.assert_close(
            std.flatten(), features.std(dim=(2, 3), unbiased=False).flatten(), atol=1e-5, rtol=1e-4
        )


class TestDecoder:
    def test_shape_and_range(self) -> None:
        decoder = AdaINDecoder().eval()
        out = decoder(torch.randn(1, 512, 3, 5))
        assert out.shape == (1, 3, 24, 40)
        assert out.min() >= 0.0 and out.max() <= 1.0

    def test_trains_toward_a_target(self) -> None:
        decoder = AdaINDecoder(widths=(16, 8, 8, 8))
        features, target = torch.randn(1, 512, 2, 2), torch.rand(1, 3, 16, 16)
        optimizer = torch.optim.Adam(decoder.parameters(), lr=1e-2)
        losses = []
        for _ in range(30):
            optimizer.zero_grad()
            loss = (decoder(features) - target).square().mean()
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        assert losses[-1] < 0.3 * losses[0]
