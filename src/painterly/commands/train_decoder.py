"""``painterly train-decoder``: the decoder of adain (or wct) (resumable; see docs/adain-training.md)."""

from __future__ import annotations

import argparse

from ._training import add_training_arguments, run_training

NAME = "train-decoder"
HELP = "train the decoder of adain or wct (resumable; see docs/adain-training.md)"
ORDER = 41


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_training_arguments(parser, NAME, "decoder")


def run(options: argparse.Namespace) -> int:
    return run_training(options, "decoder")
