"""Bad and odd input through the CLI and the Python API: a clear one-line error or a result, never a traceback.

Each case here is one a probe of edge inputs found mishandled; the shapes test runs every
method over aspect ratios from 1:100 to 100:1.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pytest
from images import make_photo, make_stripes
from PIL import Image

import painterly
from painterly.cli import EXIT_USAGE, main
from painterly.errors import ArgumentError, DeviceError, ImageError
from painterly.image_io import open_image
from painterly.methods.base import get_method, list_methods


def _error(capsys: pytest.CaptureFixture[str]) -> str:
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("painterly: error: "), lines
    return lines[0]


@pytest.fixture
def files(tmp_path: Path) -> tuple[Path, Path]:
    photo, style = tmp_path / "photo.png", tmp_path / "style.png"
    make_photo().save(photo)
    make_stripes().save(style)
    return photo, style


class TestCliMessages:
    def test_permission_denied_is_not_called_corrupt(self, files, tmp_path, monkeypatch, capsys) -> None:  # type: ignore[no-untyped-def]
        def denied(*args, **kwargs):  # type: ignore[no-untyped-def]
            raise PermissionError(13, "Permission denied")

        monkeypatch.setattr("painterly.image_io.Image.open", denied)
        code = main(["stylize", str(files[0]), "-s", str(files[1]), "-o", str(tmp_path / "out.png"), "-q"])
        assert code == EXIT_USAGE and "permission denied" in _error(capsys)

    def test_empty_path(self, files, tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
        assert main(["stylize", "", "-s", str(files[1]), "-o", str(tmp_path / "out.png")]) == EXIT_USAGE
        assert "no photo given: the path is empty" in _error(capsys)

    def test_text_file_as_weights(self, files, tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
        weights = tmp_path / "weights.pt"
        weights.write_text("not weights")
        argv = ["stylize", str(files[0]), "-s", str(files[1]), "--weights", str(weights), "-o", str(tmp_path / "o.png")]
        assert main(argv) == EXIT_USAGE
        assert "is not a PyTorch state dict" in _error(capsys)

    def test_negative_style_weight_is_checked_not_misparsed(self, files, tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
        argv = ["stylize", str(files[0]), "-s", str(files[1]), "-s", str(files[1]), "--style-weights", "-1,2",
                "-o", str(tmp_path / "o.png")]  # fmt: skip
        assert main(argv) == EXIT_USAGE
        assert "must be finite and ≥ 0" in _error(capsys)

    def test_memory_estimate_refuses_huge_size(self, files, tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
        argv = ["stylize", str(files[0]), "-s", str(files[1]), "--size", "200000", "-o", str(tmp_path / "o.png")]
        assert main(argv) == EXIT_USAGE
        line = _error(capsys)
        assert "would need about" in line and "choose a smaller size" in line
        assert not (tmp_path / "o.png").exists()

    def test_mask_warning_has_the_prefix(self, files, tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
        mask = tmp_path / "mask.png"
        make_photo(40, 40).convert("L").save(mask)
        argv = ["stylize", str(files[0]), "-s", str(files[1]), "-s", str(files[0]), "--method", "adain",
                "--mask", str(mask), "-o", str(tmp_path / "o.png"), "-q"]  # fmt: skip
        try:
            assert main(argv) == 0, capsys.readouterr().err
        finally:
            logging.getLogger().handlers.clear()  # main() configured logging for this process
        assert "painterly: warning: mask is 40×40" in capsys.readouterr().err


class TestApiInputs:
    def test_bad_device(self, files) -> None:  # type: ignore[no-untyped-def]
        with pytest.raises(DeviceError, match="device 'cuda:7' is not usable here"):
            painterly.stylize(files[0], files[1], device="cuda:7", size=32)
        with pytest.raises(DeviceError, match="is not usable here"):
            painterly.stylize(files[0], files[1], device="toaster", size=32)

    def test_tiny_pil_image_refused(self, files) -> None:  # type: ignore[no-untyped-def]
        with pytest.raises(ImageError, match="photo is 1×1; each side must be ≥ 16 px"):
            painterly.stylize(Image.new("RGB", (1, 1)), files[1], size=32)

    def test_list_setting_given_as_a_string(self) -> None:
        settings = get_method("optimize").Settings
        from painterly._settings import build_settings

        assert build_settings(settings, {"style_layers": "relu1_1"}).style_layers == ("relu1_1",)
        assert build_settings(settings, {"style_layers": ["relu1_1", "relu2_1"]}).style_layers == (
            "relu1_1",
            "relu2_1",
        )
        with pytest.raises(ArgumentError, match="size: expected an integer, got True"):
            build_settings(settings, {"size": True})

    def test_callback_example_of_the_readme_works_for_every_method(self, files) -> None:  # type: ignore[no-untyped-def]
        events = []
        kwargs = {"optimize": {"size": 32, "scales": (1.0,), "steps": (2,)}, "adain": {"size": 32}, "wct": {"size": 32},
                  "feedforward": {"model": "cliff_walk", "size": 32}}  # fmt: skip
        for method in list_methods():
            styles = [] if method == "feedforward" else files[1]
            painterly.stylize(files[0], styles, method=method, callback=lambda e: events.append(e.losses.get("total")),
                              **kwargs[method])  # fmt: skip
        assert len(events) >= 3


SHAPES = [(1600, 16), (16, 1600), (1000, 16), (20000, 16), (160, 16), (16, 160), (100, 100)]


@pytest.mark.parametrize("method", ["optimize", "adain", "wct", "feedforward"])
@pytest.mark.parametrize(("width", "height"), SHAPES)
def test_every_shape_of_photo_works(method, width, height, vgg19, stripes) -> None:  # type: ignore[no-untyped-def]
    """Aspect ratios 1:100 … 100:1 (and 1250:1) at a small size: a result of the expected shape, no crash."""
    photo = make_photo(width, height)
    settings = {"optimize": {"size": 128, "scales": (0.5, 1.0), "steps": (1, 1)}, "adain": {"size": 128},
                "wct": {"size": 128},
                "feedforward": {"model": "cliff_walk", "size": 128}}[method]  # fmt: skip
    stylizer_class = get_method(method)
    kwargs = {"encoder": vgg19} if method in ("optimize", "adain", "wct") else {}
    stylizer = stylizer_class(stylizer_class.Settings(**settings), **kwargs)
    result = stylizer.stylize(photo, [] if method == "feedforward" else [stripes])
    assert max(result.size) == 128
    expected_short = max(1, round(128 * min(width, height) / max(width, height)))
    assert min(result.size) == expected_short
    assert np.asarray(result, dtype=np.float32).std() > 1.0  # an image, not a blank (NaNs come out black)


def test_decoding_any_image_bytes_never_crashes() -> None:
    for data in (b"\x89PNG\r\n\x1a\n" + b"\0" * 40, b"GIF89a" + b"\xff" * 30, b"\xff\xd8\xff" + b"\0" * 100, b"BM"):
        with pytest.raises(ImageError):
            open_image(data)
