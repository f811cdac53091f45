"""The README's picture grid: two photos, each method on three well-known paintings.

Rows are scikit-image's ``astronaut`` and ``chelsea`` (shipped by that dependency, public domain / CC0);
columns are the photo, then for each painting (The Starry Night, The Scream, The Great Wave, from
../shared/data) the optimize method, adain and the bundled feed-forward model of that painting. The
paintings themselves are not shown (only what painterly made from them), so the image can live in the
repository. Labels say the method and the seconds each result took on this machine.

Run: ``.venv/bin/python bench/readme_grid.py``; writes docs/images/grid.jpg.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from PIL import Image, ImageDraw

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import REPO, machine_line, require_shared_data

import painterly

SIZE = 384
CELL = 256
PAINTINGS = (  # (label, file in ../shared/data, bundled model)
    ("The Starry Night", "classic/starry_night.jpg", "starry_night"),
    ("The Scream", "classic/the_scream.jpg", "the_scream"),
    ("The Great Wave", "styles/train/hokusai__nami.jpg", "hokusai_wave"),
)
METHODS = ("optimize", "adain", "feedforward")


def main() -> int:
    from skimage import data as skimage_data

    shared = require_shared_data()
    photos = [("astronaut", Image.fromarray(skimage_data.astronaut())),
              ("chelsea", Image.fromarray(skimage_data.chelsea()))]  # fmt: skip
    header = 40
    columns = 1 + len(PAINTINGS) * len(METHODS)
    sheet = Image.new("RGB", (columns * CELL, header + len(photos) * (CELL + 18)), "white")
    draw = ImageDraw.Draw(sheet)
    for index, (title, _, _) in enumerate(PAINTINGS):
        draw.text((CELL * (1 + index * len(METHODS)) + 6, 6), title, fill="black")
    for row, (name, photo) in enumerate(photos):
        top = header + row * (CELL + 18)
        sheet.paste(_fit(photo), (0, top))
        draw.text((6, top + CELL + 3), f"photo ({name})", fill="black")
        for index, (title, path, model) in enumerate(PAINTINGS):
            for offset, method in enumerate(METHODS):
                started = time.perf_counter()
                if method == "feedforward":
                    result = painterly.stylize(photo, method=method, model=model, size=SIZE)
                else:
                    result = painterly.stylize(photo, shared / path, method=method, size=SIZE)
                seconds = time.perf_counter() - started
                left = CELL * (1 + index * len(METHODS) + offset)
                sheet.paste(_fit(result), (left, top))
                draw.text((left + 6, top + CELL + 3), f"{method}, {seconds:.1f} s", fill="black")
                print(name, title, method, f"{seconds:.1f} s", flush=True)
    target = REPO / "docs" / "images" / "grid.jpg"
    target.parent.mkdir(parents=True, exist_ok=True)
    sheet.save(target, quality=85)
    print(f"{target} ({machine_line()})")
    return 0


def _fit(image: Image.Image) -> Image.Image:
    """Centre-cropped to a square cell."""
    side = min(image.size)
    left, top = (image.width - side) // 2, (image.height - side) // 2
    square = image.convert("RGB").crop((left, top, left + side, top + side))
    return square.resize((CELL, CELL), Image.Resampling.LANCZOS)


if __name__ == "__main__":
    sys.exit(main())
