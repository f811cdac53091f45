"""Which number format the frozen encoder (and the Grams of its features) run in.

STYLE.md says float32 throughout; this is the one measured exception. On CPUs with native
bfloat16 (AVX512-BF16 or AMX: AMD Zen 4, Intel Sapphire Rapids and later) the encoder's
convolutions and the Gram matrices of its features run 2× and 3× faster in bfloat16 than in
float32 on the project's 2-core machine (bench/results/optimize.md has the per-step
numbers), and the optimization reaches the same style distance. Images, targets, loss
values and optimizer state stay float32: each loss compares a bfloat16 statistic with its
float32 target in float32 (the bfloat16 matmuls and convolutions accumulate in float32 inside
oneDNN and round once, at their output). Elsewhere ``auto`` means float32, since emulated bfloat16 is
slower than float32.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Literal

import torch

__all__ = ["PRECISIONS", "Precision", "encoder_autocast", "resolve_precision"]

Precision = Literal["auto", "float32", "bfloat16"]
PRECISIONS: tuple[Precision, ...] = ("auto", "float32", "bfloat16")


def _cpu_has_native_bfloat16() -> bool:
    checks = ("_is_avx512_bf16_supported", "_is_amx_tile_supported")
    return any(getattr(torch.cpu, name, lambda: False)() for name in checks)


def resolve_precision(precision: Precision, device: torch.device) -> torch.dtype:
    """The dtype the encoder should compute in for ``precision`` on ``device``."""
    if precision == "float32":
        return torch.float32
    if precision == "bfloat16":
        return torch.bfloat16
    if device.type == "cpu":
        return torch.bfloat16 if _cpu_has_native_bfloat16() else torch.float32
    if device.type == "cuda" and torch.cuda.is_bf16_supported():
        return torch.bfloat16
    return torch.float32


@contextlib.contextmanager
def encoder_autocast(device: torch.device, dtype: torch.dtype) -> Iterator[None]:
    """Autocast the encoder's ops to ``dtype``; a no-op for float32."""
    if dtype == torch.float32:
        yield
        return
    with torch.autocast(device.type, dtype=dtype):
        yield
