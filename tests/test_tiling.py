"""Tiles: plans that cover the image, blending that adds nothing, and tiled results equal to whole ones.

Small photos with tiles forced small, the real VGG19, decoder and models: the seams and the
equality with the untiled path are checked here, at print sizes in bench/highres.py.
"""

from __future__ import annotations

import logging
from itertools import pairwise

import pytest
import torch
from images import make_photo, make_stripes

import painterly
from painterly.errors import ArgumentError
from painterly.image_io import image_to_tensor
from painterly.losses.perceptual import PerceptualLoss
from painterly.methods import get_method
from painterly.tiling import blend_tiles, plan_axis, plan_tiles, shifted_partition, thumbnail

ONE_PASS = {"adain": {}, "wct": {}, "feedforward": {"model": "hokusai_wave", "precision": "float32"}}


@pytest.mark.parametrize("length, tile, overlap, multiple", [(1000, 272, 128, 8), (640, 200, 64, 4), (300, 300, 64, 8),
                                                             (4032, 560, 128, 8), (520, 208, 96, 8)])  # fmt: skip
def test_axis_plan_covers_with_overlap_on_the_grid(length: int, tile: int, overlap: int, multiple: int) -> None:
    spans = plan_axis(length, tile, overlap, multiple)
    assert spans[0][0] == 0 and spans[-1][1] == length
    assert all(end - start == min(tile, length) for start, end in spans)
    assert all(start % multiple == 0 for start, _ in spans[:-1])
    assert all(previous[1] - following[0] >= overlap for previous, following in pairwise(spans))


def test_blending_identity_tiles_returns_the_image() -> None:
    image = torch.rand(2, 3, 200, 328)
    boxes = plan_tiles(200, 328, 96, overlap=32, multiple=8)
    assert len(boxes) > 4
    seen = []
    blended = blend_tiles(image, lambda tile, box: tile, boxes, overlap=32, on_tile=lambda d, n: seen.append((d, n)))
    assert torch.allclose(blended, image, atol=1e-6)
    assert seen == [(i, len(boxes)) for i in range(1, len(boxes) + 1)]


@pytest.mark.parametrize("step", [0, 1, 2, 7])
def test_shifted_partition_covers_each_pixel_once_and_moves(step: int) -> None:
    cover = torch.zeros(300, 500)
    boxes = shifted_partition(300, 500, 128, step)
    for box in boxes:
        box.of(cover).add_(1)
        assert min(box.bottom - box.top, box.right - box.left) >= 128 // 3
        assert max(box.bottom - box.top, box.right - box.left) <= 128
    assert torch.equal(cover, torch.ones(300, 500))
    assert {(b.top, b.left) for b in boxes} != {(b.top, b.left) for b in shifted_partition(300, 500, 128, step + 1)}


def test_thumbnail_is_the_image_when_small_and_on_the_grid_when_not() -> None:
    small = torch.rand(1, 3, 100, 80)
    assert thumbnail(small, side=128) is small
    large = thumbnail(torch.rand(1, 3, 3000, 4000), side=1024, multiple=8)
    assert max(large.shape[-2:]) <= 1024 and all(side % 8 == 0 for side in large.shape[-2:])


def _styles(method: str) -> list[object]:
    return [make_stripes(96, 96)] if get_method(method).needs_style_images else []


@pytest.mark.parametrize("method", list(ONE_PASS))
def test_tiled_equals_whole_where_statistics_are_exact(method: str) -> None:
    """Global statistics are exact here (adain, wct: taken on the whole feature map assembled from tiles;
    feedforward: the photo is below its thumbnail size): tiles then differ from the whole only by float
    rounding, so any seam or misplaced tile would show here."""
    stylizer = painterly.load(method, **ONE_PASS[method])
    photo = image_to_tensor(make_photo(560, 320, seed=3))
    whole = stylizer(photo, _styles(method), output="tensor", tile=-1)
    events: list[painterly.ProgressEvent] = []
    tiled = stylizer(photo, _styles(method), output="tensor", tile=272, callback=events.append)
    assert len([e for e in events if "tile" in e.stage]) >= 4  # progress by tile
    assert events[-1].fraction == 1.0
    difference = (whole - tiled).abs()
    # WCT's whitening amplifies the last-bit differences of convolutions run at other sizes.
    mean_tolerance = 4e-3 if method == "wct" else 1e-3
    assert difference.mean() < mean_tolerance and difference.max() < 0.05, (difference.mean(), difference.max())


@pytest.mark.parametrize("method", ["adain", "feedforward"])
def test_tiles_share_global_statistics(method: str) -> None:
    """Without the thumbnail's statistics each tile would be normalized on its own content: a tile of flat
    sky would be stretched to full contrast. With them, a half-flat photo stays half-flat in every tile."""
    photo = image_to_tensor(make_photo(640, 320, seed=5))
    photo[..., :, 320:] = 0.6  # right half: one flat colour
    stylizer = painterly.load(method, **ONE_PASS[method])
    whole = stylizer(photo, _styles(method), output="tensor", tile=-1)
    tiled = stylizer(photo, _styles(method), output="tensor", tile=272)
    flat_whole, flat_tiled = whole[..., 40:-40, 400:-40].std(), tiled[..., 40:-40, 400:-40].std()
    assert abs(float(flat_tiled) - float(flat_whole)) < 0.2 * float(flat_whole) + 0.01


def test_tiles_with_masks_match_whole() -> None:
    stylizer = painterly.load("adain")
    photo = image_to_tensor(make_photo(560, 320, seed=4))
    masks = torch.zeros(1, 2, 320, 560)
    masks[:, 0, :, :280], masks[:, 1, :, 280:] = 1, 1
    styles = [make_stripes(96, 96), make_photo(96, 96, seed=9)]
    whole = stylizer(photo, styles, masks=masks, output="tensor", tile=-1)
    tiled = stylizer(photo, styles, masks=masks, output="tensor", tile=272)
    assert (whole - tiled).abs().mean() < 2e-3


def test_tile_setting_is_checked() -> None:
    with pytest.raises(ArgumentError, match="tile"):
        painterly.load("adain", tile=10)
    stylizer = painterly.load("adain")
    with pytest.raises(ArgumentError, match="tile .* adain"):
        stylizer(make_photo(600, 300), _styles("adain"), tile=200)  # under twice the 128 px overlap


def test_memory_check_counts_tiles() -> None:
    adain = get_method("adain")
    settings = adain.Settings()
    whole = adain.Settings(tile=-1)
    assert adain.tile_size(whole, 4032, 3024) is None
    assert adain.tile_size(settings, 400, 300) is None  # small results run whole
    assert adain.peak_bytes_per_pixel(settings, 4032, 3024) < adain.peak_bytes_per_pixel(whole, 4032, 3024) / 5
    assert adain.tile_size(settings, 4032, 3024) is not None
    optimize = get_method("optimize")
    assert optimize.peak_bytes_per_pixel(optimize.Settings(size=4096), 4096, 4096) < 400


def test_optimize_runs_large_scales_in_tiles() -> None:
    stylizer = painterly.load("optimize", scales=(0.5, 1.0), steps=(4, 3), size=192)
    photo = image_to_tensor(make_photo(192, 128, seed=2))
    events: list[painterly.ProgressEvent] = []
    tiled = stylizer(photo, [make_stripes(96, 96)], output="tensor", tile=64, callback=events.append)
    stages = [event.stage for event in events]
    assert any("tile" in stage for stage in stages) and events[-1].fraction == 1.0
    assert events[-1].step == events[-1].total == 7
    whole = stylizer(photo, [make_stripes(96, 96)], output="tensor", tile=-1)
    # Both moved the photo toward the stripes by a comparable amount.
    change_tiled, change_whole = (tiled - photo).abs().mean(), (whole - photo).abs().mean()
    assert 0.3 * change_whole < change_tiled < 3 * change_whole


def test_style_targets_from_tiles_match_whole(vgg19) -> None:  # type: ignore[no-untyped-def]
    style = image_to_tensor(make_stripes(256, 192))
    whole = PerceptualLoss(vgg19, content_layers={"relu4_2": 1.0}, style_layers={"relu1_1": 1.0, "relu2_1": 1.0})
    tiled = PerceptualLoss(vgg19, content_layers={"relu4_2": 1.0}, style_layers={"relu1_1": 1.0, "relu2_1": 1.0})
    whole.set_styles([style])
    tiled.set_styles([style], tile=96)
    for layer in ("relu1_1", "relu2_1"):  # tiles see zero padding at their borders: close, not equal
        expected, got = whole.style_terms[layer].target, tiled.style_terms[layer].target
        assert (got - expected).norm() < 0.1 * expected.norm()
    tiled.set_styles([style], tile=256)  # the image fits one tile: the whole-image targets exactly
    assert torch.allclose(tiled.style_terms["relu2_1"].target, whole.style_terms["relu2_1"].target)


def test_enlarging_is_said(caplog: pytest.LogCaptureFixture) -> None:
    stylizer = painterly.load("adain")
    with caplog.at_level(logging.WARNING):
        result = stylizer(make_photo(60, 40), _styles("adain"), size=120)
    assert result.size == (120, 80) and result.info["enlarged_from"] == "60x40"
    assert "enlarged 2.0×" in caplog.text
    caplog.clear()
    same = stylizer(make_photo(60, 40), _styles("adain"), size="original")
    assert same.size == (60, 40) and "enlarged_from" not in same.info and not caplog.text
    assert get_method("optimize").result_size(get_method("optimize").Settings(size=None), 90, 60) == (90, 60)


def test_core_boxes_partition_the_image_away_from_cut_edges() -> None:
    from painterly.tiling import core_boxes

    boxes = plan_tiles(1000, 1400, 400, overlap=128, multiple=8)
    cover = torch.zeros(1000, 1400)
    for box, core in zip(boxes, core_boxes(boxes, 1000, 1400)):
        core.of(cover).add_(1)
        assert box.top <= core.top < core.bottom <= box.bottom and box.left <= core.left < core.right <= box.right
        inner_margins = [
            core.top - box.top if box.top else 64,
            box.bottom - core.bottom if box.bottom < 1000 else 64,
            core.left - box.left if box.left else 64,
            box.right - core.right if box.right < 1400 else 64,
        ]
        assert min(inner_margins) >= 64 - 8  # half the overlap, less the grid rounding
    assert torch.equal(cover, torch.ones(1000, 1400))
