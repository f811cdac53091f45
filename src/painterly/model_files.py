"""Our trained models on disk: safetensors weights with JSON metadata in the same file.

One file per model keeps a model and its description from drifting apart. Loading checks
the kind and every tensor's shape against the network it is meant for, so a wrong or
corrupt file is a one-line ``WeightsError``, not a shape traceback from deep in PyTorch.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file
from torch import nn

from ._atomic import atomic_path
from .errors import WeightsError

__all__ = ["load_into", "read_metadata", "save_model"]

_METADATA_KEY = "painterly"


def save_model(path: str | os.PathLike[str], model: nn.Module, metadata: dict[str, Any]) -> Path:
    """Write ``model``'s state dict and ``metadata`` (must include ``kind``) atomically."""
    if "kind" not in metadata:
        raise ValueError("model metadata needs a 'kind'")
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    tensors = {key: value.detach().contiguous().cpu() for key, value in model.state_dict().items()}
    with atomic_path(target) as temporary:
        save_file(tensors, str(temporary), metadata={_METADATA_KEY: json.dumps(metadata, sort_keys=True)})
    return target


def read_metadata(path: str | os.PathLike[str]) -> dict[str, Any]:
    """The JSON metadata of a model file.

    Raises:
        WeightsError: missing, not a safetensors file, or not one of ours.
    """
    from safetensors import safe_open

    source = Path(path)
    if not source.is_file():
        raise WeightsError(f"model file not found: {source}")
    try:
        with safe_open(str(source), framework="pt") as handle:
            header = handle.metadata() or {}
        return dict(json.loads(header[_METADATA_KEY]))
    except (SafetensorError, OSError, KeyError, ValueError) as error:
        raise WeightsError(f"{source} is not a painterly model file ({type(error).__name__})") from None


def load_into(path: str | os.PathLike[str], model: nn.Module, *, kind: str) -> dict[str, Any]:
    """Load a model file into ``model`` after checking its kind and shapes; return its metadata.

    Raises:
        WeightsError: wrong kind, missing or extra tensors, or a shape that does not fit.
    """
    metadata = read_metadata(path)
    if metadata.get("kind") != kind:
        raise WeightsError(f"{path} holds a {metadata.get('kind')!r} model, not a {kind!r} one")
    try:
        tensors = load_file(str(path))
    except (SafetensorError, OSError) as error:
        raise WeightsError(f"cannot read {path}: {error}") from None
    expected = model.state_dict()
    if set(tensors) != set(expected):
        missing, extra = sorted(set(expected) - set(tensors)), sorted(set(tensors) - set(expected))
        raise WeightsError(f"{path} does not fit: missing {missing[:3]}, unexpected {extra[:3]}")
    for key, value in expected.items():
        if tensors[key].shape != value.shape:
            raise WeightsError(f"{path}: {key} is {tuple(tensors[key].shape)}, expected {tuple(value.shape)}")
    model.load_state_dict({key: tensor.to(torch.float32) for key, tensor in tensors.items()}, strict=True)
    return metadata
