"""Model files: metadata travels with the weights; wrong or corrupt files are one-line errors."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from painterly.errors import WeightsError
from painterly.model_files import load_into, read_metadata, save_model
from painterly.nets.adain import AdaINDecoder


def test_round_trip(tmp_path: Path) -> None:
    model = AdaINDecoder(widths=(16, 8, 8, 8))
    path = save_model(tmp_path / "m.safetensors", model, {"kind": "adain-decoder", "steps": 3})
    other = AdaINDecoder(widths=(16, 8, 8, 8))
    metadata = load_into(path, other, kind="adain-decoder")
    assert metadata == {"kind": "adain-decoder", "steps": 3}
    for a, b in zip(model.state_dict().values(), other.state_dict().values()):
        assert torch.equal(a, b)


def test_wrong_kind(tmp_path: Path) -> None:
    path = save_model(tmp_path / "m.safetensors", AdaINDecoder(widths=(16, 8, 8, 8)), {"kind": "transformer"})
    with pytest.raises(WeightsError, match="holds a 'transformer' model, not a 'adain-decoder' one"):
        load_into(path, AdaINDecoder(), kind="adain-decoder")


def test_wrong_shape(tmp_path: Path) -> None:
    path = save_model(tmp_path / "m.safetensors", AdaINDecoder(widths=(16, 8, 8, 8)), {"kind": "adain-decoder"})
    with pytest.raises(WeightsError, match="expected"):
        load_into(path, AdaINDecoder(), kind="adain-decoder")


@pytest.mark.parametrize("content", [b"", b"garbage that is not safetensors", b"\x10\x00\x00\x00\x00\x00\x00\x00{}"])
def test_corrupt_or_foreign(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "bad.safetensors"
    path.write_bytes(content)
    with pytest.raises(WeightsError, match="not a painterly model file"):
        read_metadata(path)


def test_missing(tmp_path: Path) -> None:
    with pytest.raises(WeightsError, match="model file not found"):
        read_metadata(tmp_path / "none.safetensors")
