"""Does the WGAN-GP critic change a collection-style model? Monet with and without it, same steps and seed.

Both models are fine-tuned from ``cliff_walk`` for 400 steps on the same Gram target (one Monet),
seed 7; one adds the PatchGAN critic trained on 250 Monets (``--adversarial wgan-gp``). Measured with
numbers that do not come from the training losses, against the 50 Monets the critic never saw:

- Fréchet distance between VGG19 feature statistics of the outputs and of the held-out paintings:
  per image, each channel's mean at ``relu3_1`` and ``relu4_1`` (globally pooled), then
  ‖μ₁ − μ₂‖² + Tr(Σ₁ + Σ₂ − 2(Σ₁Σ₂)^½) over the two sets, both sides by this same code;
- each output's Gram distance to its nearest held-out Monet, and the spread of those distances;
- a contact sheet of both on held-out photos, looked at and described in the results file.

Run: ``.venv/bin/python bench/adversarial.py`` (after both runs in ``runs/ff-monet-{plain,critic}``);
writes bench/results/adversarial.{md,png}.
"""

from __future__ import annotations

import statistics
import sys

import numpy as np
import scipy.linalg
import torch
from _common import REPO, RESULTS, machine_line, markdown_table, publish, require_shared_data
from PIL import Image

import painterly
from painterly.encoders import get_encoder
from painterly.image_io import image_to_tensor, load_image, resize_long_side
from painterly.metrics import gram_distance
from painterly.model_files import read_metadata

RUNS = {"without critic": REPO / "runs" / "ff-monet-plain", "with WGAN-GP critic": REPO / "runs" / "ff-monet-critic"}
HELD_OUT = 50  # the last 50 Monets (sorted by name); the critic trained on the first 250
SIZE = 256
LAYERS = ("relu3_1", "relu4_1")


@torch.no_grad()
def pooled_features(encoder: torch.nn.Module, images: list[Image.Image]) -> np.ndarray:
    rows = []
    for image in images:
        features = encoder(image_to_tensor(resize_long_side(image, SIZE)), list(LAYERS))
        rows.append(torch.cat([features[layer].mean(dim=(2, 3))[0] for layer in LAYERS]).numpy())
    return np.stack(rows).astype(np.float64)


def frechet(a: np.ndarray, b: np.ndarray) -> float:
    mean_a, mean_b = a.mean(0), b.mean(0)
    cov_a, cov_b = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
    root = scipy.linalg.sqrtm(cov_a @ cov_b)
    return float(((mean_a - mean_b) ** 2).sum() + np.trace(cov_a + cov_b - 2 * np.real(root)))


def main() -> int:
    data = require_shared_data()
    missing = [str(path) for path in RUNS.values() if not (path / "model.safetensors").is_file()]
    if missing:
        print(f"skipped: train first (docs/feedforward-training.md): {', '.join(missing)}")
        return 0
    encoder = get_encoder()
    monets = [load_image(path) for path in sorted((data / "styles" / "monet").glob("*.jpg"))[-HELD_OUT:]]
    photo_paths = sorted((data / "photos" / "test").glob("*.jpg")) + sorted((data / "photos" / "urban").glob("*"))[:16]
    photos = [resize_long_side(load_image(path), SIZE) for path in photo_paths]
    reference = pooled_features(encoder, monets)
    photos_distance = frechet(pooled_features(encoder, photos), reference)
    rows, outputs = [], {}
    for name, run in RUNS.items():
        stylizer = painterly.load("feedforward", model=str(run / "model.safetensors"))
        results = [stylizer(photo) for photo in photos]
        outputs[name] = results
        nearest = [min(gram_distance(encoder, result, monet, size=SIZE) for monet in monets[::5]) for result in results]
        distance = frechet(pooled_features(encoder, results), reference)
        seconds = read_metadata(run / "model.safetensors").get("training_seconds", float("nan"))
        rows.append(
            [
                name,
                f"{distance:.3g}",
                f"{distance / photos_distance:.3f}",
                f"{statistics.mean(nearest):.3g}",
                f"{statistics.pstdev(nearest) / statistics.mean(nearest):.3f}",
                f"{seconds / 60:.1f}",
            ]
        )
    rows.append(["the photos themselves", f"{photos_distance:.3g}", "1.000", "", "", ""])
    sheet(photos[:8], outputs, monets[:8]).save(RESULTS / "adversarial.jpg")
    report(rows, len(photos))
    return 0


def sheet(photos: list[Image.Image], outputs: dict[str, list[Image.Image]], monets: list[Image.Image]) -> Image.Image:
    cell = 160
    columns = [("photo", photos), *outputs.items(), ("held-out Monet", monets)]
    canvas = Image.new("RGB", (cell * len(columns), cell * len(photos)), "white")
    for x, (_, images) in enumerate(columns):
        for y, image in enumerate(images):
            thumbnail = image.copy()
            thumbnail.thumbnail((cell, cell))
            canvas.paste(thumbnail, (x * cell, y * cell))
    return canvas


def report(rows: list[list[str]], photo_count: int) -> None:
    text = "\n\n".join(
        [
            "# Collection style: Monet with and without the WGAN-GP critic",
            f"Machine: {machine_line()}. Made by `bench/adversarial.py`. {photo_count} held-out photos at {SIZE} px; "
            f"{HELD_OUT} Monets the critic never saw.",
            markdown_table(
                [
                    "model",
                    f"Fréchet distance to held-out Monets ({', '.join(LAYERS)} means) ↓",
                    "relative to the photos' ↓",
                    "Gram distance to the nearest Monet, mean ↓",
                    "spread (std / mean)",
                    "training min",
                ],
                rows,
            ),
            "Sheet (`adversarial.jpg`): photo, without critic, with critic, and a held-out Monet per row. "
            "Distances are in the Caffe VGG19's own activation units (inputs × 255), hence their size; compare "
            "rows, or use the relative column.",
            "What was tried: one run each, critic Adam 1e-4 (β 0.5, 0.9), one critic step per generator step, "
            "λ_GP 10, adversarial weight 0.05, 400 steps from `cliff_walk`, seed 7; one Monet as the Gram target.",
        ]
    )
    publish("adversarial", text)


if __name__ == "__main__":
    sys.exit(main())
