"""``painterly batch INPUT… -o DIR``: folders, globs or a manifest through stylizers loaded once."""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path
from typing import Any

from .._settings import setting_fields
from ..batch import DEFAULT_TEMPLATE, ItemReport, find_inputs, plan_items, read_manifest, run_batch
from ..devices import make_device
from ..errors import ArgumentError, OutputError
from ..methods.base import get_method
from ._options import add_setting_options, method_fields, settings_from_options
from ._progress import set_threads
from .stylize import parse_style_weights

NAME = "batch"
HELP = "stylize folders, globs or a manifest of photos in one process (resumable, with a report)"
ORDER = 1


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("inputs", nargs="*", help="photos or videos, folders of them, or glob patterns "
                                                  "('shots/**/*.jpg')")  # fmt: skip
    parser.add_argument("--manifest", help="a .csv or .jsonl of rows: photo, styles, style_weights, method, model, "
                                           "output, settings (JSON); per-row values override the options")  # fmt: skip
    parser.add_argument("--output", "-o", required=True, help="output folder (created if missing)")
    parser.add_argument("--name", default=DEFAULT_TEMPLATE,
                        help="output file name template: {stem} {style} {method} {parent} {index}; the extension "
                             f"picks the format; a video's result takes .mp4 unless it names a video container "
                             f"[{DEFAULT_TEMPLATE}]")  # fmt: skip
    parser.add_argument("--style", "-s", action="append", default=[], help="a style image; repeat to mix styles")
    parser.add_argument("--style-weights", help="mixing weights, one per --style, e.g. 0.7,0.3 [equal]")
    parser.add_argument("--method", "-m", default="optimize", help="stylization method [optimize]")
    parser.add_argument("--report", help="JSONL report, one line per item [OUTPUT/report.jsonl]")
    parser.add_argument("--force", "-f", action="store_true", help="redo and overwrite items whose output exists")
    parser.add_argument("--jpeg-quality", type=int, default=95, help="JPEG/WebP quality 1–100 [95]")
    parser.add_argument("--device", default="cpu", help="torch device, e.g. cpu or cuda:0 [cpu]")
    parser.add_argument("--threads", type=int, help="CPU threads for torch [torch's default]")
    parser.add_argument("--quiet", "-q", action="store_true", help="no progress bar")
    cluster = parser.add_argument_group("on a Ray cluster (pip install 'painterly[ray]'; docs/batch.md)")
    cluster.add_argument(
        "--ray",
        nargs="?",
        const="local",
        metavar="ADDRESS",
        help="run on Ray: a local instance, or the cluster at ADDRESS (auto, ray://head:10001)",
    )
    cluster.add_argument("--actors", type=int, default=1, help="stylizer actors, each loading its models once [1]")
    cluster.add_argument("--cpus-per-actor", type=int, default=1, help="CPUs (and torch threads) per actor [1]")
    cluster.add_argument("--gpus-per-actor", type=float, default=0.0, help="GPUs per actor, with --device cuda [0]")
    add_setting_options(parser, method_fields())


def run(options: argparse.Namespace) -> int:
    set_threads(options.threads)
    if not options.inputs and not options.manifest:
        raise ArgumentError("give photos, folders or globs, or --manifest FILE")
    if not 1 <= options.jpeg_quality <= 100:
        raise ArgumentError(f"--jpeg-quality must be within 1..100, got {options.jpeg_quality}")
    device = make_device(options.device)
    method = get_method(options.method)
    settings = settings_from_options(method.Settings, options, owner=options.method, others=method_fields())
    given = {f.name: getattr(settings, f.name) for f in setting_fields(method.Settings)
             if getattr(options, f.name, None) is not None}  # fmt: skip
    weights = parse_style_weights(options.style_weights, len(options.style))
    rows: list[dict[str, Any]] = [{"photo": str(photo)} for photo in find_inputs(options.inputs)]
    rows += read_manifest(Path(options.manifest)) if options.manifest else []
    output_dir = Path(options.output)
    if output_dir.exists() and not output_dir.is_dir():
        raise OutputError(f"--output must be a folder: {output_dir} is a file", path=str(output_dir))
    items = plan_items(rows, output_dir=output_dir, template=options.name, method=options.method,
                       styles=options.style, style_weights=weights, settings=given)  # fmt: skip
    for item in items:
        needs = get_method(item.method).needs_style_images
        if needs != bool(item.styles):
            what = "needs style images (--style, or styles in its manifest row)" if needs else \
                "uses its model's styles: drop the style images"  # fmt: skip
            raise ArgumentError(f"{item.photo}: method {item.method} {what}")
    output_dir.mkdir(parents=True, exist_ok=True)
    report = Path(options.report) if options.report else output_dir / "report.jsonl"
    counts: Counter[str] = Counter()
    warned: list[ItemReport] = []
    bar = None if options.quiet else _bar(len(items))

    def on_item(outcome: ItemReport) -> None:
        counts[outcome.status] += 1
        if outcome.warnings:
            warned.append(outcome)
        if outcome.status == "failed":
            message = f"painterly: warning: {outcome.input}: {outcome.error}"
            (bar.write if bar is not None else print)(message, file=sys.stderr)
        if bar is not None:
            bar.set_postfix(counts, refresh=False)
            bar.update(1)

    try:
        if options.ray is None:
            run_batch(items, device=device, report=report, force=options.force, jpeg_quality=options.jpeg_quality,
                      on_item=on_item)  # fmt: skip
        else:
            from ..ray_batch import run_on_ray

            run_on_ray(items, address=None if options.ray == "local" else options.ray, actors=options.actors,
                       cpus_per_actor=options.cpus_per_actor, gpus_per_actor=options.gpus_per_actor,
                       device=str(device), report=report, force=options.force, jpeg_quality=options.jpeg_quality,
                       on_item=on_item)  # fmt: skip
    finally:
        if bar is not None:
            bar.close()
    if warned:  # once for the batch: the report has every item's warnings
        first = warned[0]
        print(f"painterly: warning: {len(warned)} of {len(items)} items logged warnings, e.g. {first.input}: "
              f"{first.warnings[0]} (all in {report})", file=sys.stderr)  # fmt: skip
    print(f"{counts['done']} done, {counts['skipped']} skipped (already done), {counts['failed']} failed; "
          f"report: {report}")  # fmt: skip
    return 1 if counts["failed"] else 0


def _bar(total: int) -> Any:
    from tqdm import tqdm

    return tqdm(total=total, unit="photo", file=sys.stderr, dynamic_ncols=True, desc="batch")


__all__ = ["HELP", "NAME", "add_arguments", "run"]
