"""The optimization method: settings checks, schedule, and runs that move images the right way."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from painterly.encoders.vgg import VGG19Encoder
from painterly.errors import ArgumentError
from painterly.image_io import image_to_tensor
from painterly.losses.functional import gram_matrix
from painterly.methods.base import ProgressEvent, get_method
from painterly.methods.optimize import QUALITY_PRESETS, OptimizeSettings, OptimizeStylizer

STYLE_LAYERS = ("relu1_1", "relu2_1", "relu3_1")


def _style_distance(encoder: VGG19Encoder, image: Image.Image, style: Image.Image) -> float:
    """Σ‖G(image) − G(style)‖² over STYLE_LAYERS, both at their own sizes (Gram is size-normalized)."""
    with torch.no_grad():
        a = encoder(image_to_tensor(image), list(STYLE_LAYERS))
        b = encoder(image_to_tensor(style), list(STYLE_LAYERS))
    return float(sum((gram_matrix(a[k]) - gram_matrix(b[k])).square().sum() for k in STYLE_LAYERS))


def _tiny(**overrides: object) -> OptimizeSettings:
    base: dict[str, object] = {"size": 48, "scales": (0.5, 1.0), "steps": (10, 5), "style_layers": STYLE_LAYERS,
                               "content_layers": ("relu3_1",)}  # fmt: skip
    if "scales" in overrides and "steps" not in overrides:
        base["steps"] = (10,)
    base.update(overrides)
    return OptimizeSettings(**base)  # type: ignore[arg-type]


class TestSettings:
    def test_registered(self) -> None:
        assert get_method("optimize") is OptimizeStylizer

    def test_presets_end_at_full_size(self) -> None:
        for schedule in QUALITY_PRESETS.values():
            assert schedule.scales[-1] == 1.0
            assert len(schedule.scales) == len(schedule.steps)

    def test_single_step_count_applies_to_every_scale(self) -> None:
        assert OptimizeSettings(scales=(0.5, 1.0), steps=(7,)).schedule().steps == (7, 7)

    def test_explicit_scales_with_preset_steps(self) -> None:
        schedule = OptimizeSettings(quality="normal", scales=(1.0,)).schedule()
        assert schedule.scales == (1.0,) and schedule.steps == (QUALITY_PRESETS["normal"].steps[-1],)

    @pytest.mark.parametrize(
        ("overrides", "message"),
        [
            ({"style_weight": -1.0}, "style_weight must be a finite number ≥ 0"),
            ({"content_weight": float("nan")}, "content_weight must be a finite number ≥ 0"),
            ({"tv_weight": float("inf")}, "tv_weight"),
            ({"size": 8}, "size must be an integer ≥ 16"),
            ({"quality": "best"}, "quality must be one of draft, normal, high"),
            ({"optimizer": "sgd"}, "optimizer must be one of lbfgs, adam"),
            ({"style_layers": ("relu9_1",)}, "unknown style layer 'relu9_1'"),
            ({"content_layers": ()}, "no content layers given"),
            ({"style_layer_weights": (1.0, 2.0)}, "2 weights for 5 layers"),
            ({"scales": (1.0, 0.5)}, "scales must rise"),
            ({"scales": (0.5, 1.0), "steps": (1, 2, 3)}, "need one count ≥ 0 per scale"),
            ({"preserve_color": "sepia"}, "preserve_color must be one of none, luminance, histogram"),
            ({"save_every": -1}, "save_every must be ≥ 0"),
            ({"learning_rate": 0.0}, "learning_rate must be > 0"),
        ],
    )
    def test_rejects(self, overrides: dict[str, object], message: str) -> None:
        with pytest.raises(ArgumentError, match=message):
            OptimizeSettings(**overrides)  # type: ignore[arg-type]


class TestStylize:
    def test_lowers_style_distance_and_keeps_size(self, random_vgg19, photo, stripes) -> None:  # type: ignore[no-untyped-def]
        stylizer = OptimizeStylizer(_tiny(), encoder=random_vgg19)
        events: list[ProgressEvent] = []
        result = stylizer.stylize(photo, [stripes], callback=events.append)
        assert result.size == (48, 36)
        start = photo.resize(result.size, Image.Resampling.LANCZOS)
        assert _style_distance(random_vgg19, result, stripes) < 0.5 * _style_distance(random_vgg19, start, stripes)
        assert [e.step for e in events] == list(range(1, 16))
        assert events[-1].total == 15 and events[-1].fraction == 1.0
        fractions = [e.fraction for e in events]
        assert fractions == sorted(fractions)
        # A full-size step costs 4× a half-size one: 10 small + 5 big steps, the small ones are 1/3 of the work.
        assert events[9].fraction == pytest.approx(10 / (10 + 5 * 4))
        assert events[0].stage.startswith("scale 1/2") and events[-1].stage.startswith("scale 2/2 (48 px)")
        assert {"total", "content", "style", "tv"} <= set(events[-1].losses)

    def test_adam_also_lowers_the_loss(self, random_vgg19, photo, stripes) -> None:  # type: ignore[no-untyped-def]
        losses: list[float] = []
        stylizer = OptimizeStylizer(_tiny(optimizer="adam", scales=(1.0,), steps=(30,)), encoder=random_vgg19)
        stylizer.stylize(photo, [stripes], callback=lambda e: losses.append(e.losses["total"]))
        assert losses[-1] < 0.5 * losses[0]

    def test_zero_style_weight_keeps_the_photo(self, random_vgg19, photo, stripes) -> None:  # type: ignore[no-untyped-def]
        stylizer = OptimizeStylizer(_tiny(style_weight=0.0, scales=(1.0,)), encoder=random_vgg19)
        result = np.asarray(stylizer.stylize(photo, [stripes]), dtype=np.float32)
        expected = np.asarray(photo.resize((48, 36), Image.Resampling.LANCZOS), dtype=np.float32)
        assert np.abs(result - expected).mean() < 2.0  # within 2 grey levels on average

    def test_same_seed_same_result(self, random_vgg19, photo, stripes) -> None:  # type: ignore[no-untyped-def]
        settings = _tiny(init="random", seed=3)
        first = np.asarray(OptimizeStylizer(settings, encoder=random_vgg19).stylize(photo, [stripes]))
        second = np.asarray(OptimizeStylizer(settings, encoder=random_vgg19).stylize(photo, [stripes]))
        assert np.array_equal(first, second)

    def test_init_from_file(self, tmp_path: Path, random_vgg19, photo, stripes) -> None:  # type: ignore[no-untyped-def]
        start = tmp_path / "start.png"
        Image.new("RGB", (64, 48), (0, 255, 0)).save(start)
        settings = _tiny(init=str(start), scales=(1.0,), steps=(0,))
        result = np.asarray(OptimizeStylizer(settings, encoder=random_vgg19).stylize(photo, [stripes]))
        assert result[..., 1].mean() > 250 and result[..., 0].mean() < 5  # zero steps: the init itself

    def test_two_styles_weighted(self, random_vgg19, photo, stripes) -> None:  # type: ignore[no-untyped-def]
        blue = Image.new("RGB", (64, 64), (20, 40, 230))
        stylizer = OptimizeStylizer(_tiny(steps=(20, 10)), encoder=random_vgg19)
        mostly_stripes = stylizer.stylize(photo, [stripes, blue], style_weights=[0.9, 0.1])
        mostly_blue = stylizer.stylize(photo, [stripes, blue], style_weights=[0.1, 0.9])
        assert _style_distance(random_vgg19, mostly_stripes, stripes) < _style_distance(
            random_vgg19, mostly_blue, stripes
        )
        assert _style_distance(random_vgg19, mostly_blue, blue) < _style_distance(random_vgg19, mostly_stripes, blue)

    def test_luminance_mode_keeps_photo_colours(self, random_vgg19, photo, stripes) -> None:  # type: ignore[no-untyped-def]
        from painterly.color import rgb_to_yiq

        stylizer = OptimizeStylizer(_tiny(preserve_color="luminance"), encoder=random_vgg19)
        result = image_to_tensor(stylizer.stylize(photo, [stripes]))
        reference = image_to_tensor(photo.resize((48, 36), Image.Resampling.LANCZOS))
        chroma_error = (rgb_to_yiq(result)[:, 1:] - rgb_to_yiq(reference)[:, 1:]).abs().mean()
        assert chroma_error < 0.02  # I and Q are the photo's (up to clamping)

    def test_histogram_mode_uses_photo_palette(self, random_vgg19, photo, stripes) -> None:  # type: ignore[no-untyped-def]
        plain = OptimizeStylizer(_tiny(), encoder=random_vgg19).stylize(photo, [stripes])
        kept = OptimizeStylizer(_tiny(preserve_color="histogram"), encoder=random_vgg19).stylize(photo, [stripes])
        photo_mean = image_to_tensor(photo).mean(dim=(2, 3))
        plain_gap = (image_to_tensor(plain).mean(dim=(2, 3)) - photo_mean).abs().sum()
        kept_gap = (image_to_tensor(kept).mean(dim=(2, 3)) - photo_mean).abs().sum()
        assert kept_gap < plain_gap

    def test_previews_every_n_steps(self, random_vgg19, photo, stripes) -> None:  # type: ignore[no-untyped-def]
        previews: list[tuple[int, tuple[int, int]]] = []

        def keep(event: ProgressEvent) -> None:
            if event.preview is not None:
                previews.append((event.step, event.preview.size))

        OptimizeStylizer(_tiny(save_every=5), encoder=random_vgg19).stylize(photo, [stripes], callback=keep)
        assert previews == [(5, (24, 18)), (10, (24, 18)), (15, (48, 36))]

    def test_wasserstein_style_loss_runs_and_lowers_distance(self, random_vgg19, photo, stripes) -> None:  # type: ignore[no-untyped-def]
        result = OptimizeStylizer(_tiny(style_loss="wasserstein"), encoder=random_vgg19).stylize(photo, [stripes])
        start = photo.resize(result.size, Image.Resampling.LANCZOS)
        assert _style_distance(random_vgg19, result, stripes) < _style_distance(random_vgg19, start, stripes)

    def test_needs_a_style(self, random_vgg19, photo) -> None:  # type: ignore[no-untyped-def]
        with pytest.raises(ArgumentError, match="at least one style"):
            OptimizeStylizer(_tiny(), encoder=random_vgg19).stylize(photo, [])


class TestRealVGG:
    def test_64px_run_lowers_style_loss(self, vgg19, photo, stripes) -> None:  # type: ignore[no-untyped-def]
        settings = OptimizeSettings(size=64, scales=(0.5, 1.0), steps=(20, 10))
        result = OptimizeStylizer(settings, encoder=vgg19).stylize(photo, [stripes])
        start = photo.resize(result.size, Image.Resampling.LANCZOS)
        before, after = _style_distance(vgg19, start, stripes), _style_distance(vgg19, result, stripes)
        assert after < 0.6 * before


@pytest.mark.slow
class TestClassicPair:
    def test_tubingen_starry_night_draft(self, vgg19, shared_data) -> None:  # type: ignore[no-untyped-def]
        from painterly.image_io import load_image
        from painterly.metrics import gram_ratio

        photo = load_image(shared_data / "classic" / "tubingen.jpg")
        style = load_image(shared_data / "classic" / "starry_night.jpg")
        result = OptimizeStylizer(OptimizeSettings(quality="draft", size=192), encoder=vgg19).stylize(photo, [style])
        assert result.size == (192, 144)
        assert gram_ratio(vgg19, result, photo, style, size=192) < 0.35

        # Structure kept: the result's relu4_2 features line up with the photo's, far better than with the
        # mirrored photo (same content statistics, different layout).
        def features(image: Image.Image) -> torch.Tensor:
            with torch.no_grad():
                return vgg19(image_to_tensor(image.resize((192, 144))), ["relu4_2"])["relu4_2"].flatten()

        mirrored = photo.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
        aligned = torch.cosine_similarity(features(result), features(photo), dim=0)
        misaligned = torch.cosine_similarity(features(result), features(mirrored), dim=0)
        assert aligned > misaligned + 0.15, (aligned, misaligned)


def test_init_from_a_one_pass_method(photo, stripes) -> None:  # type: ignore[no-untyped-def]
    """``init="adain"`` starts from AdaIN's result: zero steps give exactly that start."""
    import painterly

    start = painterly.load("optimize", init="adain", size=48, scales=(1.0,), steps=(0,))(
        photo, [stripes], output="tensor"
    )
    adain = painterly.load("adain", size=48)(photo, [stripes], output="tensor")
    assert (start - adain).abs().max() < 1e-5


def test_one_pass_detail_is_carried_to_finer_scales(photo, stripes) -> None:  # type: ignore[no-untyped-def]
    """From a one-pass start, a finer scale starts from the coarser result plus the start's finer detail:
    with no steps at either scale the result is the one-pass result itself, not its blurred upsampling."""
    import painterly
    from painterly.image_io import resize_tensor

    start = painterly.load("optimize", init="adain", size=64, scales=(0.5, 1.0), steps=(0, 0))(
        photo, [stripes], output="tensor"
    )
    adain = painterly.load("adain", size=64)(photo, [stripes], output="tensor")
    blurred = resize_tensor(resize_tensor(adain, (24, 32)), tuple(adain.shape[-2:]))
    assert (start - adain).abs().max() < 1e-5
    assert (blurred - adain).abs().mean() > 0.005  # what the finer scale started from before (measured 0.012)
