"""What long subcommands share: a progress bar on stderr, thread count, preview file names."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import torch

from ..errors import ArgumentError
from ..image_io import check_output_path, save_image
from ..progress import ProgressEvent

__all__ = ["ProgressBar", "check_previews", "preview_path", "set_threads"]


def set_threads(threads: int | None) -> None:
    if threads is not None:
        if threads < 1:
            raise ArgumentError(f"--threads must be ≥ 1, got {threads}")
        torch.set_num_threads(threads)


def preview_path(output: Path, step: int) -> Path:
    return output.with_name(f"{output.stem}.step{step:04d}{output.suffix}")


def check_previews(output: Path, every: int, total: int, force: bool) -> None:
    """Refuse to start if any preview file we would write already exists (unless --force)."""
    for step in range(every, total + 1, every) if every else ():
        check_output_path(preview_path(output, step), force=force)


class ProgressBar:
    """tqdm bar on stderr with stage, loss and ETA; saves previews that events carry."""

    def __init__(self, *, quiet: bool, output: Path | None = None, force: bool = False) -> None:
        self.quiet, self.output, self.force = quiet, output, force
        self.bar: Any = None

    def __call__(self, event: ProgressEvent) -> None:
        if event.preview is not None and self.output is not None:
            save_image(event.preview, preview_path(self.output, event.step), force=True)
        if self.quiet:
            return
        if self.bar is None:
            from tqdm import tqdm

            # Progress in 1e-5 units of the cost-weighted work, so the ETA holds across scales and long runs.
            layout = "{desc} {percentage:3.0f}%|{bar}| {elapsed}<{remaining}{postfix}"
            self.bar = tqdm(total=100_000, bar_format=layout, file=sys.stderr, dynamic_ncols=True, leave=True)
        self.bar.set_description(event.stage, refresh=False)
        postfix = {"step": f"{event.step}/{event.total}"} if event.total > 1 else {}
        if "total" in event.losses:
            postfix["loss"] = f"{event.losses['total']:.4g}"
        self.bar.set_postfix(postfix, refresh=event.step == event.total)
        self.bar.update(round(event.fraction * 100_000) - self.bar.n)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()

    def __enter__(self) -> ProgressBar:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
