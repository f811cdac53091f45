"""Memory estimates: refuse work that cannot fit before allocating, with a one-line reason.

Without this a large ``size`` ends in a ``MemoryError`` minutes in, or in the kernel's OOM
killer taking the whole service down. Each method states its peak bytes per result pixel
(measured with ``ru_maxrss`` on 2–3 MP images; see the class attributes), and the check
compares the estimate with the memory the machine has available right now.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import os
from collections.abc import Callable

from .errors import ArgumentError

__all__ = ["available_memory", "check_memory", "format_bytes", "release_freed"]

BASE_BYTES = 700 * 1024**2  # torch, the encoder weights and the photo: measured ≈ 0.4–0.6 GB before any work


def available_memory() -> int:
    """Bytes the machine can give this process now (``MemAvailable``; physical memory elsewhere)."""
    try:
        with open("/proc/meminfo") as meminfo:
            for line in meminfo:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return 1 << 62  # unknown: do not refuse


def format_bytes(count: float) -> str:
    return f"{count / 1024**3:.1f} GB" if count >= 1024**3 else f"{count / 1024**2:.0f} MB"


def check_memory(what: str, pixels: int, bytes_per_pixel: float, *, available: int | None = None) -> int:
    """Raise if ``pixels`` at ``bytes_per_pixel`` (plus the base) would not fit; return the estimate.

    Raises:
        ArgumentError: the estimate exceeds the available memory (``name="size"``).
    """
    needed = int(BASE_BYTES + pixels * bytes_per_pixel)
    available = available_memory() if available is None else available
    if needed > available:
        raise ArgumentError(
            f"{what} would need about {format_bytes(needed)} of memory and {format_bytes(available)} is available; "
            "choose a smaller size",
            name="size",
        )
    return needed


@functools.cache
def _malloc_trim() -> Callable[[int], int] | None:
    try:
        return ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6").malloc_trim
    except (OSError, AttributeError):
        return None  # not glibc


def release_freed() -> None:
    """Hand freed heap memory back to the system now.

    glibc keeps freed blocks for reuse, and work in tiles of varying sizes fragments them: a
    4096×4096 optimization peaked at 5.7 GB this way, against ≈ 3 GB of live tensors. Trimming after
    each tile cost 28 % more time and lowered the peak by 27 % (2048², bench notes in
    docs/print-resolution.md). A no-op where ``malloc_trim`` does not exist.
    """
    trim = _malloc_trim()
    if trim is not None:
        trim(0)
