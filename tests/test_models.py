"""Trained models by name: what a listing says of style models and of decoders."""

from __future__ import annotations

from pathlib import Path

from painterly.models import ModelInfo, list_models


def test_style_names_of_a_style_model_and_none_for_a_decoder() -> None:
    styles = ModelInfo("m", Path("m.safetensors"), "user", {"styles": [{"name": "wave"}, {}]})
    decoder = ModelInfo("d", Path("d.safetensors"), "user", {"kind": "adain-decoder", "styles": "data/styles"})
    assert styles.styles == ["wave", "style 1"]
    assert decoder.styles == []  # a decoder's "styles" is the folder it was trained on


def test_bundled_models_are_listed_with_their_kinds() -> None:
    bundled = {model.name: model.metadata["kind"] for model in list_models() if model.origin == "bundled"}
    assert bundled["adain_decoder"] == "adain-decoder"
    assert sum(kind == "stylenet" for kind in bundled.values()) >= 5
