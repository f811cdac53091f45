"""The command line: every bad input is one stderr line and exit 2; good input writes the result."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from images import make_photo, make_stripes
from PIL import Image

from painterly.cli import EXIT_USAGE, main

FAST = ["--size", "32", "--scales", "1.0", "--steps", "2", "--quiet"]


@pytest.fixture
def inputs(tmp_path: Path) -> tuple[Path, Path]:
    photo, style = tmp_path / "photo.png", tmp_path / "style.jpg"
    make_photo().save(photo)
    make_stripes().save(style, quality=95)
    return photo, style


def _error_line(capsys: pytest.CaptureFixture[str]) -> str:
    err = capsys.readouterr().err
    lines = err.strip().splitlines()
    assert len(lines) == 1, f"expected one line, got: {err!r}"
    assert lines[0].startswith("painterly: error: ")
    return lines[0]


def _bad_file(tmp_path: Path, kind: str) -> Path:
    path = tmp_path / f"bad_{kind}.png"
    if kind == "missing":
        return tmp_path / "missing.jpg"
    if kind == "directory":
        path.mkdir()
    elif kind == "empty":
        path.write_bytes(b"")
    elif kind == "text":
        path.write_text("hello")
    elif kind in ("truncated_png", "truncated_jpg"):
        path = path.with_suffix(".jpg" if kind.endswith("jpg") else ".png")
        make_photo(256, 256).save(path)
        path.write_bytes(path.read_bytes()[:2000])
    elif kind == "bomb":
        Image.new("1", (10_000, 10_000)).save(path)
    elif kind == "tiny":
        Image.new("RGB", (8, 8)).save(path)
    return path


class TestBadInput:
    @pytest.mark.parametrize(
        ("kind", "message"),
        [("missing", "not found"), ("directory", "is a directory"), ("empty", "empty (0-byte)"),
         ("text", "not an image"), ("truncated_png", "corrupt or truncated"), ("truncated_jpg", "corrupt or truncated"),
         ("bomb", "over the limit"), ("tiny", "must be ≥ 16 px")],
    )  # fmt: skip
    @pytest.mark.parametrize("role", ["photo", "style"])
    def test_bad_image_files(self, tmp_path, inputs, capsys, kind: str, message: str, role: str) -> None:  # type: ignore[no-untyped-def]
        photo, style = inputs
        bad = _bad_file(tmp_path, kind)
        photo_arg, style_arg = (bad, style) if role == "photo" else (photo, bad)
        output = tmp_path / "out.png"
        assert main(["stylize", str(photo_arg), "--style", str(style_arg), "-o", str(output), *FAST]) == EXIT_USAGE
        assert message in _error_line(capsys)
        assert not output.exists()

    @pytest.mark.parametrize(
        ("extra", "message"),
        [
            (["--style-layers", "relu1_1,relu9_9"], "unknown style layer 'relu9_9'"),
            (["--content-layers", "relu4_22"], "did you mean 'relu4_2'"),
            (["--style-weight", "-1"], "style_weight must be a finite number ≥ 0"),
            (["--content-weight", "nan"], "content_weight must be a finite number ≥ 0"),
            (["--tv-weight", "abc"], "--tv-weight: 'abc' is not a valid float"),
            (["--style-weights", "1,2"], "2 values for 1 --style"),
            (["--style-weights", "-1"], "≥ 0"),
            (["--quality", "ultra"], "--quality: 'ultra' is not one of draft, normal, high"),
            (["--method", "magic"], "unknown method 'magic'"),
            (["--device", "nonsense"], "device 'nonsense' is not usable"),
            (["--jpeg-quality", "0"], "--jpeg-quality must be within 1..100"),
            (["--size", "4"], "size must be an integer ≥ 16"),
            (["--bogus-flag"], "unrecognized arguments: --bogus-flag"),
        ],
    )
    def test_bad_settings(self, tmp_path, inputs, capsys, extra: list[str], message: str) -> None:  # type: ignore[no-untyped-def]
        photo, style = inputs
        output = tmp_path / "out.png"
        code = main(["stylize", str(photo), "--style", str(style), "-o", str(output), *FAST, *extra])
        assert code == EXIT_USAGE
        assert message in _error_line(capsys)
        assert not output.exists()

    def test_missing_required_option(self, inputs, capsys) -> None:  # type: ignore[no-untyped-def]
        assert main(["stylize", str(inputs[0]), "-o", "x.png"]) == EXIT_USAGE
        assert "--style" in _error_line(capsys)

    def test_existing_output_is_kept(self, tmp_path, inputs, capsys) -> None:  # type: ignore[no-untyped-def]
        output = tmp_path / "out.png"
        output.write_bytes(b"mine")
        assert main(["stylize", str(inputs[0]), "--style", str(inputs[1]), "-o", str(output), *FAST]) == EXIT_USAGE
        assert "exists; pass --force" in _error_line(capsys)
        assert output.read_bytes() == b"mine"

    def test_unknown_extension(self, tmp_path, inputs, capsys) -> None:  # type: ignore[no-untyped-def]
        output = tmp_path / "out.bmpx"
        assert main(["stylize", str(inputs[0]), "--style", str(inputs[1]), "-o", str(output), *FAST]) == EXIT_USAGE
        assert "cannot tell the output format" in _error_line(capsys)

    def test_unwritable_output(self, inputs, capsys) -> None:  # type: ignore[no-untyped-def]
        output = "/proc/painterly-out.png" if Path("/proc/self").exists() else "/nonexistent/dir/out.png"
        code = main(["stylize", str(inputs[0]), "--style", str(inputs[1]), "-o", output, *FAST])
        assert code == EXIT_USAGE
        assert "cannot write" in _error_line(capsys) or "does not exist" in output

    def test_output_folder_missing(self, tmp_path, inputs, capsys) -> None:  # type: ignore[no-untyped-def]
        output = tmp_path / "nowhere" / "out.png"
        assert main(["stylize", str(inputs[0]), "--style", str(inputs[1]), "-o", str(output), *FAST]) == EXIT_USAGE
        assert "output folder does not exist" in _error_line(capsys)

    def test_existing_preview_blocks_start(self, tmp_path, inputs, capsys) -> None:  # type: ignore[no-untyped-def]
        output = tmp_path / "out.png"
        (tmp_path / "out.step0002.png").write_bytes(b"mine")
        code = main(
            ["stylize", str(inputs[0]), "--style", str(inputs[1]), "-o", str(output), *FAST, "--save-every", "1"]
        )
        assert code == EXIT_USAGE
        assert "out.step0002.png exists" in _error_line(capsys)
        assert not output.exists()


class TestSuccess:
    def test_writes_png_of_requested_size(self, tmp_path, inputs, capsys) -> None:  # type: ignore[no-untyped-def]
        output = tmp_path / "out.png"
        assert main(["stylize", str(inputs[0]), "--style", str(inputs[1]), "-o", str(output), *FAST]) == 0
        assert capsys.readouterr().out.strip() == str(output)
        with Image.open(output) as image:
            assert (image.format, image.size) == ("PNG", (32, 24))

    def test_jpeg_two_styles_previews_and_force(self, tmp_path, inputs, capsys) -> None:  # type: ignore[no-untyped-def]
        output = tmp_path / "out.jpg"
        output.write_bytes(b"old")
        argv = ["stylize", str(inputs[0]), "-s", str(inputs[1]), "-s", str(inputs[0]), "--style-weights", "3,1",
                "-o", str(output), "--force", "--save-every", "1", "--preserve-color", *FAST]  # fmt: skip
        assert main(argv) == 0
        with Image.open(output) as image:
            assert image.format == "JPEG"
        assert sorted(p.name for p in tmp_path.glob("out.step*")) == ["out.step0001.jpg", "out.step0002.jpg"]

    def test_progress_bar_on_stderr(self, tmp_path, inputs, capsys) -> None:  # type: ignore[no-untyped-def]
        output = tmp_path / "out.png"
        argv = ["stylize", str(inputs[0]), "--style", str(inputs[1]), "-o", str(output), "--size", "32",
                "--scales", "1.0", "--steps", "3"]  # fmt: skip
        assert main(argv) == 0
        err = capsys.readouterr().err
        assert "scale 1/1 (32 px)" in err and "step=3/3" in err and "loss=" in err and "100%" in err

    def test_info_is_json(self, capsys) -> None:  # type: ignore[no-untyped-def]
        assert main(["info"]) == 0
        report = json.loads(capsys.readouterr().out)
        assert "optimize" in report["methods"]
        assert "vgg19.caffe_q8" in report["weights"]
        assert report["threads"] >= 1

    def test_help_lists_settings(self, capsys) -> None:  # type: ignore[no-untyped-def]
        with pytest.raises(SystemExit) as exit_info:
            main(["stylize", "--help"])
        assert exit_info.value.code == 0
        text = capsys.readouterr().out
        for flag in ("--content-weight", "--style-weight", "--tv-weight", "--style-layers", "--preserve-color",
                     "--size", "--seed", "--init", "--save-every", "--quality"):  # fmt: skip
            assert flag in text


class TestAdainBadInput:
    """--method adain: its own settings are checked before any model is loaded."""

    @pytest.mark.parametrize(
        ("extra", "message"),
        [
            (["--alpha", "1.5"], "alpha must be within 0..1"),
            (["--alpha", "nan"], "alpha must be within 0..1"),
            (["--style-weights", "1,2"], "2 values for 1 --style"),
            (["--quality", "high"], "--quality does not apply to --method adain"),
            (["--decoder", "/nonexistent/decoder.safetensors"], "unknown model '/nonexistent/decoder.safetensors'"),
        ],
    )
    def test_rejected(self, tmp_path, inputs, capsys, extra: list[str], message: str) -> None:  # type: ignore[no-untyped-def]
        output = tmp_path / "out.png"
        argv = ["stylize", str(inputs[0]), "-s", str(inputs[1]), "-o", str(output), "--method", "adain", "-q", *extra]
        assert main(argv) == EXIT_USAGE
        assert message in _error_line(capsys)
        assert not output.exists()

    def test_mask_not_an_image(self, tmp_path, inputs, capsys) -> None:  # type: ignore[no-untyped-def]
        from painterly.model_files import save_model
        from painterly.nets.adain import AdaINDecoder

        decoder = save_model(tmp_path / "d.safetensors", AdaINDecoder(), {"kind": "adain-decoder"})
        (tmp_path / "mask.png").write_text("not an image")
        output = tmp_path / "out.png"
        argv = ["stylize", str(inputs[0]), "-s", str(inputs[1]), "-o", str(output), "--method", "adain", "-q",
                "--decoder", str(decoder), "--mask", str(tmp_path / "mask.png")]  # fmt: skip
        assert main(argv) == EXIT_USAGE
        assert "mask" in _error_line(capsys) and not output.exists()


class TestTrainDecoderCommand:
    def test_required_options(self, capsys) -> None:  # type: ignore[no-untyped-def]
        assert main(["train-decoder", "--styles", "s", "--output", "o"]) == EXIT_USAGE
        assert "--photos is required" in _error_line(capsys)

    def test_resume_needs_output(self, capsys) -> None:  # type: ignore[no-untyped-def]
        assert main(["train-decoder", "--resume"]) == EXIT_USAGE
        assert "--output is required" in _error_line(capsys)

    def test_resume_nothing(self, tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
        assert main(["train-decoder", "--resume", "--output", str(tmp_path)]) == EXIT_USAGE
        assert "cannot resume" in _error_line(capsys)

    def test_empty_photo_folder(self, tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
        (tmp_path / "photos").mkdir()
        (tmp_path / "styles").mkdir()
        argv = ["train-decoder", "--photos", str(tmp_path / "photos"), "--styles", str(tmp_path / "styles"),
                "--output", str(tmp_path / "run"), "-q"]  # fmt: skip
        assert main(argv) == EXIT_USAGE
        assert "no images" in _error_line(capsys)


class TestTrainedModels:
    @pytest.fixture
    def model(self, tmp_path, monkeypatch):  # type: ignore[no-untyped-def]
        from painterly.model_files import save_model
        from painterly.nets.transformer import StyleNet

        monkeypatch.setenv("PAINTERLY_HOME", str(tmp_path / "home"))
        metadata = {"kind": "stylenet", "width": 8, "blocks": 1, "styles": [{"name": "a"}, {"name": "b"}]}
        return save_model(tmp_path / "home" / "models" / "tiny.safetensors", StyleNet(2, width=8, blocks=1), metadata)

    def test_stylize_with_model_and_blend(self, tmp_path, inputs, model, capsys) -> None:  # type: ignore[no-untyped-def]
        output = tmp_path / "out.png"
        argv = ["stylize", str(inputs[0]), "--method", "feedforward", "--model", "tiny", "--blend", "0:0.3,1:0.7",
                "-o", str(output), "-q"]  # fmt: skip
        assert main(argv) == 0
        with Image.open(output) as image:
            assert image.size == (64, 48)

    @pytest.mark.parametrize(
        ("extra", "message"),
        [(["--model", "tiny", "--blend", "4:1"], "blend index 4 is out of range"),
         (["--model", "tiny", "--blend", "0:0"], "sum to more than 0"),
         (["--model", "nope"], "unknown model 'nope'"),
         (["--model", "tiny", "--strength", "2"], "strength must be within 0..1"),
         (["--model", "tiny", "-s", "x.png"], "drop --style")],
    )  # fmt: skip
    def test_bad_input(self, tmp_path, inputs, model, capsys, extra: list[str], message: str) -> None:  # type: ignore[no-untyped-def]
        argv = ["stylize", str(inputs[0]), "--method", "feedforward", "-o", str(tmp_path / "o.png"), "-q", *extra]
        assert main(argv) == EXIT_USAGE
        assert message in _error_line(capsys)

    def test_wrong_model_file(self, tmp_path, inputs, capsys) -> None:  # type: ignore[no-untyped-def]
        (tmp_path / "fake.safetensors").write_bytes(b"0" * 100)
        argv = ["stylize", str(inputs[0]), "--method", "feedforward", "--model", str(tmp_path / "fake.safetensors"),
                "-o", str(tmp_path / "o.png")]  # fmt: skip
        assert main(argv) == EXIT_USAGE
        assert "not a painterly model file" in _error_line(capsys)

    def test_export_and_models(self, tmp_path, model, capsys) -> None:  # type: ignore[no-untyped-def]
        pytest.importorskip("onnxruntime")
        assert main(["export", "tiny", "-o", str(tmp_path / "tiny.onnx")]) == 0
        assert (tmp_path / "tiny.onnx").stat().st_size > 1000
        capsys.readouterr()
        assert main(["export", "tiny", "-o", str(tmp_path / "tiny.onnx")]) == EXIT_USAGE
        assert "exists; pass --force" in _error_line(capsys)
        assert main(["models"]) == 0
        listing = capsys.readouterr().out
        assert "tiny" in listing and "The Starry Night (Vincent van Gogh, 1889)" in listing

    def test_export_says_when_painterly_recolours_after_the_network(self, tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
        pytest.importorskip("onnxruntime")
        assert main(["export", "arlesiennes", "-o", str(tmp_path / "a.onnx")]) == 0  # bundled: style_colors on
        assert "the ONNX graph is the network alone" in capsys.readouterr().err
        assert main(["export", "udnie", "-o", str(tmp_path / "u.onnx")]) == 0
        assert "note:" not in capsys.readouterr().err

    def test_optimize_needs_a_style(self, tmp_path, inputs, capsys) -> None:  # type: ignore[no-untyped-def]
        assert main(["stylize", str(inputs[0]), "-o", str(tmp_path / "o.png")]) == EXIT_USAGE
        assert "needs at least one --style" in _error_line(capsys)

    def test_train_requires_styles(self, tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
        assert main(["train", "--photos", str(tmp_path), "--output", str(tmp_path / "run")]) == EXIT_USAGE
        assert "--styles is required" in _error_line(capsys)


class TestServeOptions:
    @pytest.mark.parametrize(("argv", "message"), [
        (["--port", "70000"], "port must be within 1..65535"),
        (["--max-size", "8"], "max_size must be ≥ 16"),
        (["--job-timeout-seconds", "-1"], "job_timeout_seconds must be a finite number ≥ 0"),
    ])  # fmt: skip
    def test_bad_service_settings(self, argv: list[str], message: str, capsys: pytest.CaptureFixture[str]) -> None:
        assert main(["serve", *argv]) == EXIT_USAGE
        assert message in capsys.readouterr().err
