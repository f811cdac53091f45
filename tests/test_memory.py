"""The up-front memory estimate: refuses what cannot fit, with the numbers in the message."""

from __future__ import annotations

import pytest

from painterly.errors import ArgumentError
from painterly.memory import BASE_BYTES, available_memory, check_memory, format_bytes


def test_available_memory_is_plausible() -> None:
    assert 64 * 1024**2 < available_memory() < 1 << 50


def test_fits_and_returns_the_estimate() -> None:
    assert check_memory("a result", 1000, 100.0, available=1 << 40) == BASE_BYTES + 100_000


def test_refuses_with_both_numbers() -> None:
    with pytest.raises(ArgumentError, match=r"would need about 3\.5 GB of memory and 1\.0 GB is available") as error:
        check_memory("a 20000×15000 result", 300_000_000, 10.0, available=1024**3)
    assert error.value.name == "size"


def test_format_bytes() -> None:
    assert format_bytes(512 * 1024**2) == "512 MB" and format_bytes(3 * 1024**3) == "3.0 GB"
