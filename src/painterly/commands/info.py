"""``painterly info``: versions, weights, methods and threads, as JSON."""

from __future__ import annotations

import argparse
import json
import platform

import torch

from .. import __version__
from ..methods.base import get_method, list_methods

NAME = "info"
HELP = "versions, weights, methods and threads"
ORDER = 90


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """No options."""


def run(options: argparse.Namespace) -> int:
    from ..weights import list_weights

    report = {
        "painterly": __version__,
        "python": platform.python_version(),
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
        "cuda_available": torch.cuda.is_available(),
        "methods": {name: get_method(name).summary for name in list_methods()},
        "weights": {spec.name: spec.description for spec in list_weights()},
    }
    print(json.dumps(report, indent=2))
    return 0
