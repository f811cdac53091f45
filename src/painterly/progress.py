"""Progress of long work: events the library sends, and the exception a listener raises to stop it.

Library code never prints; methods, training and runners (video, batch, tiles) send
``ProgressEvent`` s to a callback. The CLI draws them as a bar, the service streams them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from PIL import Image

__all__ = ["Cancelled", "ProgressCallback", "ProgressEvent"]


@dataclass(frozen=True)
class ProgressEvent:
    """One report from long work; the CLI draws it as a bar, the service streams it."""

    stage: str  # what is running, e.g. "scale 2/3 (362 px)"
    step: int  # steps done so far, over all stages
    total: int  # steps expected in all
    elapsed: float  # seconds since the work started
    fraction: float  # share of the work done, weighted by cost (a full-size step costs more)
    losses: dict[str, float] = field(default_factory=dict)  # named loss values at this step (none for one-pass methods)
    preview: Image.Image | None = None  # intermediate result, when one was asked for


ProgressCallback = Callable[[ProgressEvent], None]


class Cancelled(Exception):  # noqa: N818 (control flow, not an error)
    """Raised by a progress callback to stop work between steps (the service's cancel, Ctrl-C in runners)."""
