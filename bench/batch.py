"""Batches: one `painterly batch` process against a shell loop of `painterly stylize`, and Ray Data.

Photos of ../shared/data/photos/train at 512 px with a feed-forward model. Targets (batch issue):
the batch ≥ 10× the shell loop's images/s; Ray local within 15 % of the in-process batch at the
same core count (1 CPU: batch --threads 1 vs 1 actor; 2 CPUs: batch --threads 2 vs 2 actors of 1
CPU). Ray runs with its start-up in the batch, and with a head already running (``ray start
--head``, as on a cluster): the first job on it, and a later one, when Ray Data's detached helper
actors are already up as on a cluster in use; the cost per photo once running is (time for 400 −
time for 200) / 200 (both later jobs), which leaves out every fixed start-up cost. The shell loop
runs on the first SHELL_PHOTOS photos only (its cost per photo is the same for every photo: a
process start, imports and a model load each). Also a batch of 20 one-second video clips.

Run: ``.venv/bin/python bench/batch.py``; writes bench/results/batch.md. Needs Ray for the Ray
rows (``pip install 'painterly[ray]'``); they are left out without it.
"""

from __future__ import annotations

import importlib.util
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import REPO, machine_line, markdown_table, publish, require_shared_data, run_child

PHOTOS, SHELL_PHOTOS, MODEL, SIZE = 200, 20, "starry_night", 512
CLIPS, VIDEO_SIZE = 20, 360
PAINTERLY = str(REPO / ".venv" / "bin" / "painterly")
RAY = str(REPO / ".venv" / "bin" / "ray")


def main() -> int:
    shared = require_shared_data()
    every = sorted((shared / "photos" / "train").glob("*.jpg"))
    work = Path(tempfile.mkdtemp(prefix="painterly-batch-bench-"))
    folders = {}
    for count in (PHOTOS, 2 * PHOTOS):  # links: the batch reads a folder, the data stays where it is
        folders[count] = work / f"photos{count}"
        folders[count].mkdir()
        for photo in every[:count]:
            (folders[count] / photo.name).symlink_to(photo)
    photos = every[:PHOTOS]
    common = ["-m", "feedforward", "--model", MODEL, "--size", str(SIZE), "-q"]
    rows, seconds = [], {}

    def record(label: str, count: int, command: list[str], output: Path) -> None:
        shutil.rmtree(output, ignore_errors=True)
        run = run_child(command)
        made = len(list(output.glob("*.png"))) if output.is_dir() else 0
        status = "ok" if run.returncode == 0 and made == count else f"exit {run.returncode}, {made}/{count} files"
        rows.append([label, str(count), f"{run.seconds:.1f}", f"{count / run.seconds:.2f}",
                     f"{run.peak_rss_mb / 1024:.2f}", status])  # fmt: skip
        seconds[(label, count)] = run.seconds
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
    local = "`painterly batch`, {} thread(s)"
    cold = "`painterly batch --ray`, {} actor(s) × 1 CPU, Ray started by the batch"
    first = "`painterly batch --ray auto`, {} actor(s) × 1 CPU, Ray already running, its first job"
    warm = "`painterly batch --ray auto`, {} actor(s) × 1 CPU, Ray already running, a later job"
    for threads in (1, 2):
        for count, folder in folders.items():
            output = work / f"batch{threads}-{count}"
            record(local.format(threads), count, [PAINTERLY, "batch", str(folder), "-o", str(output), "--threads",
                                                  str(threads), *common], output)  # fmt: skip
    has_ray = importlib.util.find_spec("ray") is not None
    if has_ray:
        for actors in (1, 2):
            output = work / f"ray{actors}"
            command = [PAINTERLY, "batch", str(folders[PHOTOS]), "-o", str(output), "--ray", "--actors", str(actors),
                       "--cpus-per-actor", "1", *common]  # fmt: skip
            record(cold.format(actors), PHOTOS, command, output)
        for actors in (1, 2):  # a cluster that is already up, as on a real one: `ray start --head` beforehand
            subprocess.run([RAY, "start", "--head", f"--num-cpus={actors}", "--include-dashboard=false",
                            "--disable-usage-stats"], check=True, capture_output=True)  # fmt: skip
            try:
                for label, count in ((first, PHOTOS), (warm, PHOTOS), (warm, 2 * PHOTOS)):
                    output = work / f"ray-running{actors}-{count}"
                    record(label.format(actors), count, [PAINTERLY, "batch", str(folders[count]), "-o", str(output),
                                                         "--ray", "auto", "--actors", str(actors), "--cpus-per-actor",
                                                         "1", *common], output)  # fmt: skip
            finally:
                subprocess.run([RAY, "stop", "--force"], capture_output=True)
    video_lines = video_batch(shared, work)
    shutil.rmtree(work, ignore_errors=True)

    per_photo = PHOTOS / seconds[(local.format(2), PHOTOS)]
    lines = [f"- batch (2 threads) vs shell loop: **{per_photo / (SHELL_PHOTOS / shell_seconds):.1f}×** images/s "
             "(target ≥ 10×)"]  # fmt: skip
    for actors in (1, 2) if has_ray else ():
        base = seconds[(local.format(actors), PHOTOS)]
        for label, what in ((cold, "Ray started by the batch"), (first, "Ray already running, its first job"),
                            (warm, "Ray already running, a later job")):  # fmt: skip
            change = seconds[(label.format(actors), PHOTOS)] / base - 1
            lines.append(f"- {what}, {actors} actor(s) vs the batch at {actors} thread(s), {PHOTOS} photos, whole "
                         f"processes: {change * 100:+.0f} % time")  # fmt: skip
        marginal = {label: (seconds[(label.format(actors), 2 * PHOTOS)] - seconds[(label.format(actors), PHOTOS)])
                    / PHOTOS for label in (local, warm)}  # fmt: skip
        lines.append(f"- **per photo once running** ((time for {2 * PHOTOS} − time for {PHOTOS}) / {PHOTOS}), "
                     f"{actors} actor(s): Ray {marginal[warm] * 1000:.0f} ms against the batch's "
                     f"{marginal[local] * 1000:.0f} ms: **{(marginal[warm] / marginal[local] - 1) * 100:+.0f} %** "
                     "(target ≤ +15 %)")  # fmt: skip
        whole = {"Ray started by the batch": seconds[(cold.format(actors), PHOTOS)],
                 "a later job on a running Ray": seconds[(warm.format(actors), PHOTOS)]}  # fmt: skip
        lines += _fixed_cost_lines(actors, PHOTOS, base, marginal[local], marginal[warm], whole)
    table = markdown_table(["run", "photos", "seconds", "images/s", "peak RSS (GB)", "status"], rows)
    publish("batch", f"# Batch\n\n{machine_line()}; photos of ../shared/data/photos/train at {SIZE} px, "
                     f"feedforward `{MODEL}`; whole processes timed (start-up included; Ray's own start-up only in "
                     "the rows that say so; the peak RSS is the batch process's, not Ray's workers').\n\n"
                     f"{table}\n\n" + "\n".join(lines) + "\n\n" + "\n".join(video_lines))  # fmt: skip
    return 0


def _fixed_cost_lines(actors: int, photos: int, base: float, local_per_photo: float, ray_per_photo: float,
                      whole: dict[str, float]) -> list[str]:  # fmt: skip
    """Ray's fixed cost per run (start-up, actor start, shut-down) over the local batch's, and the batch size
    from which the whole Ray run takes ≤ 1.15× the local one: with fixed costs F and per-photo costs p,
    F_ray + N·p_ray ≤ 1.15·(F_local + N·p_local)."""
    local_fixed = base - local_per_photo * photos
    lines = []
    for what, seconds in whole.items():
        ray_fixed = seconds - ray_per_photo * photos
        margin = 1.15 * local_per_photo - ray_per_photo
        reach = f"≈ {max(0.0, (ray_fixed - 1.15 * local_fixed) / margin):.0f} photos on" if margin > 0 else "never"
        lines.append(f"- {what}, {actors} actor(s): fixed cost {ray_fixed - local_fixed:+.1f} s over the local "
                     f"batch's; the whole run is within 15 % of the local one from {reach}")  # fmt: skip
    return lines


def video_batch(shared: Path, work: Path) -> list[str]:
    """20 one-second clips cut from the four shared videos (a JSONL manifest) in one `painterly batch`."""
    from painterly.video.media import probe

    rows: list[dict[str, object]] = []
    videos = sorted((shared / "videos").glob("*.mp4"))
    durations = {video: probe(video).duration for video in videos}
    start = 0.0
    while len(rows) < CLIPS and start < max(durations.values()):  # round robin over the clips, 0.5 s apart
        for video in videos:
            if len(rows) < CLIPS and start + 0.3 < durations[video]:
                rows.append({"photo": str(video), "output": str(work / "clips" / f"{video.stem}_{start:.1f}.mp4"),
                             "settings": {"start": start, "duration": 1.0}})  # fmt: skip
        start += 0.5
    manifest = work / "clips.jsonl"
    manifest.write_text("".join(json.dumps(row) + "\n" for row in rows))
    run = run_child([PAINTERLY, "batch", "--manifest", str(manifest), "-o", str(work / "clips"), "-m", "feedforward",
                     "--model", MODEL, "--size", str(VIDEO_SIZE), "-q"])  # fmt: skip
    made = sorted((work / "clips").glob("*.mp4"))
    frames = sum(_frame_count(path) for path in made)
    status = "ok" if run.returncode == 0 and len(made) == CLIPS else f"exit {run.returncode}, {len(made)}/{CLIPS}"
    return [f"## A video batch\n\n{len(rows)} one-second clips (starts 0.5 s apart) cut from the four videos of "
            "../shared/data/videos "
            f"(a JSONL manifest with start and duration per row), feedforward `{MODEL}` at {VIDEO_SIZE} px with "
            "flow consistency, audio kept, one `painterly batch` process:",
            markdown_table(["clips", "frames", "seconds", "frames/s", "peak RSS (GB)", "status"],
                           [[str(len(made)), str(frames), f"{run.seconds:.1f}", f"{frames / run.seconds:.1f}",
                             f"{run.peak_rss_mb / 1024:.2f}", status]])]  # fmt: skip


def _frame_count(path: Path) -> int:
    import av

    with av.open(str(path)) as container:
        return sum(1 for _ in container.decode(video=0))


if __name__ == "__main__":
    raise SystemExit(main())
