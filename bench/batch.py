"""Batches: one `painterly batch` process against a shell loop of `painterly stylize`, and Ray Data.

200 photos of ../shared/data/photos/train at 512 px with a feed-forward model. Targets (batch
issue): the batch ≥ 10× the shell loop's images/s; Ray local within 15 % of the in-process batch
at the same core count (1 CPU: batch --threads 1 vs 1 actor; 2 CPUs: batch --threads 2 vs 2
actors of 1 CPU). The shell loop runs on the first SHELL_PHOTOS photos only (its cost per photo
is the same for every photo: a process start, imports and a model load each); its images/s is
what 200 would give.

Run: ``.venv/bin/python bench/batch.py``; writes bench/results/batch.md. Needs Ray for the Ray
rows (``pip install 'painterly[ray]'``); they are left out without it.
"""

from __future__ import annotations

import importlib.util
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import REPO, machine_line, markdown_table, publish, require_shared_data, run_child

PHOTOS, SHELL_PHOTOS, MODEL, SIZE = 200, 20, "starry_night", 512
PAINTERLY = str(REPO / ".venv" / "bin" / "painterly")


def main() -> int:
    shared = require_shared_data()
    photos = sorted((shared / "photos" / "train").glob("*.jpg"))[:PHOTOS]
    work = Path(tempfile.mkdtemp(prefix="painterly-batch-bench-"))
    inputs = work / "photos"
    inputs.mkdir()
    for photo in photos:  # links: the batch reads a folder, the data stays where it is
        (inputs / photo.name).symlink_to(photo)
    common = ["-m", "feedforward", "--model", MODEL, "--size", str(SIZE), "-q"]
    rows = []

    def record(label: str, count: int, command: list[str], output: Path) -> None:
        shutil.rmtree(output, ignore_errors=True)
        run = run_child(command)
        made = len(list(output.glob("*.png"))) if output.is_dir() else 0
        status = "ok" if run.returncode == 0 and made == count else f"exit {run.returncode}, {made}/{count} files"
        rows.append([label, str(count), f"{run.seconds:.1f}", f"{count / run.seconds:.2f}",
                     f"{run.peak_rss_mb / 1024:.2f}", status])  # fmt: skip
        print(rows[-1], flush=True)

    started = time.perf_counter()
    shell_out = work / "shell"
    shell_out.mkdir()
    for photo in photos[:SHELL_PHOTOS]:
        run_child([PAINTERLY, "stylize", str(photo), "-o", str(shell_out / f"{photo.stem}.png"), *common])
    shell_seconds = time.perf_counter() - started
    rows.append([f"shell loop of `painterly stylize` (first {SHELL_PHOTOS})", str(SHELL_PHOTOS),
                 f"{shell_seconds:.1f}", f"{SHELL_PHOTOS / shell_seconds:.2f}", "per process", "ok"])  # fmt: skip
    print(rows[-1], flush=True)
    for threads in (1, 2):
        output = work / f"batch{threads}"
        command = [PAINTERLY, "batch", str(inputs), "-o", str(output), "--threads", str(threads), *common]
        record(f"`painterly batch`, {threads} thread(s)", len(photos), command, output)
    if importlib.util.find_spec("ray") is not None:
        for actors in (1, 2):
            output = work / f"ray{actors}"
            record(f"`painterly batch --ray`, {actors} actor(s) × 1 CPU", len(photos),
                   [PAINTERLY, "batch", str(inputs), "-o", str(output), "--ray", "--actors", str(actors),
                    "--cpus-per-actor", "1", *common], output)  # fmt: skip
    shutil.rmtree(work, ignore_errors=True)

    rate = {row[0]: float(row[3]) for row in rows}
    shell = rate[rows[0][0]]
    lines = [f"- batch (2 threads) vs shell loop: **{rate['`painterly batch`, 2 thread(s)'] / shell:.1f}×** "
             "images/s (target ≥ 10×)"]  # fmt: skip
    for actors in (1, 2):
        ray_label = f"`painterly batch --ray`, {actors} actor(s) × 1 CPU"
        if ray_label in rate:
            batch = rate[f"`painterly batch`, {actors} thread(s)"]
            lines.append(f"- Ray, {actors} actor(s) vs batch at {actors} thread(s): "
                         f"{(batch / rate[ray_label] - 1) * 100:+.0f} % time per image (target ≤ +15 %)")  # fmt: skip
    table = markdown_table(["run", "photos", "seconds", "images/s", "peak RSS (GB)", "status"], rows)
    publish("batch", f"# Batch\n\n{machine_line()}; {len(photos)} photos of ../shared/data/photos/train at "
                     f"{SIZE} px, feedforward `{MODEL}`; whole processes timed (start-up, Ray start-up included)."
                     f"\n\n{table}\n\n" + "\n".join(lines) + "\n\nVideo batches wait for video support "
                     "(the video issue).")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
