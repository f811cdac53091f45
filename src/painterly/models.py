"""Trained style models by name: the ones bundled with painterly and the user's own.

Bundled models live in the package (``painterly/assets/models/*.safetensors``); user models in
``PAINTERLY_HOME/models``. A name is a file stem; a path works anywhere a name does.
"""

from __future__ import annotations

import functools
import importlib.resources
import json
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

    @property
    def paintings(self) -> list[dict[str, str]]:
        """Per style: the painting's title, painter, year and licence where painterly knows them (its own bundled
        models' paintings), else just the style's name as the title."""
        known = _known_paintings()
        return [{"style": name, **known.get(name, {"title": name})} for name in self.styles]

    def describe_styles(self) -> str:
        """The styles as people know them: "The Starry Night (Vincent van Gogh, 1889)", comma-separated."""
        return ", ".join(_painting_label(painting) for painting in self.paintings)


def _painting_label(painting: dict[str, str]) -> str:
    credit = ", ".join(part for part in (painting.get("painter", ""), painting.get("year", "")) if part)
    return f"{painting['title']} ({credit})" if credit else painting["title"]


@functools.cache
def _known_paintings() -> dict[str, dict[str, str]]:
    try:
        table = json.loads((bundled_models_dir() / "paintings.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return {name: entry for name, entry in table.items() if isinstance(entry, dict)}


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
