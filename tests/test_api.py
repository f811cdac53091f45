"""The one-call Python API."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image

import painterly
from painterly.errors import ArgumentError, ImageError


class TestStylize:
    def test_returns_pil_image_of_requested_size(self, photo, stripes) -> None:  # type: ignore[no-untyped-def]
        result = painterly.stylize(photo, stripes, size=40, scales=(1.0,), steps=(2,))
        assert isinstance(result, Image.Image)
        assert result.size == (40, 30) and result.mode == "RGB"

    def test_paths_and_several_styles(self, tmp_path: Path, photo, stripes) -> None:  # type: ignore[no-untyped-def]
        photo.save(tmp_path / "p.png")
        stripes.save(tmp_path / "s.png")
        events: list[painterly.ProgressEvent] = []
        result = painterly.stylize(tmp_path / "p.png", [tmp_path / "s.png", stripes], style_weights=[1, 3],
                                   size=32, scales=(1.0,), steps=(2,), callback=events.append)  # fmt: skip
        assert result.size == (32, 24)
        assert events[-1].step == 2

    def test_errors(self, photo, stripes) -> None:  # type: ignore[no-untyped-def]
        with pytest.raises(ImageError, match="not found"):
            painterly.stylize("nope.jpg", stripes)
        with pytest.raises(ArgumentError, match="unknown setting"):
            painterly.stylize(photo, stripes, colour="blue")
        with pytest.raises(ArgumentError, match="unknown method"):
            painterly.stylize(photo, stripes, method="nope")


def test_trained_model_without_style_images(photo) -> None:  # type: ignore[no-untyped-def]
    result = painterly.stylize(photo, method="feedforward", model="hokusai_wave")
    assert result.size == photo.size
