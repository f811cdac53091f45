"""``painterly train``: a feed-forward style model, one or several styles, resumable."""

from __future__ import annotations

import argparse

from ._training import add_training_arguments, run_training

NAME = "train"
HELP = "train a feed-forward style model (one or several styles; resumable)"
ORDER = 40


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_training_arguments(parser, NAME, "feedforward")


def run(options: argparse.Namespace) -> int:
    return run_training(options, "feedforward")
