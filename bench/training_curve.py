"""Steps against quality: gram_ratio on 10 held-out photos after 100, 200, 400 and 800 steps, from scratch
and fine-tuned from ``cliff_walk`` to a new painting, so users can plan their own training.

Trains in ``bench/work/curve-*`` (resumable: an interrupted run continues; delete the folders to measure
again, since a finished folder holds only its last model), one thread each, evaluating after each stage.
Run: ``.venv/bin/python bench/training_curve.py``; writes bench/results/training_curve.{md,png}.
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

import torch
from _common import REPO, RESULTS, machine_line, markdown_table, publish, require_shared_data
from PIL import Image, ImageDraw

import painterly
from painterly.encoders import get_encoder
from painterly.image_io import load_image, resize_long_side
from painterly.metrics import gram_ratio
from painterly.training.feedforward import FeedForwardTrainingConfig, train_feedforward

STAGES = (100, 200, 400, 800)
PAINTING = "classic/starry_night.jpg"
PHOTO_COUNT = 10


def curve(
    name: str, data: Path, init_from: str | None, photos: list[Image.Image], painting: Image.Image
) -> list[tuple[int, float, float]]:
    """(steps, gram_ratio mean, minutes) after each stage."""
    encoder = get_encoder()
    folder = REPO / "bench" / "work" / f"curve-{name}"
    points, started = [], time.perf_counter()
    for stage in STAGES:
        config = FeedForwardTrainingConfig(
            photos=str(data / "photos" / "train"),
            styles=(str(data / PAINTING),),
            output=str(folder),
            steps=stage,
            init_from=init_from,
            seed=3,
            checkpoint_every=100,
            preview_every=10_000,
        )
        train_feedforward(config, encoder, resume=(folder / "checkpoint.pt").exists())
        stylizer = painterly.load("feedforward", model=str(folder / "model.safetensors"))
        ratios = [gram_ratio(encoder, stylizer(photo), photo, painting) for photo in photos]
        points.append((stage, statistics.mean(ratios), (time.perf_counter() - started) / 60))
        print(name, points[-1], flush=True)
    return points


def plot(curves: dict[str, list[tuple[int, float, float]]]) -> Image.Image:
    """gram_ratio against steps (log scale), one line per run, drawn with PIL."""
    width, height, margin = 640, 400, 60
    image = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(image)
    top = max(value for points in curves.values() for _, value, _ in points) * 1.1
    import math

    def xy(step: int, value: float) -> tuple[float, float]:
        x = margin + (math.log2(step / STAGES[0]) / math.log2(STAGES[-1] / STAGES[0])) * (width - 2 * margin)
        return x, height - margin - value / top * (height - 2 * margin)

    draw.line([(margin, height - margin), (width - margin, height - margin)], fill="black")
    draw.line([(margin, margin), (margin, height - margin)], fill="black")
    for step in STAGES:
        x, _ = xy(step, 0)
        draw.text((x - 10, height - margin + 6), str(step), fill="black")
    for fraction in (0.0, 0.5, 1.0):
        _, y = xy(STAGES[0], top * fraction)
        draw.text((8, y - 6), f"{top * fraction:.2f}", fill="black")
    draw.text((width // 2 - 30, height - 24), "steps", fill="black")
    draw.text((8, 12), "gram_ratio (lower = closer to the painting)", fill="black")
    for row, ((name, points), colour) in enumerate(zip(curves.items(), ("#c0392b", "#2471a3"))):
        draw.line([xy(step, value) for step, value, _ in points], fill=colour, width=3)
        draw.line([(width - 250, 30 + 18 * row), (width - 225, 30 + 18 * row)], fill=colour, width=3)
        draw.text((width - 218, 24 + 18 * row), name, fill=colour)
    return image


def main() -> int:
    data = require_shared_data()
    torch.set_num_threads(1)
    photos = [resize_long_side(load_image(p), 512) for p in sorted((data / "photos" / "test").glob("*.jpg"))[::3]]
    photos = photos[:PHOTO_COUNT]
    painting = load_image(data / PAINTING)
    curves = {
        "from scratch": curve("scratch", data, None, photos, painting),
        "fine-tuned from cliff_walk": curve("finetune", data, "cliff_walk", photos, painting),
    }
    plot(curves).save(RESULTS / "training_curve.png")
    rows = [
        [name, *(f"{value:.3f} ({minutes:.0f} min)" for _, value, minutes in points)] for name, points in curves.items()
    ]
    text = "\n\n".join(
        [
            f"# Training steps against quality: {PAINTING.split('/')[-1]}",
            f"Machine: {machine_line()} (1 thread per run). Made by `bench/training_curve.py`. gram_ratio ↓ on "
            f"{PHOTO_COUNT} held-out photos at 512 px; cumulative training minutes in brackets.",
            markdown_table(["run", *(f"{step} steps" for step in STAGES)], rows),
            "Curve: `training_curve.png`.",
        ]
    )
    publish("training_curve", text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
