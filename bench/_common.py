"""Helpers shared by the benchmarks: shared-data lookup, child-process timing, tables, sheets."""

from __future__ import annotations

import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import torch
from PIL import Image, ImageDraw

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"
RESULTS = REPO / "bench" / "results"


def require_shared_data() -> Path:
    """``../shared/data``, or exit 0 with the reason (a benchmark without data is skipped, not failed)."""
    if not SHARED_DATA.is_dir():
        print(f"skipped: shared data not found at {SHARED_DATA}")
        sys.exit(0)
    return SHARED_DATA


@dataclass(frozen=True)
class ChildRun:
    seconds: float
    peak_rss_mb: float
    returncode: int
    stderr: str
    stdout: str = ""


def run_child(command: list[str]) -> ChildRun:
    """Run a command, measuring its own wall time and peak RSS (not other children's).

    The peak is the child's VmHWM, read while it runs: ``ru_maxrss`` also counts the forked copy of
    this process before ``exec``, which is the benchmark's own size when that has grown.
    """
    import tempfile
    import threading

    started = time.perf_counter()
    with tempfile.TemporaryFile(mode="w+") as errors, tempfile.TemporaryFile(mode="w+") as output:
        process = subprocess.Popen(command, stdout=output, stderr=errors, text=True)
        peak = [0.0]

        def watch() -> None:
            status = Path(f"/proc/{process.pid}/status")
            while process.returncode is None:
                try:
                    line = next(row for row in status.read_text().splitlines() if row.startswith("VmHWM:"))
                    peak[0] = max(peak[0], int(line.split()[1]) / 1024)
                except (OSError, StopIteration, ValueError):
                    pass
                time.sleep(0.05)

        watcher = threading.Thread(target=watch, daemon=True)
        watcher.start()
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(status)
        watcher.join()
        errors.seek(0)
        output.seek(0)
        stderr, stdout = errors.read(), output.read()
    return ChildRun(seconds, peak[0] or usage.ru_maxrss / 1024, process.returncode, stderr[-2000:], stdout[-20000:])


def median_seconds(run: Callable[[], object], repeats: int = 5) -> float:
    """Median wall time of ``run`` over ``repeats`` calls, after one warm-up call (lazy initialization)."""
    run()
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        run()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def conv_peak_gflops(dtype: torch.dtype, *, repeats: int = 10) -> float:
    """The machine's measured conv throughput: a 3×3, 256→256 conv on 128², channels-last."""
    conv = torch.nn.Conv2d(256, 256, 3, padding=1).to(dtype=dtype, memory_format=torch.channels_last)
    conv.requires_grad_(False)
    x = torch.randn(1, 256, 128, 128).to(dtype=dtype, memory_format=torch.channels_last)
    with torch.no_grad():
        for _ in range(3):
            conv(x)
        started = time.perf_counter()
        for _ in range(repeats):
            conv(x)
        seconds = (time.perf_counter() - started) / repeats
    return 2 * 256 * 256 * 9 * 128 * 128 / seconds / 1e9


def cpu_model() -> str:
    """The CPU's model name and its matrix features (AMX, AVX-512 bf16), from /proc/cpuinfo."""
    try:
        info = Path("/proc/cpuinfo").read_text()
    except OSError:
        return platform.processor() or platform.machine()
    name = next((line.split(":", 1)[1].strip() for line in info.splitlines() if line.startswith("model name")), "")
    flags = set(next((line.split(":", 1)[1].split() for line in info.splitlines() if line.startswith("flags")), []))
    features = [label for flag, label in (("amx_bf16", "AMX-bf16"), ("avx512_bf16", "AVX512-bf16")) if flag in flags]
    return f"{name or platform.machine()}" + (f" ({', '.join(features)})" if features else "")


def machine_line() -> str:
    return (
        f"{cpu_model()}, {os.cpu_count()} cores, torch {torch.__version__}, "
        f"{torch.get_num_threads()} threads, python {platform.python_version()}"
    )


def markdown_table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def labelled_row(images: list[tuple[str, Image.Image]], height: int = 384) -> Image.Image:
    """Images side by side at one height, each with a caption strip above it."""
    resized = [(label, image.resize((round(image.width * height / image.height), height))) for label, image in images]
    strip = 22
    sheet = Image.new("RGB", (sum(image.width for _, image in resized), height + strip), "white")
    draw = ImageDraw.Draw(sheet)
    x = 0
    for label, image in resized:
        sheet.paste(image, (x, strip))
        draw.text((x + 6, 5), label, fill="black")
        x += image.width
    return sheet


def publish(name: str, text: str) -> None:
    """Print a benchmark's report and write it to ``bench/results/NAME.md``."""
    print(text)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"{name}.md").write_text(text + "\n")
