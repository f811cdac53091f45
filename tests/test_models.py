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


def test_every_bundled_model_has_a_model_card() -> None:
    """A model shipped without its card (painting, painter, licence, training data) is a defect."""
    from painterly.models import bundled_models_dir

    cards = (bundled_models_dir() / "README.md").read_text()
    missing = [model.name for model in list_models() if model.origin == "bundled" and f"`{model.name}`" not in cards]
    assert not missing, f"add model cards for {missing} to assets/models/README.md"
    assert all(model.path.stat().st_size <= 1_100_000 for model in list_models("stylenet") if model.origin == "bundled")


def test_bundled_styles_are_named_by_their_paintings() -> None:
    """People look for "The Starry Night", not ``aic__19339``: every bundled style has its painting's name."""
    for model in list_models("stylenet"):
        if model.origin != "bundled":
            continue
        for painting in model.paintings:
            assert painting["title"] != painting["style"] and painting.get("painter"), (model.name, painting)
            assert painting.get("licence"), (model.name, painting)
    by_name = {model.name: model for model in list_models("stylenet")}
    assert by_name["starry_night"].describe_styles() == "The Starry Night (Vincent van Gogh, 1889)"
    assert "Paul Gauguin" in by_name["quartet"].describe_styles()


def test_unknown_styles_keep_their_names() -> None:
    model = ModelInfo("m", Path("m.safetensors"), "user", {"styles": [{"name": "my_sketch"}]})
    assert model.paintings == [{"style": "my_sketch", "title": "my_sketch"}]
    assert model.describe_styles() == "my_sketch"
