"""Feed-forward training: one and several styles, WGAN-GP, fine-tuning, adding a style, resume."""

from __future__ import annotations

import base64
import io
import shutil
from pathlib import Path

import pytest
import torch
from images import make_photo, make_stripes
from PIL import Image
from safetensors.torch import load_file

from painterly.errors import ArgumentError, WeightsError
from painterly.model_files import read_metadata
from painterly.training.feedforward import PREVIEW_SIZE, FeedForwardTrainingConfig, train_feedforward


@pytest.fixture
def data(tmp_path: Path) -> tuple[Path, list[str]]:
    photos = tmp_path / "photos"
    photos.mkdir()
    for index in range(3):
        make_photo(64, 48, seed=index).save(photos / f"p{index}.png")
    (photos / "broken.png").write_text("not an image")
    styles = []
    for index, period in enumerate((3, 7)):
        path = tmp_path / f"style{index}.png"
        make_stripes(64, 64, period=period).save(path)
        styles.append(str(path))
    return photos, styles


def _config(data, output: Path, **overrides: object) -> FeedForwardTrainingConfig:  # type: ignore[no-untyped-def]
    values: dict[str, object] = {"photos": str(data[0]), "styles": tuple(data[1][:1]), "output": str(output),
                                 "steps": 3, "batch_size": 2, "crop": 32, "photo_short_side": 40, "style_size": 64,
                                 "width": 8, "blocks": 1, "checkpoint_every": 2, "preview_every": 3}  # fmt: skip
    values.update(overrides)
    return FeedForwardTrainingConfig(**values)  # type: ignore[arg-type]


class TestTrainFeedforward:
    def test_single_style_writes_model_and_lowers_loss(self, tmp_path, data, vgg19) -> None:  # type: ignore[no-untyped-def]
        events = []
        path = train_feedforward(_config(data, tmp_path / "run", steps=12, checkpoint_every=6),
                                 vgg19, callback=events.append)  # fmt: skip
        metadata = read_metadata(path)
        assert metadata["kind"] == "stylenet" and metadata["steps"] == 12 and len(metadata["styles"]) == 1
        assert metadata["style_size"] == 64  # the stroke scale it learned, for the model card
        (palette,) = metadata["palettes"]  # the painting's colours, for style_colors: red/blue stripes on green 0.1
        assert palette["mean"] == pytest.approx([0.45, 0.1, 0.4], abs=0.02)
        assert 0 < metadata["training_seconds"] <= events[-1].elapsed + 0.1  # summed from the loss log
        preview = Image.open(io.BytesIO(base64.b64decode(metadata["previews"][0].split(",", 1)[1])))
        assert preview.format == "JPEG" and max(preview.size) == PREVIEW_SIZE  # the sample photo, stylized
        losses = [event.losses["style"] for event in events]
        assert sum(losses[-3:]) < sum(losses[:3])
        for name in ("config.json", "checkpoint.pt", "losses.csv", "losses.png", "preview.png"):
            assert (tmp_path / "run" / name).is_file()

    def test_two_styles_take_turns(self, tmp_path, data, vgg19) -> None:  # type: ignore[no-untyped-def]
        events = []
        path = train_feedforward(_config(data, tmp_path / "run", styles=tuple(data[1]), steps=4), vgg19,
                                 callback=events.append)  # fmt: skip
        assert [event.losses["style_index"] for event in events] == [0.0, 1.0, 0.0, 1.0]
        first, second = read_metadata(path)["previews"]  # one sample-photo preview per style
        assert first != second

    def test_style_weights_per_style(self, tmp_path, data, vgg19) -> None:  # type: ignore[no-untyped-def]
        first = {}
        for betas in ((20.0, 20.0), (50.0, 20.0)):
            events = []
            path = train_feedforward(_config(data, tmp_path / f"run{betas[0]}", styles=tuple(data[1]), steps=1,
                                             style_weights=betas), vgg19, callback=events.append)  # fmt: skip
            first[betas[0]] = events[0].losses  # step 0 trains style 0 from the same start
        assert first[50.0]["style"] == pytest.approx(first[20.0]["style"], rel=1e-4)
        assert first[50.0]["total"] - first[20.0]["total"] == pytest.approx(30.0 * first[20.0]["style"], rel=1e-3)
        assert read_metadata(path)["weights"]["style"] == [50.0, 20.0]
        with pytest.raises(ArgumentError, match="one style weight per style"):
            _config(data, tmp_path, styles=tuple(data[1]), style_weights=(20.0,))

    def test_wgan_gp_trains_a_critic(self, tmp_path, data, vgg19) -> None:  # type: ignore[no-untyped-def]
        events = []
        train_feedforward(_config(data, tmp_path / "run", adversarial="wgan-gp"), vgg19, callback=events.append)
        assert all("penalty" in event.losses and "adversarial" in event.losses for event in events)
        assert "critic" in torch.load(tmp_path / "run" / "checkpoint.pt", weights_only=True)

    def test_adding_a_style_trains_only_its_norms(self, tmp_path, data, vgg19) -> None:  # type: ignore[no-untyped-def]
        base = train_feedforward(_config(data, tmp_path / "base", steps=2), vgg19)
        extended = train_feedforward(_config(data, tmp_path / "more", styles=tuple(data[1]), init_from=str(base),
                                             steps=3), vgg19)  # fmt: skip
        before, after = load_file(str(base)), load_file(str(extended))
        assert after["stem.norm.scale"].shape[0] == 2
        assert torch.equal(before["stem.conv.weight"], after["stem.conv.weight"])  # shared layers frozen
        assert torch.equal(before["stem.norm.scale"][0], after["stem.norm.scale"][0])  # old style untouched
        assert len(read_metadata(extended)["styles"]) == 2

    def test_fine_tune_to_new_style(self, tmp_path, data, vgg19) -> None:  # type: ignore[no-untyped-def]
        base = train_feedforward(_config(data, tmp_path / "base", steps=2), vgg19)
        tuned = train_feedforward(_config(data, tmp_path / "tuned", styles=(data[1][1],), init_from=str(base)), vgg19)
        assert not torch.equal(load_file(str(base))["stem.conv.weight"], load_file(str(tuned))["stem.conv.weight"])

    def test_init_from_takes_a_model_name(self, tmp_path, data, vgg19, monkeypatch) -> None:  # type: ignore[no-untyped-def]
        monkeypatch.setenv("PAINTERLY_HOME", str(tmp_path / "home"))
        base = train_feedforward(_config(data, tmp_path / "base", steps=2), vgg19)
        (tmp_path / "home" / "models").mkdir(parents=True)
        shutil.copy(base, tmp_path / "home" / "models" / "stripes.safetensors")
        tuned = train_feedforward(_config(data, tmp_path / "tuned", steps=1, init_from="stripes"), vgg19)
        assert read_metadata(tuned)["init_from"] == "stripes"
        with pytest.raises(WeightsError, match="unknown model 'nope'"):
            train_feedforward(_config(data, tmp_path / "other", init_from="nope"), vgg19)

    def test_margin_is_saved_and_used_at_inference(self, tmp_path, data, vgg19) -> None:  # type: ignore[no-untyped-def]
        from painterly.methods.feedforward import FeedForwardSettings, FeedForwardStylizer

        path = train_feedforward(_config(data, tmp_path / "run", steps=2, margin=8), vgg19)
        assert read_metadata(path)["margin"] == 8
        stylizer = FeedForwardStylizer(FeedForwardSettings(model=str(path)))
        assert stylizer.margin == 8 and stylizer(torch.rand(1, 3, 36, 44), output="tensor").shape == (1, 3, 36, 44)

    def test_resume_continues(self, tmp_path, data, vgg19) -> None:  # type: ignore[no-untyped-def]
        run = tmp_path / "run"
        train_feedforward(_config(data, run, steps=2), vgg19)
        train_feedforward(_config(data, run, steps=4), vgg19, resume=True)
        assert read_metadata(run / "model.safetensors")["steps"] == 4

    def test_resume_trains_in_the_folder_given(self, tmp_path, data, vgg19) -> None:  # type: ignore[no-untyped-def]
        """A run copied (or moved) elsewhere resumes there; the original folder is left as it was."""
        original, copy = tmp_path / "run", tmp_path / "copy"
        train_feedforward(_config(data, original, steps=2), vgg19)
        shutil.copytree(original, copy)
        before = (original / "checkpoint.pt").read_bytes()
        train_feedforward(_config(data, copy, steps=4), vgg19, resume=True)
        assert read_metadata(copy / "model.safetensors")["steps"] == 4
        assert (original / "checkpoint.pt").read_bytes() == before
        assert read_metadata(original / "model.safetensors")["steps"] == 2

    def test_resumed_losses_match_an_uninterrupted_run(self, tmp_path, data, vgg19) -> None:  # type: ignore[no-untyped-def]
        """Weights and data order are restored exactly; Adam's moments come back from bfloat16, so the
        losses after a resume match an uninterrupted run's closely but not bit for bit."""
        whole, split = tmp_path / "whole", tmp_path / "split"
        train_feedforward(_config(data, whole, steps=4, checkpoint_every=4), vgg19)
        train_feedforward(_config(data, split, steps=2, checkpoint_every=2), vgg19)
        train_feedforward(_config(data, split, steps=4, checkpoint_every=2), vgg19, resume=True)
        rows = [(whole / "losses.csv").read_text().splitlines(), (split / "losses.csv").read_text().splitlines()]
        header = rows[0][0].split(",")
        total = header.index("total")
        losses = [[float(line.split(",")[total]) for line in lines[1:]] for lines in rows]
        assert losses[0][:2] == losses[1][:2]  # before the interruption: the same run
        assert losses[1][2:] == pytest.approx(losses[0][2:], rel=1e-3)  # measured: 5e-5 two steps on

    def test_bad_config(self, tmp_path, data) -> None:  # type: ignore[no-untyped-def]
        with pytest.raises(ArgumentError, match="at least one style"):
            _config(data, tmp_path, styles=())
        with pytest.raises(ArgumentError, match="multiple of 4"):
            _config(data, tmp_path, crop=30)
        with pytest.raises(ArgumentError, match="margin must be a multiple of 4"):
            _config(data, tmp_path, margin=6)
        with pytest.raises(ArgumentError, match="none or wgan-gp"):
            _config(data, tmp_path, adversarial="lsgan")


def test_training_device_is_checked(tmp_path, data, vgg19) -> None:  # type: ignore[no-untyped-def]
    from painterly.errors import DeviceError

    with pytest.raises(DeviceError, match="device 'cuda:7' is not usable here"):
        train_feedforward(_config(data, tmp_path / "run", device="cuda:7"), vgg19)
