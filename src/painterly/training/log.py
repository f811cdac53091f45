"""Loss logs as CSV, and their curves drawn as a PNG (people look at curves, not columns)."""

from __future__ import annotations

import csv
import math
from pathlib import Path

from PIL import Image, ImageDraw

__all__ = ["LossLog", "plot_losses"]

_COLOURS = ((31, 119, 180), (214, 39, 40), (44, 160, 44), (148, 103, 189), (255, 127, 14))


class LossLog:
    """Appends one CSV row per step; on resume, drops rows past the checkpoint's step."""

    def __init__(self, path: Path, columns: list[str], *, resume_step: int = 0) -> None:
        self.path, self.columns = path, ["step", *columns]
        rows = self.read() if path.exists() and resume_step > 0 else []
        kept = [row for row in rows if row["step"] <= resume_step]
        with path.open("w", newline="") as stream:
            writer = csv.writer(stream)
            writer.writerow(self.columns)
            for row in kept:
                writer.writerow([_format(row.get(name, math.nan)) for name in self.columns])

    def append(self, step: int, values: dict[str, float]) -> None:
        with self.path.open("a", newline="") as stream:
            csv.writer(stream).writerow([step, *(_format(values.get(name, math.nan)) for name in self.columns[1:])])

    def read(self) -> list[dict[str, float]]:
        with self.path.open(newline="") as stream:
            return [{key: float(value) for key, value in row.items()} for row in csv.DictReader(stream)]


def _format(value: float) -> str:
    return f"{value:.6g}"


def _smooth(values: list[float], window: int) -> list[float]:
    smoothed, total = [], 0.0
    for index, value in enumerate(values):
        total += value
        if index >= window:
            total -= values[index - window]
        smoothed.append(total / min(index + 1, window))
    return smoothed


def plot_losses(log: LossLog, target: Path, *, columns: list[str], size: tuple[int, int] = (900, 420)) -> None:
    """Draw ``columns`` against step (log scale, moving average) into ``target`` PNG."""
    rows = log.read()
    if len(rows) < 2:
        return
    width, height = size
    margin = 50
    image = Image.new("RGB", size, "white")
    draw = ImageDraw.Draw(image)
    steps = [row["step"] for row in rows]
    series = {name: _smooth([max(row[name], 1e-12) for row in rows], max(1, len(rows) // 100)) for name in columns}
    logs = [math.log10(v) for values in series.values() for v in values]
    low, high = min(logs), max(logs) + 1e-9
    x_of = lambda step: margin + (step - steps[0]) / max(1.0, steps[-1] - steps[0]) * (width - 2 * margin)  # noqa: E731
    y_of = lambda value: height - margin - (math.log10(value) - low) / (high - low) * (height - 2 * margin)  # noqa: E731
    draw.rectangle([margin, margin, width - margin, height - margin], outline=(160, 160, 160))
    for number, (name, values) in enumerate(series.items()):
        colour = _COLOURS[number % len(_COLOURS)]
        draw.line([(x_of(s), y_of(v)) for s, v in zip(steps, values)], fill=colour, width=2)
        draw.text((margin + 10 + 140 * number, 15), f"{name} {values[-1]:.4g}", fill=colour)
    draw.text((margin, height - margin + 8), f"step {int(steps[0])}", fill="black")
    draw.text((width - margin - 80, height - margin + 8), f"step {int(steps[-1])}", fill="black")
    draw.text((5, margin - 14), f"{10**high:.3g}", fill="black")
    draw.text((5, height - margin), f"{10**low:.3g}", fill="black")
    image.save(target)
