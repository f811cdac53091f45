"""Bundled sample inputs: the painted style is ours and deterministic; the photo comes from scikit-image."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from painterly.samples import sample_photo, sample_style, write_samples


class TestSamples:
    def test_style_is_deterministic_and_colourful(self) -> None:
        first, second = sample_style(128), sample_style(128)
        assert first.size == (128, 128) and first.mode == "RGB"
        assert np.array_equal(np.asarray(first), np.asarray(second))
        assert not np.array_equal(np.asarray(first), np.asarray(sample_style(128, seed=8)))
        assert np.asarray(first).std(axis=(0, 1)).min() > 20  # real texture in every channel, not flat

    def test_photo_and_files(self, tmp_path: Path) -> None:
        pytest.importorskip("skimage", reason="the sample photo needs scikit-image (the demo extra)")
        assert sample_photo().size == (512, 512)
        photo_path, style_path = write_samples(tmp_path / "demo")
        assert photo_path.is_file() and style_path.is_file()
