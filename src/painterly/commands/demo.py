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
    cells = [("photo", photo), ("style", style), ("optimize", result)]
    for method in ("adain", "wct"):
        output = folder / f"astronaut_{method}.png"
        cells.append((method, load(method)(photo, [style])))
        save_image(cells[-1][1], output, force=True)
        print(f"{method} (any style, one pass): {output}")
    cells += _trained_models(photo, folder)
    sheet = folder / "contact_sheet.png"
    save_image(contact_sheet(cells), sheet, force=True)
    print(f"everything on one sheet: {sheet}")
    return 0


def contact_sheet(cells: list[tuple[str, Image.Image]], *, cell: int = 192, columns: int = 6) -> Image.Image:
    """Labelled thumbnails in rows of ``columns``: the demo's results at a glance."""
    from PIL import ImageDraw

    rows = -(-len(cells) // columns)
    sheet = Image.new("RGB", (columns * cell, rows * (cell + 18)), "white")
    draw = ImageDraw.Draw(sheet)
    for index, (label, image) in enumerate(cells):
        x, y = (index % columns) * cell, (index // columns) * (cell + 18)
        thumbnail = image.copy()
        thumbnail.thumbnail((cell, cell))
        sheet.paste(thumbnail, (x + (cell - thumbnail.width) // 2, y + (cell - thumbnail.height) // 2))
        draw.text((x + 4, y + cell + 3), label[:30], fill="black")
    return sheet


def _trained_models(photo: Image.Image, folder: Path) -> list[tuple[str, Image.Image]]:
    """Each bundled trained model (each of its styles) on the sample photo: real time, so the demo shows them all."""
    from ..models import list_models

    cells = []
    for model in list_models("stylenet"):
        if model.origin != "bundled":
            continue
        stylizer = load("feedforward", model=model.name)
        for index, style in enumerate(model.styles):
            output = folder / f"astronaut_{model.name}_{index}.png"
            cells.append(
                (model.name if len(model.styles) == 1 else f"{model.name} {index}", stylizer(photo, blend=f"{index}:1"))
            )
            save_image(cells[-1][1], output, force=True)
            print(f"model {model.name} ({style}): {output}")
    return cells
