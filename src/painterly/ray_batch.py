"""The same batch on a Ray cluster (Ray Data), for when one machine is not enough.

Items become rows of a Ray dataset (photos several to a call, video clips one to a task);
``map_batches`` hands them to a pool of actors, each a
callable class holding one ``_Runner`` — so each actor loads its stylizers once, as the local
batch does — with torch limited to the CPUs Ray gives the actor. Actors write results straight
to the items' output paths, which must therefore be visible to every node (a shared folder:
NFS, a mounted bucket); the driver collects the reports in order and writes the JSONL report.

Install with ``pip install 'painterly[ray]'``. Without an address a local Ray instance starts
with the CPUs asked for; with one (``ray://head:10001`` or ``auto`` under ``ray start``) the
batch joins that cluster. How to run a cluster: docs/batch.md.
"""

from __future__ import annotations

import importlib
import itertools
import json
import logging
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

from .batch import BatchItem, ItemReport, _Runner, collect
from .errors import ArgumentError

__all__ = ["run_on_ray"]


def _item_to_row(item: BatchItem) -> dict[str, str]:
    data = asdict(item)
    data["photo"], data["output"] = str(item.photo), str(item.output)
    return {"item": json.dumps(data, default=str)}


def _item_from_json(text: str) -> BatchItem:
    data = json.loads(text)
    weights = data.pop("style_weights")
    return BatchItem(Path(data.pop("photo")), Path(data.pop("output")), data.pop("method"),
                     tuple(data.pop("styles")), tuple(weights) if weights else None, data.pop("settings"))  # fmt: skip


class _RayStylizer:
    """A Ray actor's work: stylizers loaded once per actor, one item per call."""

    def __init__(self, device: str, force: bool, jpeg_quality: int, threads: int) -> None:
        import torch

        torch.set_num_threads(max(1, threads))
        self.runner = _Runner(device, force, jpeg_quality)

    def __call__(self, batch: dict[str, Any]) -> dict[str, list[str]]:
        reports = [self.runner.run(_item_from_json(str(text))) for text in batch["item"]]
        return {"report": [json.dumps(asdict(report)) for report in reports]}


def run_on_ray(
    items: Sequence[BatchItem],
    *,
    address: str | None = None,
    actors: int = 1,
    cpus_per_actor: int = 1,
    gpus_per_actor: float = 0.0,
    device: str = "cpu",
    report: Path | None = None,
    force: bool = False,
    jpeg_quality: int = 95,
    on_item: Callable[[ItemReport], None] | None = None,
) -> list[ItemReport]:
    """Run a planned batch on Ray: ``actors`` actors of ``cpus_per_actor`` CPUs (and GPUs) each.

    Raises:
        ArgumentError: Ray is not installed, or the actor counts are not positive.
    """
    try:
        import ray
    except ImportError:
        raise ArgumentError("--ray needs Ray: pip install 'painterly[ray]'") from None
    if actors < 1 or cpus_per_actor < 1:
        raise ArgumentError("--actors and --cpus-per-actor must be ≥ 1")
    importing = threading.Thread(target=importlib.import_module, args=("ray.data",))
    importing.start()  # 0.6 s of imports, while Ray starts or connects
    joined_here = not ray.is_initialized()  # else the caller's connection, which stays open
    if joined_here:
        cpus = None if address else actors * cpus_per_actor  # a local instance gets just what the actors use
        ray.init(address=address, num_cpus=cpus, include_dashboard=False, log_to_driver=False,
                 logging_level=logging.WARNING)  # fmt: skip
    importing.join()
    context = ray.data.DataContext.get_current()
    context.execution_options.preserve_order = True  # the report in item order
    context.enable_progress_bars = False  # the batch's own bar counts items; Ray's would print over it …
    logging.getLogger("ray.data._internal.progress").setLevel(logging.ERROR)  # … and so would its notice of that
    logging.getLogger("ray.data").setLevel(logging.WARNING)  # not an INFO line per stage on the terminal
    arguments = {"device": device, "force": force, "jpeg_quality": jpeg_quality, "threads": cpus_per_actor}
    photos = [item for item in items if not item.is_video]
    clips = [item for item in items if item.is_video]  # one clip per task: each is minutes of work

    def results(group: Sequence[BatchItem], per_call: int) -> Iterator[ItemReport]:
        if not group:
            return
        # A few blocks per actor and several photos per call: a block and a call per photo measured +75 % / +52 %
        # time per image against the local batch (1 / 2 actors, 200 photos) and this +56 % / +43 %, Ray's
        # start-up included (bench/batch.py).
        blocks = max(1, min(len(group), 4 * actors)) if per_call > 1 else len(group)
        dataset = ray.data.from_items([_item_to_row(item) for item in group], override_num_blocks=blocks)
        mapped = dataset.map_batches(_RayStylizer, batch_size=max(1, min(per_call, len(group) // blocks)),
                                     compute=ray.data.ActorPoolStrategy(size=actors), num_cpus=cpus_per_actor,
                                     num_gpus=gpus_per_actor or None, fn_constructor_kwargs=arguments)  # fmt: skip
        for row in mapped.iter_rows():
            yield ItemReport(**json.loads(row["report"]))

    try:  # photos first, then clips: the report lists them in that order (each group in item order)
        return collect(itertools.chain(results(photos, 16), results(clips, 1)), report, on_item)
    finally:
        if joined_here:  # now, not at exit: Ray's exit hook took 1 s longer than this (bench/batch.py)
            ray.shutdown()
