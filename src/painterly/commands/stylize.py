"""``painterly stylize PHOTO… -s STYLE -o OUT``: one or several photos through one loaded stylizer."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from .._settings import setting_fields
from ..batch import style_label
from ..devices import make_device
from ..errors import ArgumentError, OutputError
from ..image_io import check_output_path, open_image, save_image
from ..loading import load
from ..methods.base import Stylizer, get_method
from ..provenance import capture_exif, stylizer_record
from ._options import add_setting_options, method_fields, settings_from_options
from ._progress import ProgressBar, check_previews, set_threads

NAME = "stylize"
HELP = "stylize one or more photos with style images or a trained model"
ORDER = 0


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("content", nargs="+", help="the photo(s) (JPEG, PNG, WebP, TIFF, …)")
    parser.add_argument("--style", "-s", action="append", default=[], help="a style image; repeat to mix styles")
    parser.add_argument("--style-weights", help="mixing weights, one per --style, e.g. 0.7,0.3 [equal]")
    parser.add_argument("--output", "-o", required=True,
                        help="result file (format from the extension: .png .jpg .webp), or a folder ending in / "
                             "for several photos, named {stem}_{style}.png")  # fmt: skip
    parser.add_argument("--method", "-m", default="optimize", help="stylization method [optimize]")
    parser.add_argument("--force", "-f", action="store_true", help="overwrite outputs that exist")
    parser.add_argument("--jpeg-quality", type=int, default=95, help="JPEG/WebP quality 1–100 [95]")
    parser.add_argument("--device", default="cpu", help="torch device, e.g. cpu or cuda:0 [cpu]")
    parser.add_argument("--threads", type=int, help="CPU threads for torch [torch's default]")
    parser.add_argument("--quiet", "-q", action="store_true", help="no progress bar")
    parser.add_argument("--json", action="store_true", help="print each result's provenance record as JSON")
    parser.add_argument("--strip-metadata", action="store_true",
                        help="do not copy the photo's capture metadata (date, camera) into the result")  # fmt: skip
    add_setting_options(parser, method_fields())


def parse_style_weights(text: str | None, count: int) -> list[float] | None:
    if text is None:
        return None
    try:
        weights = [float(item) for item in text.split(",") if item.strip()]
    except ValueError:
        raise ArgumentError(f"--style-weights must be comma-separated numbers, got {text!r}") from None
    if len(weights) != count:
        raise ArgumentError(f"--style-weights has {len(weights)} values for {count} --style images; give one each")
    return weights


def chosen_method(options: argparse.Namespace) -> tuple[type[Stylizer], Any, list[float] | None]:
    """The method, its settings and the style weights from the options, with the style images checked against it.

    Raises:
        ArgumentError: an unknown method, style images it cannot use or lacks, bad settings or weights.
    """
    stylizer_class = get_method(options.method)
    if stylizer_class.needs_style_images and not options.style:
        raise ArgumentError(f"--method {options.method} needs at least one --style image")
    if options.style and not stylizer_class.needs_style_images:
        raise ArgumentError(f"--method {options.method} uses its model's styles; drop --style (see --blend)")
    settings = settings_from_options(stylizer_class.Settings, options, owner=options.method, others=method_fields())
    return stylizer_class, settings, parse_style_weights(options.style_weights, len(options.style))


def plan_outputs(options: argparse.Namespace, settings: Any) -> list[Path]:
    """One output path per photo, all checked before any work: a file for one photo, names in a folder for many."""
    target = Path(options.output)
    to_folder = options.output.endswith(("/", "\\")) or target.is_dir()
    if len(options.content) > 1 and not to_folder:
        raise OutputError(
            f"{len(options.content)} photos need an output folder: -o {options.output}/", path=str(target)
        )
    if not to_folder:
        outputs = [target]
    else:
        if not target.is_dir():
            raise OutputError(f"output folder does not exist: {target}", path=str(target))
        label = style_label(options.style, {"model": getattr(settings, "model", "")}, options.method)
        outputs = [target / f"{Path(photo).stem}_{label}.png" for photo in options.content]
        if len(set(outputs)) < len(outputs):
            raise OutputError("two photos share a file name stem; stylize them into separate folders")
    for output in outputs:
        check_output_path(output, force=options.force)
    return outputs


def run(options: argparse.Namespace) -> int:
    set_threads(options.threads)
    if not 1 <= options.jpeg_quality <= 100:
        raise ArgumentError(f"--jpeg-quality must be within 1..100, got {options.jpeg_quality}")
    device = make_device(options.device)
    stylizer_class, settings, weights = chosen_method(options)
    outputs = plan_outputs(options, settings)
    fields = setting_fields(stylizer_class.Settings)
    every = next((getattr(settings, f.name) for f in fields if f.role == "preview"), 0)
    for output in outputs:
        check_previews(output, every, stylizer_class.total_steps(settings), options.force)
    first = open_image(options.content[0], label="photo")
    stylizer_class.check_fits(settings, *first.size)  # before loading anything
    styles = [open_image(path, label="style image") for path in options.style]
    stylizer = load(options.method, device=device, **{f.name: getattr(settings, f.name) for f in fields})
    prepared = stylizer.prepare_styles(styles, weights)
    for index, (photo_path, output) in enumerate(zip(options.content, outputs)):
        photo = first if index == 0 else open_image(photo_path, label="photo")
        stylizer_class.check_fits(settings, *photo.size)
        with ProgressBar(quiet=options.quiet, output=output, force=options.force) as bar:
            result = stylizer(photo, prepared, callback=bar)
        _save(result, output, stylizer, options, photo_path, weights)
    return 0


def _save(result: Any, output: Path, stylizer: Stylizer, options: argparse.Namespace, photo: str,
          weights: list[float] | None) -> None:  # fmt: skip
    provenance = stylizer_record(stylizer, photo=photo, styles=options.style, style_weights=weights)
    exif = None if options.strip_metadata else capture_exif(photo)
    save_image(result, output, force=options.force, jpeg_quality=options.jpeg_quality,
               provenance=provenance, exif=exif)  # fmt: skip
    print(json.dumps({"output": str(output), **provenance}) if options.json else output)


__all__ = ["HELP", "NAME", "add_arguments", "chosen_method", "parse_style_weights", "plan_outputs", "run"]
