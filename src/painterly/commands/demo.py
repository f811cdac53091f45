"""``painterly demo``: the bundled sample photo by every method and every bundled trained model."""

from __future__ import annotations

import argparse
from pathlib import Path

from PIL import Image

from ..image_io import open_image, save_image
from ..loading import load
from ._progress import ProgressBar

NAME = "demo"
HELP = "stylize the bundled sample photo by every method and bundled model"
ORDER = 80


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--output-dir", "-o", default="demo-output", help="folder for inputs and results [demo-output]")
    parser.add_argument("--quality", default="normal", help="optimization preset [normal]")
    parser.add_argument("--quiet", "-q", action="store_true", help="no progress bar")


def run(options: argparse.Namespace) -> int:
    from ..samples import write_samples

    folder = Path(options.output_dir)
    photo_path, style_path = write_samples(folder)
    photo, style = open_image(photo_path), open_image(style_path)
    # Portraits want a lighter touch than the default β, which is tuned on landscapes.
    optimize = load("optimize", quality=options.quality, size=512, style_weight=6.0)
    with ProgressBar(quiet=options.quiet) as bar:
        result = optimize(photo, [style], callback=bar)
    output = folder / "astronaut_stylized.png"
    save_image(result, output, force=True)  # the demo folder is ours; rerunning replaces its results
    print(f"photo:  {photo_path}\nstyle:  {style_path}\nresult: {output}")
    print(f"same from the CLI: painterly stylize {photo_path} --style {style_path} --style-weight 6 -o out.png")
    for method in ("adain", "wct"):
        output = folder / f"astronaut_{method}.png"
        save_image(load(method)(photo, [style]), output, force=True)
        print(f"{method} (any style, one pass): {output}")
    _trained_models(photo, folder)
    return 0


def _trained_models(photo: Image.Image, folder: Path) -> None:
    """Each bundled trained model on the sample photo: real time, so the demo shows them all."""
    from ..models import list_models

    for model in list_models("stylenet"):
        if model.origin != "bundled":
            continue
        stylizer = load("feedforward", model=model.name)
        for index, style in enumerate(model.styles):
            output = folder / f"astronaut_{model.name}_{index}.png"
            save_image(stylizer(photo, blend=f"{index}:1"), output, force=True)
            print(f"model {model.name} ({style}): {output}")
