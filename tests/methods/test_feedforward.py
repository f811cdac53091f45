"""Trained-model method: blending, strength, sizes, the ONNX engine, and model lookup by name."""

from __future__ import annotations

from functools import partial
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from painterly.errors import ArgumentError, WeightsError
from painterly.methods.feedforward import FeedForwardSettings, FeedForwardStylizer, parse_blend
from painterly.model_files import save_model
from painterly.models import list_models, resolve_model
from painterly.nets.transformer import ConditionalInstanceNorm, StyleNet
from painterly.onnx_export import ONNX_TOLERANCE, export_onnx
from painterly.padding import in_margin


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("PAINTERLY_HOME", str(tmp_path / "home"))
    return tmp_path / "home"


@pytest.fixture
def model_path(home: Path) -> Path:
    torch.manual_seed(3)
    net = StyleNet(2, width=8, blocks=1)
    with torch.no_grad():
        for module in net.modules():
            if isinstance(module, ConditionalInstanceNorm):
                module.shift[1].add_(0.7)  # make the two styles visibly different
    metadata = {"kind": "stylenet", "width": 8, "blocks": 1, "styles": [{"name": "a"}, {"name": "b"}]}
    return save_model(home / "models" / "tiny.safetensors", net, metadata)


def _stylizer(**settings: object) -> FeedForwardStylizer:
    return FeedForwardStylizer(FeedForwardSettings(**settings))  # type: ignore[arg-type]


class TestParseBlend:
    def test_values(self) -> None:
        torch.testing.assert_close(parse_blend("0:0.7,2:0.3", 3), torch.tensor([[0.7, 0.0, 0.3]]))
        torch.testing.assert_close(parse_blend("", 2), torch.tensor([[1.0, 0.0]]))
        torch.testing.assert_close(parse_blend("1", 2), torch.tensor([[0.0, 1.0]]))

    @pytest.mark.parametrize(("text", "message"), [("3:1", "out of range"), ("0:0", "sum to more than 0"),
                                                   ("a:b", "not INDEX:WEIGHT"), ("0:-1", "≥ 0")])  # fmt: skip
    def test_rejects(self, text: str, message: str) -> None:
        with pytest.raises(ArgumentError, match=message):
            parse_blend(text, 3)


class TestStylize:
    def test_size_blend_strength(self, model_path: Path, photo: Image.Image) -> None:
        odd = photo.resize((61, 37))
        first = _stylizer(model="tiny").stylize(odd, [])
        assert first.size == (61, 37)
        second = _stylizer(model="tiny", blend="1:1").stylize(odd, [])
        assert np.abs(np.asarray(first, np.float32) - np.asarray(second, np.float32)).mean() > 5
        unchanged = _stylizer(model=str(model_path), strength=0.0).stylize(odd, [])
        assert np.array_equal(np.asarray(unchanged), np.asarray(odd))
        assert _stylizer(model="tiny", size=32).stylize(odd, []).size == (32, 19)

    def test_fused_networks_per_blend_are_bounded_and_match_the_network(self, model_path: Path) -> None:
        """The stylizer keeps one fused network per blend (a service may see any number of blends), and each
        computes what the trained network does (float32: to float rounding)."""
        stylizer = _stylizer(model="tiny", precision="float32")
        photos = torch.rand(1, 3, 24, 32)
        for step in range(12):
            blend = torch.tensor([[step / 11, 1 - step / 11]])
            with torch.no_grad():
                expected = stylizer.net(photos, blend)
            torch.testing.assert_close(stylizer.forward(photos, blend), expected, atol=2e-5, rtol=0)
        assert len(stylizer._fused_nets) == 8

    def test_rejects_style_images(self, model_path: Path, photo: Image.Image) -> None:
        with pytest.raises(ArgumentError, match="uses its model's styles"):
            _stylizer(model="tiny").stylize(photo, [photo])

    def test_onnx_matches_torch(self, model_path: Path, photo: Image.Image) -> None:
        pytest.importorskip("onnxruntime")
        torch_result = _stylizer(model="tiny", blend="0:0.5,1:0.5", precision="float32")
        onnx_result = _stylizer(model="tiny", blend="0:0.5,1:0.5", engine="onnx")
        image, blend = torch.rand(1, 3, 40, 56), torch.tensor([[0.5, 0.5]])
        expected = torch_result.forward(image, blend)
        difference = (onnx_result.forward(image, blend) - expected).abs().max().item()
        assert difference < ONNX_TOLERANCE
        assert np.abs(np.asarray(torch_result.stylize(photo, []), np.int16)
                      - np.asarray(onnx_result.stylize(photo, []), np.int16)).max() <= 1  # fmt: skip


class TestMargin:
    """A model trained inside a reflected margin (``margin`` in its metadata) runs inside one, in every engine."""

    @pytest.fixture
    def margined(self, home: Path) -> tuple[Path, StyleNet]:
        torch.manual_seed(5)
        net = StyleNet(1, width=8, blocks=1)
        metadata = {"kind": "stylenet", "width": 8, "blocks": 1, "styles": [{"name": "a"}], "margin": 8}
        return save_model(home / "models" / "margined.safetensors", net, metadata), net.eval()

    def test_result_is_the_network_inside_the_margin(self, margined: tuple[Path, StyleNet]) -> None:
        _, net = margined
        photo = torch.rand(1, 3, 40, 56)
        stylizer = _stylizer(model="margined", precision="float32")
        assert stylizer.margin == 8
        with torch.no_grad():
            expected = in_margin(partial(net, style_weights=torch.ones(1, 1)), photo, 8).clamp(0, 1)
            plain = net(photo, torch.ones(1, 1)).clamp(0, 1)
        result = stylizer(photo, output="tensor")
        assert result.shape == photo.shape
        torch.testing.assert_close(result, expected, atol=2e-5, rtol=0)
        assert (plain - expected)[..., :, -1].abs().mean() > 1e-3  # the margin changed the border column

    def test_exported_onnx_pads_itself(self, margined: tuple[Path, StyleNet], tmp_path: Path) -> None:
        onnxruntime = pytest.importorskip("onnxruntime")
        _, net = margined
        path = export_onnx(net, tmp_path / "m.onnx", margin=8)
        photo = torch.rand(1, 3, 40, 56)
        (output,) = onnxruntime.InferenceSession(str(path)).run(
            None, {"image": photo.numpy(), "style_weights": np.ones((1, 1), np.float32)}
        )
        with torch.no_grad():
            expected = in_margin(partial(net, style_weights=torch.ones(1, 1)), photo, 8)
        assert output.shape == (1, 3, 40, 56)
        assert np.abs(output - expected.numpy()).max() < ONNX_TOLERANCE


class TestStyleColors:
    """A model that stores its paintings' palettes can pull results to them (on where its metadata says so)."""

    # Within [0, 1] a few deviations out, so the recolouring's clamp hardly touches the result.
    MEANS = (torch.tensor([0.6, 0.4, 0.35]), torch.tensor([0.4, 0.45, 0.6]))
    SPREADS = (torch.tensor([0.08, 0.05, 0.04]), torch.tensor([0.04, 0.06, 0.08]))

    @pytest.fixture
    def coloured(self, home: Path) -> Path:
        from painterly.training.feedforward import palette_record

        torch.manual_seed(7)
        net = StyleNet(2, width=8, blocks=1)
        paintings = [mean.view(1, 3, 1, 1) + spread.view(1, 3, 1, 1) * torch.randn(1, 3, 16, 16)
                     for mean, spread in zip(self.MEANS, self.SPREADS)]  # fmt: skip
        metadata = {"kind": "stylenet", "width": 8, "blocks": 1, "styles": [{"name": "red"}, {"name": "blue"}],
                    "palettes": [palette_record(painting) for painting in paintings]}  # fmt: skip
        return save_model(home / "models" / "coloured.safetensors", net, metadata)

    @staticmethod
    def _palette(image: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        from painterly.color import color_statistics

        return color_statistics([image], [1.0])

    @staticmethod
    def _recorded(path: Path, index: int) -> tuple[torch.Tensor, torch.Tensor]:
        from painterly.model_files import read_metadata

        record = read_metadata(path)["palettes"][index]
        return torch.tensor(record["mean"]).view(3, 1), torch.tensor(record["covariance"])

    def test_off_by_default_on_when_asked(self, coloured: Path) -> None:
        photo = torch.rand(1, 3, 48, 64)
        plain, pulled = _stylizer(model="coloured")(photo, output="tensor"), \
            _stylizer(model="coloured", style_colors=True)(photo, output="tensor")  # fmt: skip
        mean, covariance = self._palette(pulled)
        torch.testing.assert_close(mean, self._recorded(coloured, 0)[0], atol=1e-3, rtol=0)
        torch.testing.assert_close(covariance, self._recorded(coloured, 0)[1], atol=2e-4, rtol=0)
        assert (self._palette(plain)[0] - mean).abs().max() > 0.05  # the network alone paints elsewhere

    def test_blend_pools_the_palettes(self, coloured: Path) -> None:
        result = _stylizer(model="coloured", blend="0:0.5,1:0.5", style_colors=True)(torch.rand(1, 3, 48, 64),
                                                                                        output="tensor")  # fmt: skip
        expected = (self._recorded(coloured, 0)[0] + self._recorded(coloured, 1)[0]) / 2
        torch.testing.assert_close(self._palette(result)[0], expected, atol=1e-3, rtol=0)

    def test_model_default_and_override(self, coloured: Path, home: Path) -> None:
        from painterly.model_files import read_metadata

        net = StyleNet(2, width=8, blocks=1)
        metadata = read_metadata(coloured) | {"style_colors": True}
        save_model(home / "models" / "coloured_on.safetensors", net, metadata)
        assert _stylizer(model="coloured_on").style_colors == [True, True]
        assert _stylizer(model="coloured_on", style_colors=False).style_colors == [False, False]
        assert _stylizer(model="coloured").style_colors == [False, False]

    def test_per_style_choice_pulls_by_the_blend_share(self, coloured: Path, home: Path) -> None:
        from painterly.model_files import read_metadata

        metadata = read_metadata(coloured) | {"style_colors": [True, False]}
        save_model(home / "models" / "half.safetensors", StyleNet(2, width=8, blocks=1), metadata)
        photo = torch.rand(1, 3, 48, 64)
        net_only = _stylizer(model="half", blend="0:0.5,1:0.5", style_colors=False)(photo, output="tensor")
        pulled = _stylizer(model="half", blend="0:0.5,1:0.5", style_colors=True)(photo, output="tensor")
        half = _stylizer(model="half", blend="0:0.5,1:0.5")(photo, output="tensor")
        torch.testing.assert_close(half, (net_only + pulled) / 2, atol=1e-5, rtol=0)  # half the blend is pulled
        torch.testing.assert_close(
            _stylizer(model="half", blend="1")(photo, output="tensor"),
            _stylizer(model="half", blend="1", style_colors=False)(photo, output="tensor"),
        )

    def test_a_per_call_choice_reaches_a_loaded_stylizer(self, coloured: Path) -> None:
        # painterly.load builds the stylizer from its load-time settings and hands the rest on per call.
        import painterly

        photo = torch.rand(1, 3, 48, 64)
        plain = painterly.load("feedforward", model="coloured")(photo, output="tensor")
        pulled = painterly.load("feedforward", model="coloured", style_colors=True)(photo, output="tensor")
        per_call = painterly.load("feedforward", model="coloured")(photo, output="tensor", style_colors=True)
        torch.testing.assert_close(per_call, pulled)
        assert (plain - pulled).abs().mean() > 0.01
        torch.testing.assert_close(self._palette(pulled)[0], self._recorded(coloured, 0)[0], atol=1e-3, rtol=0)

    def test_kept_photo_colours_win(self, coloured: Path) -> None:
        photo = torch.rand(1, 3, 48, 64)
        kept = _stylizer(model="coloured", style_colors=True, preserve_color="luminance")(photo, output="tensor")
        both = _stylizer(model="coloured", preserve_color="luminance")(photo, output="tensor")
        torch.testing.assert_close(kept, both)

    def test_a_model_without_palettes_says_so(self, model_path: Path) -> None:
        with pytest.raises(ArgumentError, match="records no palettes"):
            _stylizer(model="tiny", style_colors=True)
        import painterly

        with pytest.raises(ArgumentError, match="records no palettes"):
            painterly.load("feedforward", model="tiny", style_colors=True)


class TestModels:
    def test_lookup(self, model_path: Path) -> None:
        names = [(m.name, m.origin, m.styles) for m in list_models("stylenet")]
        assert ("tiny", "user", ["a", "b"]) in names
        assert resolve_model("tiny", "stylenet") == model_path
        with pytest.raises(WeightsError, match="unknown model 'nope'; known stylenet models: .*tiny"):
            resolve_model("nope", "stylenet")

    def test_settings_need_a_model(self) -> None:
        with pytest.raises(ArgumentError, match="choose a trained model"):
            FeedForwardSettings()

    def test_corrupt_model_file(self, home: Path) -> None:
        (home / "models").mkdir(parents=True)
        bad = home / "models" / "bad.safetensors"
        bad.write_bytes(b"junk")
        assert "bad" not in [m.name for m in list_models()]  # skipped in listings
        with pytest.raises(WeightsError, match="not a painterly model file"):
            _stylizer(model=str(bad))
