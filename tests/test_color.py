"""Colour preservation helpers against their defining properties."""

from __future__ import annotations

import torch

from painterly.color import grey, luminance_style, match_color, restore_chroma, rgb_to_yiq, yiq_to_rgb


class TestYIQ:
    def test_round_trip(self) -> None:
        image = torch.rand(2, 3, 8, 8)
        torch.testing.assert_close(yiq_to_rgb(rgb_to_yiq(image)), image, atol=1e-5, rtol=1e-5)

    def test_grey_has_no_chroma(self) -> None:
        image = torch.full((1, 3, 4, 4), 0.3)
        yiq = rgb_to_yiq(image)
        torch.testing.assert_close(yiq[:, 0], torch.full((1, 4, 4), 0.3))
        assert yiq[:, 1:].abs().max() < 1e-5

    def test_grey_replicates_luminance(self) -> None:
        image = torch.rand(1, 3, 4, 4)
        out = grey(image)
        assert torch.equal(out[:, 0], out[:, 1]) and torch.equal(out[:, 1], out[:, 2])


class TestLuminance:
    def test_style_matched_to_content_statistics(self) -> None:
        style = torch.rand(1, 3, 16, 16) * 0.3  # dark painting
        content = torch.rand(1, 3, 16, 16) * 0.5 + 0.4  # bright photo
        matched = rgb_to_yiq(luminance_style(style, content))[:, 0]
        content_y = rgb_to_yiq(content)[:, 0]
        assert abs(matched.mean() - content_y.mean()) < 0.01
        assert abs(matched.std() - content_y.std()) < 0.01

    def test_restore_chroma_keeps_result_luminance_and_photo_chroma(self) -> None:
        result, photo = torch.rand(1, 3, 8, 8) * 0.5 + 0.25, torch.rand(1, 3, 8, 8) * 0.5 + 0.25
        mixed = rgb_to_yiq(restore_chroma(result, photo))
        torch.testing.assert_close(mixed[:, 0], rgb_to_yiq(result)[:, 0], atol=1e-4, rtol=0)
        torch.testing.assert_close(mixed[:, 1:], rgb_to_yiq(photo)[:, 1:], atol=1e-4, rtol=0)


class TestMatchColor:
    def test_mean_and_covariance_match(self) -> None:
        generator = torch.Generator().manual_seed(0)
        style = torch.rand(1, 3, 32, 32, generator=generator) * torch.tensor([0.2, 0.5, 0.3]).view(1, 3, 1, 1) + 0.2
        content = torch.rand(1, 3, 32, 32, generator=generator) * torch.tensor([0.4, 0.2, 0.3]).view(1, 3, 1, 1) + 0.3
        matched = match_color(style, content)

        def stats(image: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
            pixels = image[0].reshape(3, -1)
            return pixels.mean(1), torch.cov(pixels, correction=0)

        mean, cov = stats(matched)
        target_mean, target_cov = stats(content)
        torch.testing.assert_close(mean, target_mean, atol=1e-3, rtol=0)
        torch.testing.assert_close(cov, target_cov, atol=1e-3, rtol=0)
        assert matched.shape == style.shape


def test_pooled_palettes_are_those_of_the_pixels_together() -> None:
    from painterly.color import color_statistics, pool_statistics

    first, second = torch.rand(1, 3, 8, 8) * 0.5, torch.rand(1, 3, 8, 8) * 0.3 + 0.6
    palettes = [color_statistics([image], [1.0]) for image in (first, second)]
    mean, covariance = pool_statistics(palettes, [0.5, 0.5])
    pixels = torch.cat([first, second], dim=3).reshape(3, -1)
    torch.testing.assert_close(mean, pixels.mean(dim=1, keepdim=True))
    torch.testing.assert_close(covariance, torch.cov(pixels, correction=0), atol=3e-5, rtol=0)
