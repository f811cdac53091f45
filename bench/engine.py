"""Engine overhead: ten 512 px photos through one loaded feed-forward stylizer vs the bare network.

The per-call pipeline (input conversion, sizing, padding, colour, strength, output conversion)
should cost little next to the network: target ≤ 10 % over the bare forward pass. Also shown:
the first call of a fresh process (load included) and a cached ``painterly.load`` (no reload).

Run: ``.venv/bin/python bench/engine.py``; writes bench/results/engine.md.
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import machine_line, markdown_table, publish, require_shared_data

import painterly
from painterly.image_io import image_to_tensor, open_image, resize_long_side
from painterly.padding import pad_to_multiple

MODEL, SIZE, PHOTOS, ROUNDS = "hokusai_wave", 512, 10, 5


def main() -> int:
    shared = require_shared_data()
    paths = sorted((shared / "photos" / "test").glob("kodak__*.jpg"))[:PHOTOS]
    photos = [resize_long_side(open_image(path), SIZE) for path in paths]
    started = time.perf_counter()
    stylizer = painterly.load("feedforward", model=MODEL)
    load_seconds = time.perf_counter() - started
    started = time.perf_counter()
    again = painterly.load("feedforward", model=MODEL, strength=0.9)
    cached_seconds = time.perf_counter() - started
    assert again.spec == stylizer.spec
    tensors = [pad_to_multiple(image_to_tensor(photo), 4, minimum=16) for photo in photos]
    blend = torch.tensor([[1.0]])
    for photo in photos[:2]:  # warm-up
        stylizer(photo)
    pipeline, tensor_calls, bare = [], [], []
    unpadded = [image_to_tensor(photo) for photo in photos]
    for _ in range(ROUNDS):  # interleaved, so all see the same machine state
        started = time.perf_counter()
        for photo in photos:
            stylizer(photo)
        pipeline.append((time.perf_counter() - started) / PHOTOS)
        started = time.perf_counter()
        for tensor in unpadded:
            stylizer(tensor, output="tensor")
        tensor_calls.append((time.perf_counter() - started) / PHOTOS)
        started = time.perf_counter()
        for tensor in tensors:
            stylizer.forward(tensor, blend)  # type: ignore[attr-defined]
        bare.append((time.perf_counter() - started) / PHOTOS)
    per_call, network, per_tensor = (
        statistics.median(pipeline),
        statistics.median(bare),
        statistics.median(tensor_calls),
    )
    rows = [
        [
            f"{network * 1000:.1f}",
            f"{per_tensor * 1000:.1f} ({(per_tensor / network - 1) * 100:+.1f} %)",
            f"{per_call * 1000:.1f}",
            f"{(per_call / network - 1) * 100:+.1f} %",
            f"{load_seconds:.2f}",
            f"{cached_seconds * 1000:.2f}",
        ]
    ]
    text = "\n\n".join(
        [
            f"# Engine overhead: {PHOTOS} photos at {SIZE} px through one loaded stylizer",
            f"Machine: {machine_line()}. Made by `bench/engine.py`; model `{MODEL}`; Kodak photos from "
            f"`photos/test`; median of {ROUNDS} interleaved rounds, per photo.",
            markdown_table(
                [
                    "bare network ms",
                    "stylizer(tensor) ms, tensor in and out (overhead)",
                    "stylizer(photo) ms, PIL in and out",
                    "PIL overhead",
                    "first load s",
                    "cached load ms",
                ],
                rows,
            ),
            "Target: per-call time within 10 % of the bare network. The tensor call runs the whole pipeline (sizing, "
            "padding, cropping, strength, colour, progress); the PIL call adds PIL → tensor and tensor → PIL; the bare "
            "network is "
            "`stylizer.forward` on a padded tensor. A second `painterly.load` with the same model returns the loaded "
            "network (the service worker and batch runs go through the same cache).",
        ]
    )
    publish("engine", text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
