"""Video: flicker (warping error), style kept, speed end to end, and memory against clip length.

For each clip in ``../shared/data/videos`` at 640 px long side, feedforward (the bundled
``hokusai_wave`` and its stability-trained ``hokusai_wave_stable``) and adain (the same painting)
run per frame (``--consistency none``) and consistent (``flow``), through the ``painterly video``
command in a child process (wall time and peak RSS are the whole command's). Then:

- E_warp (Lai et al. 2018): mean over frame pairs of the mean over trusted pixels of
  ‖O_{t+1} − W(O_t)‖² (RGB in [0, 1], channels summed), with the flow and trust mask from DIS
  *medium* on the input frames; the correction itself uses DIS *fast*, so it is not graded by its
  own flow. Measured on the decoded output files, so encoding is included.
- gram_ratio per frame (every 10th frame, against the painting), mean over the clip.
- frames/s end to end (decode + flow + stylize + encode + join, 2 threads), and optimize per frame.
- peak RSS on a 10 s and a 60 s clip (``friday`` looped), consistent feedforward.

Writes ``bench/results/video.md`` and ``video_strip.jpg`` (input, per frame, consistent, and
each one's frame-to-frame error map, over three consecutive frames).

    .venv/bin/python bench/video.py [--quick]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import REPO, RESULTS, labelled_row, machine_line, markdown_table, publish, require_shared_data, run_child

PAINTING = "styles/train/hokusai__nami.jpg"
SIZE = 640
PAINTERLY = str(REPO / ".venv" / "bin" / "painterly")


from painterly.video.media import probe


def decoded(path: Path, size: tuple[int, int]) -> list[np.ndarray]:
    from painterly.video.media import read_frames

    return list(read_frames(path, size))


def clip_scores(output: Path, source: Path, painting: Image.Image, encoder: object) -> tuple[float, float]:
    """(mean E_warp with DIS medium, mean gram_ratio of every 10th frame) of a stylized clip."""
    from painterly.metrics import gram_ratio
    from painterly.video.flow import FlowEstimator, warping_error
    from painterly.video.media import probe

    info = probe(output)
    outputs = decoded(output, (info.width, info.height))
    inputs = decoded(source, (info.width, info.height))[: len(outputs)]
    flow = FlowEstimator("medium", long_side=1920)
    floats = [frame.astype(np.float32) / 255 for frame in outputs]
    errors = [warping_error((floats[t], floats[t + 1]), (inputs[t], inputs[t + 1]), flow)
              for t in range(len(floats) - 1)]  # fmt: skip
    ratios = [gram_ratio(encoder, Image.fromarray(outputs[t]), Image.fromarray(inputs[t]), painting)  # type: ignore[arg-type]
              for t in range(0, len(outputs), 10)]  # fmt: skip
    return float(np.mean(errors)), float(np.mean(ratios))


def stylize(source: Path, output: Path, method: list[str], consistency: str, extra: Sequence[str] = ()
            ) -> tuple[float, float, int, float]:  # fmt: skip
    """Run ``painterly video``; returns (the video's own seconds, peak RSS MB, frames, the command's seconds).

    The video's own seconds are the pipeline's (decode, flow, stylize, encode, join); the command's add
    starting Python and loading the model (2–3 s).
    """
    command = [PAINTERLY, "video", str(source), "-o", str(output), "--force", "-q", "--json",
               "--consistency", consistency, *method, *extra]  # fmt: skip
    run = run_child(command)
    if run.returncode:
        raise SystemExit(f"failed: {' '.join(command)}\n{run.stderr}")
    summary = json.loads(run.stdout.strip().splitlines()[-1])
    return summary["seconds"]["total"], run.peak_rss_mb, summary["frames"], run.seconds


def looped(source: Path, target: Path, seconds: float) -> Path:
    """A clip of about ``seconds`` made by repeating ``source`` (re-encoded once, no audio)."""
    from painterly.video.media import SegmentWriter, probe, read_frames

    info = probe(source)
    writer = SegmentWriter(target, target, (info.width, info.height), info.rate)
    needed = round(seconds * info.rate)
    while writer.count < needed:
        for frame in read_frames(source, (info.width, info.height)):
            if writer.count >= needed:
                break
            writer.write(frame)
    writer.close()
    return target


def error_map(outputs: list[np.ndarray], inputs: list[np.ndarray], t: int) -> Image.Image:
    """|O_{t+1} − W(O_t)| on trusted pixels, ×4 for visibility (black: steady)."""
    from painterly.video.flow import FlowEstimator, estimate_motion, warp

    flow = FlowEstimator("medium", long_side=1920)
    height, width = outputs[t].shape[:2]
    motion = estimate_motion(flow, flow.grey(inputs[t]), flow.grey(inputs[t + 1]), (width, height))
    carried = warp(outputs[t].astype(np.float32), motion.backward)
    difference = np.abs(outputs[t + 1].astype(np.float32) - carried) * motion.confidence[..., None] * 4
    return Image.fromarray(np.clip(difference, 0, 255).astype(np.uint8))


def strip(source: Path, plain: Path, steady: Path, target: Path, start: int = 60) -> None:
    from painterly.video.media import probe

    info = probe(plain)
    size = (info.width, info.height)
    frames = {name: decoded(path, size)[start : start + 4] for name, path in
              (("input", source), ("per frame", plain), ("consistent (flow)", steady))}  # fmt: skip
    rows = []
    for name, clip in frames.items():
        rows.append(labelled_row([(f"{name}, frame {start + i}", Image.fromarray(f)) for i, f in enumerate(clip[:3])],
                                 height=200))  # fmt: skip
        if name != "input":
            rows.append(labelled_row([(f"{name}: change not explained by motion (x4)", error_map(clip, frames["input"],
                                      i)) for i in range(3)], height=200))  # fmt: skip
    sheet = Image.new("RGB", (max(r.width for r in rows), sum(r.height for r in rows)), "white")
    top = 0
    for row in rows:
        sheet.paste(row, (0, top))
        top += row.height
    sheet.save(target, quality=85, optimize=True)


def other_measurements(data: Path, work: Path) -> list[list[str]]:
    """Peak RSS for a 10 s and a 60 s clip (feedforward, flow), and optimize's time per frame."""
    rows = []
    source = data / "videos" / "friday.mp4"
    for seconds in (10, 60):
        clip = looped(source, work / f"loop{seconds}.mp4", seconds)
        wall, rss, frames, _ = stylize(clip, work / f"loop{seconds}-out.mp4",
                                    ["--method", "feedforward", "--model", "hokusai_wave_stable"], "flow")  # fmt: skip
        rows.append([f"feedforward, flow, friday looped to {seconds} s (640×480)", str(frames), f"{wall:.0f}",
                     f"{frames / wall:.1f}", f"{rss:.0f}"])  # fmt: skip
        print(rows[-1], flush=True)
    clip = data / "videos" / "flower.mp4"
    method = ["--method", "optimize", "--style", str(data / PAINTING), "--size", "320", "--quality", "draft"]
    wall, rss, frames, _ = stylize(clip, work / "optimize.mp4", [*method, "--duration", "0.5"], "flow")
    rows.append(
        [
            f"optimize draft, flow, flower 0.5 s at 320 px (first frame full schedule, then {40} steps)",
            str(frames),
            f"{wall:.0f}",
            f"{frames / wall:.2f} ({wall / frames:.1f} s per frame)",
            f"{rss:.0f}",
        ]
    )
    print(rows[-1], flush=True)
    return rows


METHODS = {
    "feedforward hokusai_wave": ["--method", "feedforward", "--model", "hokusai_wave"],
    "feedforward hokusai_wave_stable": ["--method", "feedforward", "--model", "hokusai_wave_stable"],
    "adain": ["--method", "adain", "--style", "{data}/" + PAINTING],
}
RAW = RESULTS / "video.json"  # every measurement, so one method's rows can be rerun (--methods) and merged


def measure_method(label: str, data: Path, clips: list[Path], painting: Image.Image, encoder: object, work: Path
                   ) -> tuple[list[list[str]], dict[str, list[list[float]]]]:  # fmt: skip
    """One method on every clip, per frame and consistent: table rows and (E_warp, gram_ratio) per clip."""
    method = [part.replace("{data}", str(data)) for part in METHODS[label]]
    rows, scores = [], {"none": [], "flow": []}
    for clip in clips:
        for consistency in ("none", "flow"):
            output = work / f"{clip.stem}-{label.replace(' ', '_')}-{consistency}.mp4"
            info = probe(clip)
            size = ["--size", str(min(SIZE, max(info.width, info.height)))]  # never enlarged
            seconds, rss, frames, command_seconds = stylize(clip, output, [*method, *size], consistency)
            e_warp, ratio = clip_scores(output, clip, painting, encoder)
            scores[consistency].append([e_warp, ratio])
            rows.append([label, f"{clip.stem} ({probe(output).width}×{probe(output).height})", consistency,
                         f"{e_warp:.5f}", f"{ratio:.3f}", f"{frames / seconds:.1f}", f"{frames / command_seconds:.1f}",
                         f"{rss:.0f}"])  # fmt: skip
            print(rows[-1], flush=True)
        if label == "feedforward hokusai_wave" and clip.stem == "flower":
            stem = work / f"{clip.stem}-{label.replace(' ', '_')}"
            strip(clip, Path(f"{stem}-none.mp4"), Path(f"{stem}-flow.mp4"), RESULTS / "video_strip.jpg")
    return rows, scores


def summary_rows(scores: dict[str, dict[str, list[list[float]]]]) -> list[list[str]]:
    """Consistent against per frame, means over the clips; and the stable model with flow against the plain one."""

    def ratio(flow: list[list[float]], plain: list[list[float]]) -> list[str]:
        a, b = np.mean(flow, axis=0), np.mean(plain, axis=0)
        return [f"{a[0] / b[0]:.2f}", f"{a[1] / b[1]:.2f}"]

    rows = [[label, *ratio(kinds["flow"], kinds["none"])] for label, kinds in scores.items()]
    plain, stable = scores.get("feedforward hokusai_wave"), scores.get("feedforward hokusai_wave_stable")
    if plain and stable:
        rows.append(["feedforward: hokusai_wave_stable with flow / hokusai_wave per frame",
                     *ratio(stable["flow"], plain["none"])])  # fmt: skip
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="one clip, no memory or optimize rows")
    parser.add_argument("--methods", help=f"rerun only these (comma-separated: {', '.join(METHODS)}) and merge "
                                          "them into the last full run's results")  # fmt: skip
    options = parser.parse_args()
    data = require_shared_data()
    from painterly.encoders import get_encoder

    encoder = get_encoder("vgg19.caffe_q8", "max", "relu5_1")
    painting = Image.open(data / PAINTING).convert("RGB")
    clips = sorted((data / "videos").glob("*.mp4"))[: 1 if options.quick else None]
    chosen = options.methods.split(",") if options.methods else list(METHODS)
    unknown = set(chosen) - set(METHODS)
    if unknown:
        raise SystemExit(f"unknown methods: {', '.join(sorted(unknown))}")
    raw = json.loads(RAW.read_text()) if options.methods and RAW.exists() else {"rows": {}, "scores": {}, "extra": []}
    work = Path(tempfile.mkdtemp(prefix="painterly-video-"))
    for label in chosen:
        raw["rows"][label], raw["scores"][label] = measure_method(label, data, clips, painting, encoder, work)
        raw.setdefault("machines", {})[label] = machine_line()
    if not options.quick and not options.methods:
        raw["extra"] = other_measurements(data, work)
    RAW.write_text(json.dumps(raw, indent=1))
    rows = [row for label in METHODS if label in raw["rows"] for row in raw["rows"][label]]
    machines = sorted(set(raw.get("machines", {}).values()))
    # fmt: off
    text = [f"# Video: flicker, style kept, speed, memory\n\n{' / '.join(machines)}\n",
            "Each clip at 640 px long side (smaller ones at their own) through `painterly video` (2 cores, its "
            "own thread choice); E_warp with DIS medium flow at full size on the decoded outputs (the correction "
            "uses DIS fast at up to 640 px). gram_ratio: every 10th frame against the painting. frames/s (decode → "
            "encode): the pipeline's own time; (whole command): with Python's start and the model's loading.\n",
            markdown_table(["method", "clip", "consistency", "E_warp ↓", "gram_ratio ↓",
                            "frames/s (decode → encode)", "frames/s (whole command)", "peak RSS MB"], rows),
            "\n## Consistent against per frame (means over the clips)\n",
            markdown_table(["method", "E_warp consistent / per frame (target ≤ 0.5)",
                            "gram_ratio consistent / per frame (target ≤ 1.15)"], summary_rows(raw["scores"]))]
    # fmt: on
    if raw["extra"]:
        text += ["\n## Memory against clip length, and optimization per frame\n",
                 markdown_table(["run", "frames", "seconds", "frames/s", "peak RSS MB"], raw["extra"])]  # fmt: skip
    publish("video", "\n".join(text))


if __name__ == "__main__":
    main()
