"""Store each bundled feed-forward model's painting palettes in its file, for ``style_colors``.

Models trained since painterly records palettes carry them already (``training/feedforward.py``);
this adds them to older model files from the paintings in ``../shared/data`` (each at the size the
model took its Grams at), and sets a model's default with ``--on NAME`` / ``--off NAME``, or per style
of a multi-style model with ``--on NAME#INDEX`` (the others off). The weights are rewritten unchanged.

    .venv/bin/python bench/model_palettes.py [--on arlesiennes quartet#3] [--off NAME]
"""

from __future__ import annotations

import argparse
from pathlib import Path

from _common import require_shared_data

from painterly.image_io import image_to_tensor, load_image, resize_long_side
from painterly.methods.feedforward import load_stylenet, pulled_styles
from painterly.model_files import save_model
from painterly.models import bundled_models_dir, list_models
from painterly.training.feedforward import palette_record


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--on", nargs="*", default=[], help="models whose results take the palette by default")
    parser.add_argument("--off", nargs="*", default=[], help="models whose results keep the network's colours")
    args = parser.parse_args()
    data = require_shared_data()
    for model in list_models("stylenet"):
        path = bundled_models_dir() / f"{model.name}.safetensors"
        if not path.is_file():
            continue
        net, metadata = load_stylenet(str(path))
        size = int(metadata.get("style_size", 512))
        if "palettes" not in metadata:
            paintings = [resize_long_side(load_image(data / style["file"]), size) for style in metadata["styles"]]
            metadata["palettes"] = [palette_record(image_to_tensor(painting)) for painting in paintings]
        if model.name in args.on + args.off:
            metadata["style_colors"] = model.name in args.on
        indices = {int(spec.split("#")[1]) for spec in args.on if spec.startswith(f"{model.name}#")}
        if indices:
            metadata["style_colors"] = [index in indices for index in range(len(metadata["styles"]))]
        save_model(Path(path), net, metadata)
        print(f"{model.name}: {len(metadata['palettes'])} palette(s), style colours on: {pulled_styles(metadata)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
