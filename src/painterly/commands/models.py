"""``painterly models``: weight sets and trained models, bundled and the user's own."""

from __future__ import annotations

import argparse

NAME = "models"
HELP = "list weight sets and trained models (bundled and yours)"
ORDER = 60


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """No options."""


def run(options: argparse.Namespace) -> int:
    from ..models import list_models
    from ..weights import list_weights

    print("weight sets (encoders):")
    for spec in list_weights():
        print(f"  {spec.name:<18} {spec.description}")
    print("trained models:")
    found = list_models()
    for model in found:
        kind = model.metadata.get("kind", "?")
        learned = "any style (--method adain --decoder NAME)" if kind == "adain-decoder" else model.describe_styles()
        steps = model.metadata.get("steps", "?")
        print(f"  {model.name:<18} {model.origin:<8} {kind:<14} styles: {learned or '-'}  ({steps} steps)")
    if not found:
        print("  none yet: train one with `painterly train` (or `painterly train-decoder`)")
    return 0
