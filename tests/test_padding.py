"""Padding to network-friendly sizes and cropping back, for images of any shape."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from painterly.padding import crop_to, in_margin, pad_to_multiple


class TestPadToMultiple:
    @pytest.mark.parametrize(("height", "width"), [(5, 30), (1, 128), (128, 1), (16, 16), (17, 33), (300, 2)])
    def test_sides_reach_minimum_and_multiple(self, height: int, width: int) -> None:
        image = torch.rand(2, 3, height, width)
        padded = pad_to_multiple(image, 8, minimum=16)
        assert padded.shape[-2] % 8 == 0 and padded.shape[-1] % 8 == 0
        assert min(padded.shape[-2:]) >= 16
        assert torch.equal(crop_to(padded, image), image)  # the original is the top-left corner, unchanged

    def test_already_fitting_is_untouched(self) -> None:
        image = torch.rand(1, 3, 32, 24)
        assert pad_to_multiple(image, 8, minimum=16) is image

    def test_reflects_when_it_can_and_repeats_when_it_cannot(self) -> None:
        row = torch.arange(6.0).view(1, 1, 1, 6).expand(1, 1, 4, 6)
        reflected = pad_to_multiple(row, 4, minimum=0)  # width 6 → 8: two columns of reflection
        assert reflected[0, 0, 0, 6:].tolist() == [4.0, 3.0]
        thin = torch.arange(4.0).view(1, 1, 1, 4)
        repeated = pad_to_multiple(thin, 1, minimum=3)  # height 1 → 3: reflection impossible, edge repeated
        assert repeated.shape[-2] == 3 and torch.equal(repeated[0, 0, 2], thin[0, 0, 0])


class TestMargin:
    def test_reflects_on_every_side_and_crops_back(self) -> None:
        image = torch.rand(1, 3, 20, 30)
        padded = pad_to_multiple(image, 4, margin=8)
        assert padded.shape[-2:] == (36, 48)  # 20 + 16; 30 + 16 = 46, then 2 more for the multiple of 4
        assert torch.equal(padded[..., 8:28, 8:38], image)
        assert torch.equal(padded[..., 7, 8:38], image[..., 1, :])  # reflected above …
        assert torch.equal(padded[..., 8:28, 7], image[..., :, 1])  # … and to the left
        assert torch.equal(crop_to(padded, image, margin=8), image)

    def test_network_border_falls_in_the_margin(self) -> None:
        """A zero-padded convolution run inside a margin sees reflected pixels at the picture's edge, not zeros."""
        torch.manual_seed(0)
        conv = torch.nn.Conv2d(3, 3, 3, padding=1)
        image = torch.rand(1, 3, 16, 24)
        with torch.no_grad():
            expected = F.conv2d(F.pad(image, (1, 1, 1, 1), mode="reflect"), conv.weight, conv.bias)
            inside = in_margin(conv, image, 4)
            plain = conv(image)
        assert inside.shape == image.shape
        torch.testing.assert_close(inside, expected)
        assert (plain - expected)[..., 0, :].abs().max() > 0.01  # the edge row is what the margin changes
        assert torch.equal(in_margin(conv, image, 0), conv(image))
