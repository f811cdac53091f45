"""gram_ratio's anchors: 0 for the style itself, 1 for the photo, lower after stylization."""

from __future__ import annotations

import pytest

from painterly.metrics import gram_distance, gram_ratio


class TestGramRatio:
    def test_anchors(self, random_vgg19, photo, stripes) -> None:  # type: ignore[no-untyped-def]
        assert gram_distance(random_vgg19, stripes, stripes, size=32) == pytest.approx(0.0, abs=1e-9)
        assert gram_ratio(random_vgg19, photo, photo, stripes, size=32) == pytest.approx(1.0)
        assert gram_ratio(random_vgg19, stripes, photo, stripes, size=32) == pytest.approx(0.0, abs=1e-9)

    def test_between_photo_and_style(self, random_vgg19, photo, stripes) -> None:  # type: ignore[no-untyped-def]
        from PIL import Image

        halfway = Image.blend(photo.resize(stripes.size), stripes, 0.6)
        ratio = gram_ratio(random_vgg19, halfway, photo, stripes, size=32)
        assert 0.0 < ratio < 1.0
