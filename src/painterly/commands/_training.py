"""What the training subcommands share: options from the config's fields, resume, threads, the bar."""

from __future__ import annotations

import argparse
import dataclasses
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .._settings import parse_value, setting_fields, settings_from_text
from ..errors import ArgumentError
from ..training.distributed import is_main_process, leave
from ._options import add_setting_options
from ._progress import ProgressBar, set_threads

__all__ = ["add_training_arguments", "run_training"]


def _trainer(kind: str) -> tuple[type, Callable[..., Path]]:
    """The config class and training function of ``feedforward`` or ``decoder`` training."""
    if kind == "decoder":
        from ..training import decoder

        return decoder.DecoderTrainingConfig, decoder.train_decoder
    from ..training import feedforward

    return feedforward.FeedForwardTrainingConfig, feedforward.train_feedforward


def add_training_arguments(parser: argparse.ArgumentParser, name: str, kind: str) -> None:
    """The config's fields as options, plus resume, threads and quiet."""
    config_class, _ = _trainer(kind)
    parser.add_argument("--resume", action="store_true", help="continue the run in --output from its checkpoint")
    parser.add_argument("--threads", type=int, help="CPU threads for torch [torch's default]")
    parser.add_argument("--quiet", "-q", action="store_true", help="no progress bar")
    add_setting_options(parser, {name: setting_fields(config_class)})


def run_training(options: argparse.Namespace, kind: str) -> int:
    """Config from options (or the saved one on --resume), a progress bar, the run."""
    from ..encoders import get_encoder

    config_class, train = _trainer(kind)
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
    main = is_main_process()  # under torchrun only rank 0 shows progress and prints
    try:
        with ProgressBar(quiet=options.quiet or not main) as bar:
            path = train(config, get_encoder("vgg19.caffe_q8", "max", "relu5_1"), resume=options.resume,
                         callback=bar)  # fmt: skip
    except BaseException:
        leave(together=False)
        raise
    leave()
    if main:
        print(path)
    return 0


def _resumed_config(config_class: type, texts: dict[str, str | None]) -> Any:
    """The saved config of the run in ``--output``: it rules, except that ``--steps`` may extend it and
    the run continues in the folder given (it may have been moved or copied since)."""
    from ..training.checkpoint import read_config

    if texts.get("output") is None:
        raise ArgumentError("--output is required: the run folder to resume")
    folder = Path(texts["output"])  # type: ignore[arg-type]
    saved = read_config(folder, config_class)
    if texts.get("steps") is not None:
        steps_field = next(field for field in setting_fields(config_class) if field.name == "steps")
        saved = dataclasses.replace(saved, steps=parse_value(steps_field, texts["steps"]))  # type: ignore[arg-type]
    return dataclasses.replace(saved, output=str(folder))
