"""Decoder training: files written, unreadable images skipped, and interrupted runs resume exactly."""

from __future__ import annotations

from pathlib import Path

import pytest
from images import make_photo, make_stripes
from PIL import Image

from painterly.errors import ArgumentError
from painterly.methods.adain import AdaINSettings, AdaINStylizer
from painterly.model_files import read_metadata
from painterly.training.decoder import DecoderTrainingConfig, train_decoder
from painterly.training.log import LossLog


@pytest.fixture
def folders(tmp_path: Path) -> tuple[Path, Path]:
    photos, styles = tmp_path / "photos", tmp_path / "styles"
    photos.mkdir()
    styles.mkdir()
    for index in range(3):
        make_photo(64, 48, seed=index).save(photos / f"p{index}.png")
        make_stripes(64, 64, period=3 + index).save(styles / f"s{index}.jpg")
    (photos / "broken.jpg").write_bytes(b"not a jpeg")
    return photos, styles


def _config(folders: tuple[Path, Path], output: Path, **overrides: object) -> DecoderTrainingConfig:
    values: dict[str, object] = {"photos": str(folders[0]), "styles": str(folders[1]), "output": str(output),
                                 "steps": 3, "batch_size": 2, "crop": 32, "photo_short_side": 40,
                                 "style_short_side": 40, "checkpoint_every": 2, "preview_every": 2}  # fmt: skip
    values.update(overrides)
    return DecoderTrainingConfig(**values)  # type: ignore[arg-type]


def _steps(run: Path) -> list[int]:
    return [int(row["step"]) for row in LossLog(run / "losses.csv", [], resume_step=10**9).read()]


class TestTrainDecoder:
    def test_writes_everything_and_the_decoder_loads(self, tmp_path, folders, vgg19, caplog) -> None:  # type: ignore[no-untyped-def]
        run = tmp_path / "run"
        path = train_decoder(_config(folders, run), vgg19)
        for name in ("config.json", "checkpoint.pt", "losses.csv", "losses.png", "preview.png", "decoder.safetensors"):
            assert (run / name).is_file(), name
        assert _steps(run) == [1, 2, 3]
        assert "skipping" in caplog.text and "broken.jpg" in caplog.text
        licences = read_metadata(path)["licences"]  # for the model card; these test files are in no manifest
        assert sum(licences["photos"].values()) == 4 and sum(licences["styles"].values()) == 3
        stylizer = AdaINStylizer(AdaINSettings(decoder=str(path)), encoder=vgg19)
        assert stylizer.stylize(make_photo(), [make_stripes()]).size == (64, 48)

    def test_interrupted_run_resumes_from_last_checkpoint(self, tmp_path, folders, vgg19) -> None:  # type: ignore[no-untyped-def]
        run = tmp_path / "run"

        def interrupt(event) -> None:  # type: ignore[no-untyped-def]
            if event.step == 3:
                raise KeyboardInterrupt

        with pytest.raises(KeyboardInterrupt):
            train_decoder(_config(folders, run, steps=5), vgg19, callback=interrupt)
        assert _steps(run) == [1, 2, 3]  # step 3 was logged, but the checkpoint holds step 2
        train_decoder(_config(folders, run, steps=4), vgg19, resume=True)
        assert _steps(run) == [1, 2, 3, 4]  # the unsaved step 3 was redone, not duplicated

    def test_refuses_to_overwrite_a_run(self, tmp_path, folders, vgg19) -> None:  # type: ignore[no-untyped-def]
        run = tmp_path / "run"
        train_decoder(_config(folders, run, steps=2), vgg19)
        with pytest.raises(ArgumentError, match="already holds a training run; pass --resume"):
            train_decoder(_config(folders, run, steps=2), vgg19)

    def test_nothing_to_resume(self, tmp_path, folders, vgg19) -> None:  # type: ignore[no-untyped-def]
        with pytest.raises(ArgumentError, match="no checkpoint"):
            train_decoder(_config(folders, tmp_path / "new"), vgg19, resume=True)

    def test_empty_folder(self, tmp_path, folders, vgg19) -> None:  # type: ignore[no-untyped-def]
        empty = tmp_path / "empty"
        empty.mkdir()
        with pytest.raises(ArgumentError, match="no images"):
            train_decoder(_config((empty, folders[1]), tmp_path / "run"), vgg19)

    def test_bad_config(self, folders, tmp_path) -> None:  # type: ignore[no-untyped-def]
        with pytest.raises(ArgumentError, match="crop must be within"):
            _config(folders, tmp_path, crop=64)
        with pytest.raises(ArgumentError, match="steps must be ≥ 1"):
            _config(folders, tmp_path, steps=0)
        with pytest.raises(ArgumentError, match="objective must be one of adain, wct"):
            _config(folders, tmp_path, objective="gan")


def test_wct_objective_fine_tunes_from_a_decoder(tmp_path, folders, vgg19) -> None:  # type: ignore[no-untyped-def]
    """``init_from`` starts from the given decoder's weights (a step at a vanishing learning rate keeps them);
    the WCT target trains and the result is a decoder the wct method loads."""
    import torch
    from safetensors.torch import load_file

    from painterly.methods.wct import WCTSettings, WCTStylizer

    start = train_decoder(_config(folders, tmp_path / "first", steps=1), vgg19)
    path = train_decoder(_config(folders, tmp_path / "tuned", steps=1, objective="wct", init_from=str(start),
                                 learning_rate=1e-12), vgg19)  # fmt: skip
    before, after = load_file(str(start)), load_file(str(path))
    assert all(torch.allclose(before[name], after[name], atol=1e-6) for name in before)
    assert read_metadata(path)["objective"] == "wct" and read_metadata(path)["init_from"] == str(start)
    rows = LossLog(tmp_path / "tuned" / "losses.csv", ["total", "content", "style"], resume_step=10**9).read()
    assert float(rows[0]["content"]) > 0
    stylizer = WCTStylizer(WCTSettings(decoder=str(path)), encoder=vgg19)
    assert stylizer.stylize(make_photo(), [make_stripes()]).size == (64, 48)


def test_preview_is_an_image(tmp_path, folders, vgg19) -> None:  # type: ignore[no-untyped-def]
    train_decoder(_config(folders, tmp_path / "run", steps=2), vgg19)
    with Image.open(tmp_path / "run" / "preview.png") as preview:
        assert preview.size == (160 * 4, 160 * 4)  # 3 styles + photo column, 3 photos + style row
