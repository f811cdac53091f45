"""The AdaIN method: settings checks, α, style mixing, masks, colour, caching, full resolution."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from painterly.errors import ArgumentError, ImageError, WeightsError
from painterly.image_io import image_to_tensor
from painterly.methods.adain import AdaINSettings, AdaINStylizer, region_weights
from painterly.methods.base import get_method


@pytest.fixture(scope="module")
def decoder() -> torch.nn.Module:
    """A stand-in decoder: a random 1×1 projection of relu4_1 to RGB, upsampled 8×, squashed to [0, 1].

    Linear in its input, so unlike an untrained AdaINDecoder it never collapses to a flat colour.
    """
    torch.manual_seed(5)
    projection = torch.nn.Conv2d(512, 3, 1)
    with torch.no_grad():
        projection.weight.normal_(0, 2e-3)
        projection.bias.zero_()
    return torch.nn.Sequential(projection, torch.nn.Upsample(scale_factor=8, mode="bilinear"), torch.nn.Sigmoid())


def _stylizer(vgg19, decoder, **settings: object) -> AdaINStylizer:  # type: ignore[no-untyped-def]
    return AdaINStylizer(AdaINSettings(**settings), encoder=vgg19, decoder=decoder)  # type: ignore[arg-type]


def _array(image: Image.Image) -> np.ndarray:
    return np.asarray(image, dtype=np.float32)


class TestSettings:
    def test_registered(self) -> None:
        assert get_method("adain") is AdaINStylizer

    @pytest.mark.parametrize(("values", "message"), [({"alpha": 1.5}, "alpha must be within 0..1"),
                                                     ({"alpha": -0.1}, "alpha"), ({"size": 4}, "size must be ≥ 16"),
                                                     ({"preserve_color": "x"}, "preserve_color")])  # fmt: skip
    def test_rejects(self, values: dict[str, object], message: str) -> None:
        with pytest.raises(ArgumentError, match=message):
            AdaINSettings(**values)  # type: ignore[arg-type]

    def test_decoder_by_model_name(self, vgg19, tmp_path, monkeypatch, capsys, photo, stripes) -> None:  # type: ignore[no-untyped-def]
        from painterly.cli import main
        from painterly.model_files import save_model
        from painterly.nets.adain import AdaINDecoder

        monkeypatch.setenv("PAINTERLY_HOME", str(tmp_path / "home"))
        metadata = {"kind": "adain-decoder", "steps": 7}
        save_model(tmp_path / "home" / "models" / "mine.safetensors", AdaINDecoder(), metadata)
        stylizer = AdaINStylizer(AdaINSettings(decoder="mine"), encoder=vgg19)
        assert stylizer.stylize(photo, [stripes]).size == photo.size
        assert main(["models"]) == 0
        assert "mine               user     adain-decoder  styles: any style" in capsys.readouterr().out

    def test_missing_decoder_file(self, vgg19, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
        with pytest.raises(WeightsError, match="unknown model .*none.safetensors.*known adain-decoder models"):
            AdaINStylizer(AdaINSettings(decoder=str(tmp_path / "none.safetensors")), encoder=vgg19)


class TestStylize:
    def test_full_resolution_odd_size(self, vgg19, decoder, stripes) -> None:  # type: ignore[no-untyped-def]
        photo = Image.new("RGB", (61, 37), (200, 100, 50))
        assert _stylizer(vgg19, decoder).stylize(photo, [stripes]).size == (61, 37)
        assert _stylizer(vgg19, decoder, size=40).stylize(photo, [stripes]).size == (40, 24)

    def test_alpha_zero_ignores_the_style(self, vgg19, decoder, photo, stripes) -> None:  # type: ignore[no-untyped-def]
        blue = Image.new("RGB", (64, 64), (0, 0, 255))
        stylizer = _stylizer(vgg19, decoder, alpha=0.0)
        assert np.array_equal(_array(stylizer.stylize(photo, [stripes])), _array(stylizer.stylize(photo, [blue])))
        full = _stylizer(vgg19, decoder, alpha=1.0)
        assert not np.array_equal(_array(full.stylize(photo, [stripes])), _array(full.stylize(photo, [blue])))

    def test_weights_interpolate(self, vgg19, decoder, photo, stripes) -> None:  # type: ignore[no-untyped-def]
        blue = Image.new("RGB", (64, 64), (0, 0, 255))
        stylizer = _stylizer(vgg19, decoder)
        only_stripes = _array(stylizer.stylize(photo, [stripes]))
        mostly = _array(stylizer.stylize(photo, [stripes, blue], style_weights=[0.9, 0.1]))
        half = _array(stylizer.stylize(photo, [stripes, blue], style_weights=[0.5, 0.5]))
        assert np.abs(mostly - only_stripes).mean() < np.abs(half - only_stripes).mean()
        with pytest.raises(ArgumentError, match="1 weights for 2 styles"):
            stylizer.stylize(photo, [stripes, blue], style_weights=[1.0])

    def test_mask_picks_style_per_region(self, tmp_path, vgg19, decoder, stripes) -> None:  # type: ignore[no-untyped-def]
        photo = Image.new("RGB", (64, 64), (128, 128, 128))
        blue = Image.new("RGB", (64, 64), (0, 0, 255))
        mask = Image.new("L", (64, 64), 0)
        mask.paste(255, (32, 0, 64, 64))  # right half white → second style
        mask.save(tmp_path / "mask.png")
        stylizer = _stylizer(vgg19, decoder, mask=str(tmp_path / "mask.png"))
        masked = _array(stylizer.stylize(photo, [stripes, blue]))
        plain = _stylizer(vgg19, decoder, style_colors=False)  # masked results keep the decoder's colours too
        left_style, right_style = _array(plain.stylize(photo, [stripes])), _array(plain.stylize(photo, [blue]))
        # Away from the seam, each half looks like its own style (the decoder's receptive field blurs the seam).
        assert np.abs(masked[:, :20] - left_style[:, :20]).mean() < np.abs(masked[:, :20] - right_style[:, :20]).mean()
        assert np.abs(masked[:, 44:] - right_style[:, 44:]).mean() < np.abs(masked[:, 44:] - left_style[:, 44:]).mean()

    def test_style_colors_take_the_paintings_palette(self, vgg19, decoder, photo) -> None:  # type: ignore[no-untyped-def]
        from painterly.color import color_statistics

        red, green = np.meshgrid(np.linspace(150, 255, 64), np.linspace(40, 120, 64))
        warm = Image.fromarray(np.stack([red, green, np.full((64, 64), 20.0)], axis=-1).astype(np.uint8))
        target_mean, target_cov = color_statistics([image_to_tensor(warm)], [1.0])

        def distance(image: Image.Image) -> float:
            mean, cov = color_statistics([image_to_tensor(image)], [1.0])
            return float((mean - target_mean).norm() + (cov - target_cov).norm())

        followed = _stylizer(vgg19, decoder).stylize(photo, [warm])
        own = _stylizer(vgg19, decoder, style_colors=False).stylize(photo, [warm])
        assert distance(followed) < 0.25 * distance(own)

    def test_mask_of_wrong_size_is_resized_with_a_note(self, tmp_path, vgg19, decoder, photo, stripes, caplog) -> None:  # type: ignore[no-untyped-def]
        Image.new("L", (20, 30), 255).save(tmp_path / "small.png")
        result = _stylizer(vgg19, decoder, mask=str(tmp_path / "small.png")).stylize(photo, [stripes, stripes])
        assert result.size == photo.size
        assert "resizing the mask" in caplog.text

    def test_mask_not_an_image(self, tmp_path, vgg19, decoder, photo, stripes) -> None:  # type: ignore[no-untyped-def]
        (tmp_path / "mask.png").write_text("no")
        with pytest.raises(ImageError, match="mask .* is not an image"):
            _stylizer(vgg19, decoder, mask=str(tmp_path / "mask.png")).stylize(photo, [stripes, photo])

    def test_mask_with_one_style_is_refused(self, tmp_path, vgg19, decoder, photo, stripes) -> None:  # type: ignore[no-untyped-def]
        photo.save(tmp_path / "mask.png")
        with pytest.raises(ArgumentError, match="give two or more style images"):
            _stylizer(vgg19, decoder, mask=str(tmp_path / "mask.png")).stylize(photo, [stripes])

    def test_luminance_keeps_photo_chroma(self, vgg19, decoder, photo, stripes) -> None:  # type: ignore[no-untyped-def]
        from painterly.color import rgb_to_yiq

        def chroma_error(mode: str) -> float:
            result = _stylizer(vgg19, decoder, preserve_color=mode).stylize(photo, [stripes])
            difference = rgb_to_yiq(image_to_tensor(result))[:, 1:] - rgb_to_yiq(image_to_tensor(photo))[:, 1:]
            return float(difference.abs().mean())

        assert chroma_error("luminance") < 0.4 * chroma_error("none")

    def test_style_statistics_are_cached(self, vgg19, decoder, photo, stripes, monkeypatch) -> None:  # type: ignore[no-untyped-def]
        stylizer = _stylizer(vgg19, decoder)
        calls = []
        original = stylizer.encode
        monkeypatch.setattr(stylizer, "encode", lambda x: calls.append(x.shape) or original(x))
        stylizer.stylize(photo, [stripes])
        stylizer.stylize(photo.rotate(90), [stripes])
        assert len(calls) == 3  # photo, style, photo: the style was encoded once


class TestRegionWeights:
    def test_three_styles_sum_to_one(self) -> None:
        mask = torch.linspace(0, 1, 11).view(1, 1, 1, 11)
        maps = region_weights(mask, torch.Size([1, 11]), 3)
        torch.testing.assert_close(sum(maps), torch.ones(1, 1, 1, 11))
        assert maps[0][..., 0].item() == 1.0 and maps[1][..., 5].item() == pytest.approx(1.0)
        assert maps[2][..., 10].item() == 1.0


class TestRefine:
    def test_refine_moves_toward_the_style_and_reports_every_step(self, vgg19, decoder, photo, stripes) -> None:  # type: ignore[no-untyped-def]
        from painterly.metrics import gram_ratio

        events: list = []
        one_pass = _stylizer(vgg19, decoder).stylize(photo, [stripes])
        refined = _stylizer(vgg19, decoder, refine=4).stylize(photo, [stripes], callback=events.append)
        assert refined.size == one_pass.size
        assert gram_ratio(vgg19, refined, photo, stripes) < gram_ratio(vgg19, one_pass, photo, stripes)
        assert [event.step for event in events] == [1, 2, 3, 4, 5] and events[-1].total == 5
        assert [event.fraction for event in events] == sorted(event.fraction for event in events)

    def test_refine_is_bounded(self) -> None:
        with pytest.raises(ArgumentError, match="refine must be a whole number"):
            AdaINSettings(refine=-1)
