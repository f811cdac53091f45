"""``painterly export MODEL -o model.onnx``: a trained style model as ONNX (dynamic size and batch)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..errors import ArgumentError

NAME = "export"
HELP = "export a trained style model to ONNX"
ORDER = 50


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("model", help="model name (painterly models) or file")
    parser.add_argument("--output", "-o", required=True, help="the .onnx file to write")
    parser.add_argument("--force", "-f", action="store_true", help="overwrite the output if it exists")


def run(options: argparse.Namespace) -> int:
    from ..methods.feedforward import load_stylenet, pulled_styles
    from ..onnx_export import export_onnx

    if Path(options.output).suffix.lower() != ".onnx":
        raise ArgumentError(f"--output should end in .onnx, got {options.output!r}")
    net, metadata = load_stylenet(options.model)
    print(export_onnx(net, options.output, force=options.force, margin=int(metadata.get("margin", 0))))
    if any(pulled_styles(metadata)):
        print(
            f"note: painterly recolours {options.model}'s results to its painting's RGB mean and covariance after "
            "the network (style_colors); the ONNX graph is the network alone (the palettes are in the model's "
            "metadata)",
            file=sys.stderr,
        )
    return 0
