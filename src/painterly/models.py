"""Trained style models by name: the ones bundled with painterly and the user's own.

Bundled models live in the package (``painterly/assets/models/*.safetensors``); user models in
``PAINTERLY_HOME/models``. A name is a file stem; a path works anywhere a name does.
"""

from __future__ import annotations

import importlib.resources
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import WeightsError
from .model_files import read_metadata
from .weights import painterly_home

__all__ = ["ModelInfo", "bundled_models_dir", "list_models", "resolve_model", "user_models_dir"]


@dataclass(frozen=True)
class ModelInfo:
    """A model file and what its metadata says."""

    name: str
    path: Path
    origin: str  # "bundled" or "user"
    metadata: dict[str, Any]

    @property
    def styles(self) -> list[str]:
        """Names of the styles a style model holds; none for a decoder (whose ``styles`` is its training folder)."""
        styles = self.metadata.get("styles", [])
        if not isinstance(styles, list):
            return []
        return [style.get("name", f"style {i}") for i, style in enumerate(styles)]


def bundled_models_dir() -> Path:
    return Path(str(importlib.resources.files("painterly") / "assets" / "models"))


def user_models_dir() -> Path:
    return painterly_home() / "models"


def list_models(kind: str | None = None) -> list[ModelInfo]:
    """Bundled then user models (of ``kind``, if given), sorted by name; unreadable files are skipped."""
    found = []
    for origin, folder in (("bundled", bundled_models_dir()), ("user", user_models_dir())):
        for path in sorted(folder.glob("*.safetensors")) if folder.is_dir() else []:
            try:
                metadata = read_metadata(path)
            except WeightsError:
                continue
            if kind is None or metadata.get("kind") == kind:
                found.append(ModelInfo(path.stem, path, origin, metadata))
    return found


def resolve_model(name_or_path: str | os.PathLike[str], kind: str) -> Path:
    """The file of a model name (bundled or user) or path.

    Raises:
        WeightsError: no such model; the message lists the known names.
    """
    text = os.fspath(name_or_path)
    for model in list_models(kind):
        if model.name == text:
            return model.path
    path = Path(text)
    if path.is_file():
        return path
    known = ", ".join(model.name for model in list_models(kind)) or "none installed"
    raise WeightsError(f"unknown model {text!r}; known {kind} models: {known} (or give a file path)")
