"""The loop every trainer shares: step, log, checkpoint, preview, report; and resuming a run.

A trainer supplies ``train_step``, ``state``, ``restore``, ``preview`` and ``export``; this module
owns the order of things, so an interrupted run of any kind loses at most
``checkpoint_every`` steps and resumes the same way.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any, Protocol

import torch
from PIL import Image

from ..errors import ArgumentError, ImageError
from ..image_io import image_to_tensor, open_image, resize_long_side
from ..progress import ProgressEvent
from .checkpoint import load_checkpoint, read_config, save_checkpoint
from .log import LossLog, plot_losses

__all__ = ["TrainingRun", "readable_images", "resolve_run", "run_loop"]

TrainingCallback = Callable[[ProgressEvent], None]


class TrainingRun(Protocol):
    folder: Path
    step: int

    def train_step(self) -> dict[str, float]: ...
    def state(self) -> dict[str, Any]: ...
    def preview(self) -> Image.Image: ...
    def export(self) -> Path: ...


def resolve_run(config: Any, config_class: type, *, resume: bool) -> tuple[Any, dict[str, Any] | None]:
    """The config to train with and the checkpoint to start from (``None`` for a new run).

    A resumed run keeps its saved config; only ``steps`` may be raised to train longer, and it
    continues in ``config.output`` (not the folder its saved config names).

    Raises:
        ArgumentError: nothing to resume, or a new run would overwrite an existing one.
    """
    folder = Path(config.output)
    state = load_checkpoint(folder) if resume else None
    if resume and state is None:
        raise ArgumentError(f"cannot resume: no checkpoint in {folder}")
    if not resume and (folder / "checkpoint.pt").exists():
        raise ArgumentError(f"{folder} already holds a training run; pass --resume to continue it")
    if state is not None:  # trains on in the folder given, even if the run was moved or copied there
        config = replace(read_config(folder, config_class), steps=config.steps, output=str(folder))
    return config, state


def run_loop(
    run: TrainingRun,
    *,
    steps: int,
    checkpoint_every: int,
    preview_every: int,
    log: LossLog | None,
    columns: list[str],
    label: str,
    callback: TrainingCallback | None,
) -> None:
    """Train to ``steps``: a CSV row per step; checkpoint, export and curves every ``checkpoint_every``.

    ``log`` is ``None`` on the ranks of a distributed run other than 0: they train, rank 0 writes.
    """
    started, first = time.perf_counter(), run.step
    while run.step < steps:
        step_started = time.perf_counter()
        parts = run.train_step()
        if log is None:
            continue
        log.append(run.step, {**parts, "seconds": time.perf_counter() - step_started})
        last = run.step == steps
        if run.step % checkpoint_every == 0 or last:
            save_checkpoint(run.folder, run.state())
            run.export()  # the latest model is always usable, mid-run included
            plot_losses(log, run.folder / "losses.png", columns=columns)
        if run.step % preview_every == 0 or last:
            run.preview().save(run.folder / "preview.png")
        if callback is not None:
            done = (run.step - first) / max(1, steps - first)
            callback(ProgressEvent(label, run.step, steps, time.perf_counter() - started, done, parts))


def readable_images(paths: list[Path], count: int, long_side: int) -> list[torch.Tensor]:
    """The first ``count`` images of ``paths`` that can be read, at ``long_side`` px."""
    images = []
    for path in paths:
        try:
            images.append(image_to_tensor(resize_long_side(open_image(path), long_side)))
        except ImageError:
            continue
        if len(images) == count:
            break
    return images
