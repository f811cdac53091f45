"""What each CLI subcommand does, in named steps; ``cli.py`` only parses and reports errors."""

from __future__ import annotations

import argparse
import dataclasses
import json
import logging
import platform
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch
from PIL import Image

from . import __version__
from .devices import make_device
from .errors import ArgumentError
from .image_io import check_output_path, open_image, save_image
from .methods.base import ProgressCallback, ProgressEvent, get_method, list_methods

__all__ = ["run"]

logger = logging.getLogger(__name__)


def run(command: str, options: argparse.Namespace) -> int:
    handlers: dict[str, Callable[[argparse.Namespace], int]] = {
        "stylize": stylize, "info": info, "demo": demo, "train-decoder": train_decoder, "serve": serve,
        "train": train_feedforward, "export": export, "models": models,
    }  # fmt: skip
    return handlers[command](options)


def set_threads(threads: int | None) -> None:
    if threads is not None:
        if threads < 1:
            raise ArgumentError(f"--threads must be ≥ 1, got {threads}")
        torch.set_num_threads(threads)


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


def preview_path(output: Path, step: int) -> Path:
    return output.with_name(f"{output.stem}.step{step:04d}{output.suffix}")


def check_previews(output: Path, every: int, total: int, force: bool) -> None:
    """Refuse to start if any preview file we would write already exists (unless --force)."""
    for step in range(every, total + 1, every) if every else ():
        check_output_path(preview_path(output, step), force=force)


class ProgressBar:
    """tqdm bar on stderr with stage, loss and ETA; saves previews that events carry."""

    def __init__(self, *, quiet: bool, output: Path | None = None, force: bool = False) -> None:
        self.quiet, self.output, self.force = quiet, output, force
        self.bar: Any = None

    def __call__(self, event: ProgressEvent) -> None:
        if event.preview is not None and self.output is not None:
            save_image(event.preview, preview_path(self.output, event.step), force=True)
        if self.quiet:
            return
        if self.bar is None:
            from tqdm import tqdm

            # Progress in 1e-5 units of the cost-weighted work, so the ETA holds across scales and long runs.
            layout = "{desc} {percentage:3.0f}%|{bar}| {elapsed}<{remaining}{postfix}"
            self.bar = tqdm(total=100_000, bar_format=layout, file=sys.stderr, dynamic_ncols=True, leave=True)
        self.bar.set_description(event.stage, refresh=False)
        postfix = {"step": f"{event.step}/{event.total}"}
        if "total" in event.losses:
            postfix["loss"] = f"{event.losses['total']:.4g}"
        self.bar.set_postfix(postfix, refresh=event.step == event.total)
        self.bar.update(round(event.fraction * 100_000) - self.bar.n)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def stylize(options: argparse.Namespace) -> int:
    from .cli import settings_from_options

    set_threads(options.threads)
    if not 1 <= options.jpeg_quality <= 100:
        raise ArgumentError(f"--jpeg-quality must be within 1..100, got {options.jpeg_quality}")
    device = make_device(options.device)
    stylizer_class = get_method(options.method)
    if stylizer_class.needs_style_images and not options.style:
        raise ArgumentError(f"--method {options.method} needs at least one --style image")
    if options.style and not stylizer_class.needs_style_images:
        raise ArgumentError(f"--method {options.method} uses its model's styles; drop --style (see --blend)")
    settings = settings_from_options(options.method, options)
    weights = parse_style_weights(options.style_weights, len(options.style))
    output = Path(options.output)
    check_output_path(output, force=options.force)
    total = sum(settings.schedule().steps) if hasattr(settings, "schedule") else 0
    check_previews(output, getattr(settings, "save_every", 0), total, options.force)
    photo = open_image(options.content, label="photo")
    stylizer_class.check_fits(settings, *photo.size)  # before loading anything
    styles = [open_image(path, label="style image") for path in options.style]
    result = _run_with_bar(stylizer_class(settings, device=device), photo, styles, weights, options, output)
    save_image(result, output, force=options.force, jpeg_quality=options.jpeg_quality)
    print(output)
    return 0


def _run_with_bar(
    stylizer: Any, photo: Image.Image, styles: list[Image.Image], weights: list[float] | None,
    options: argparse.Namespace, output: Path | None,
) -> Image.Image:  # fmt: skip
    bar = ProgressBar(quiet=options.quiet, output=output, force=getattr(options, "force", False))
    callback: ProgressCallback = bar
    try:
        return stylizer.stylize(photo, styles, style_weights=weights, callback=callback)
    finally:
        bar.close()


def info(options: argparse.Namespace) -> int:
    from .weights import list_weights

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


def demo(options: argparse.Namespace) -> int:
    from .methods.optimize import OptimizeSettings, OptimizeStylizer
    from .samples import write_samples

    folder = Path(options.output_dir)
    photo_path, style_path = write_samples(folder)
    # Portraits want a lighter touch than the default β, which is tuned on landscapes.
    settings = OptimizeSettings(quality=options.quality, size=512, style_weight=6.0)
    photo, style = open_image(photo_path), open_image(style_path)
    result = _run_with_bar(OptimizeStylizer(settings), photo, [style], None, options, None)
    output = folder / "astronaut_stylized.png"
    save_image(result, output, force=True)  # the demo folder is ours; rerunning replaces its result
    print(f"photo:  {photo_path}\nstyle:  {style_path}\nresult: {output}")
    print(f"same from the CLI: painterly stylize {photo_path} --style {style_path} --style-weight 6 -o out.png")
    _demo_adain(photo, style, folder)
    _demo_trained_models(photo, folder)
    return 0


def _demo_adain(photo: Image.Image, style: Image.Image, folder: Path) -> None:
    """The bundled AdaIN decoder on the same pair: any style in one pass, under a second."""
    from .methods.adain import AdaINSettings, AdaINStylizer

    output = folder / "astronaut_adain.png"
    save_image(AdaINStylizer(AdaINSettings()).stylize(photo, [style]), output, force=True)
    print(f"adain (any style, one pass): {output}")


def train_decoder(options: argparse.Namespace) -> int:
    from .training import decoder

    return _train(options, decoder.DecoderTrainingConfig, decoder.train_decoder)


def _train(options: argparse.Namespace, config_class: type, train: Callable[..., Path]) -> int:
    """Shared by the training subcommands: config from options (or the saved one on --resume), bar, run."""
    from ._settings import setting_fields, settings_from_text
    from .methods.optimize import cached_encoder

    set_threads(options.threads)
    texts = {field.name: getattr(options, field.name, None) for field in setting_fields(config_class)}
    if options.resume:
        config = _resumed_config(config_class, texts)
    else:
        missing = [f.flag for f in setting_fields(config_class) if f.default is dataclasses.MISSING
                   and texts[f.name] is None]  # fmt: skip
        if missing:
            raise ArgumentError(f"{', '.join(missing)} {'is' if len(missing) == 1 else 'are'} required")
        config = settings_from_text(config_class, texts)
    bar = ProgressBar(quiet=options.quiet)
    try:
        path = train(config, cached_encoder("vgg19.caffe_q8", "max", "relu5_1"), resume=options.resume, callback=bar)
    finally:
        bar.close()
    print(path)
    return 0


def _resumed_config(config_class: type, texts: dict[str, str | None]) -> Any:
    """The saved config of the run in ``--output``: it rules, except that ``--steps`` may extend it and
    the run continues in the folder given (it may have been moved or copied since)."""
    from ._settings import parse_value, setting_fields
    from .training.checkpoint import read_config

    if texts.get("output") is None:
        raise ArgumentError("--output is required: the run folder to resume")
    folder = Path(texts["output"])  # type: ignore[arg-type]
    saved = read_config(folder, config_class)
    if texts.get("steps") is not None:
        steps_field = next(field for field in setting_fields(config_class) if field.name == "steps")
        saved = dataclasses.replace(saved, steps=parse_value(steps_field, texts["steps"]))  # type: ignore[arg-type]
    return dataclasses.replace(saved, output=str(folder))


def serve(options: argparse.Namespace) -> int:
    import uvicorn

    from ._settings import setting_fields, settings_from_text
    from .service.app import create_app
    from .service.config import ServiceConfig

    texts = {field.name: getattr(options, field.name, None) for field in setting_fields(ServiceConfig)}
    config = settings_from_text(ServiceConfig, texts)
    print(f"painterly serving on http://{config.host}:{config.port} (jobs in {config.root})", flush=True)
    uvicorn.run(create_app(config), host=config.host, port=config.port, log_level="warning")
    return 0


def _demo_trained_models(photo: Image.Image, folder: Path) -> None:
    """Each bundled trained model on the sample photo: real time, so the demo shows them all."""
    from .methods.feedforward import FeedForwardSettings, FeedForwardStylizer
    from .models import list_models

    for model in list_models("stylenet"):
        if model.origin != "bundled":
            continue
        for index, style in enumerate(model.styles):
            stylizer = FeedForwardStylizer(FeedForwardSettings(model=model.name, blend=f"{index}:1"))
            output = folder / f"astronaut_{model.name}_{index}.png"
            save_image(stylizer.stylize(photo, []), output, force=True)
            print(f"model {model.name} ({style}): {output}")


def train_feedforward(options: argparse.Namespace) -> int:
    from .training import feedforward

    return _train(options, feedforward.FeedForwardTrainingConfig, feedforward.train_feedforward)


def export(options: argparse.Namespace) -> int:
    from .methods.feedforward import load_stylenet
    from .onnx_export import export_onnx

    if Path(options.output).suffix.lower() != ".onnx":
        raise ArgumentError(f"--output should end in .onnx, got {options.output!r}")
    net, _ = load_stylenet(options.model)
    print(export_onnx(net, options.output, force=options.force))
    return 0


def models(options: argparse.Namespace) -> int:
    from .models import list_models
    from .weights import list_weights

    print("weight sets (encoders):")
    for spec in list_weights():
        print(f"  {spec.name:<18} {spec.description}")
    print("trained models:")
    found = list_models()
    for model in found:
        kind = model.metadata.get("kind", "?")
        learned = "any style (--method adain --decoder NAME)" if kind == "adain-decoder" else ", ".join(model.styles)
        steps = model.metadata.get("steps", "?")
        print(f"  {model.name:<18} {model.origin:<8} {kind:<14} styles: {learned or '-'}  ({steps} steps)")
    if not found:
        print("  none yet: train one with `painterly train` (or `painterly train-decoder`)")
    return 0
