"""``painterly`` command line: parses, forwards to the library, reports errors in one line.

Options of ``stylize`` are generated from every registered method's settings dataclass,
so a default or a choice is never written twice. No stylization logic lives here.
"""

from __future__ import annotations

import argparse
import dataclasses
import logging
import re
import sys
from collections.abc import Sequence
from typing import Any, NoReturn

from . import __version__
from ._settings import SettingField, build_settings, parse_value, setting_fields
from .errors import ArgumentError, PainterlyError

__all__ = ["EXIT_FAILURE", "EXIT_INTERRUPTED", "EXIT_OK", "EXIT_USAGE", "main"]

logger = logging.getLogger(__name__)

EXIT_OK = 0
EXIT_FAILURE = 1  # a bug or an unforeseen failure: rerun with --debug
EXIT_USAGE = 2  # bad input, as argparse uses it
EXIT_INTERRUPTED = 130  # Ctrl-C, as shells report SIGINT


class _Parser(argparse.ArgumentParser):
    """argparse that raises instead of printing usage, so every error is one line."""

    def error(self, message: str) -> NoReturn:
        raise ArgumentError(message)


def _method_fields() -> dict[str, list[SettingField]]:
    from .methods import get_method, list_methods

    return {name: setting_fields(get_method(name).Settings) for name in list_methods()}


def _add_setting_options(parser: argparse.ArgumentParser, fields_by_method: dict[str, list[SettingField]]) -> None:
    group = parser.add_argument_group("settings (defaults in brackets)")
    defaults: dict[str, dict[str, str]] = {}
    for method, fields in fields_by_method.items():
        for field in fields:
            required = field.default is dataclasses.MISSING
            defaults.setdefault(field.name, {})[method] = "required" if required else _default_text(field.default)
    seen: set[str] = set()
    for fields in fields_by_method.values():
        for field in fields:
            if field.name in seen:
                continue
            seen.add(field.name)
            metavar = "{" + ",".join(field.choices) + "}" if field.choices else field.kind.__name__.upper()
            by_method = defaults[field.name]
            # A setting several methods share may default differently in each: say so.
            shown = next(iter(by_method.values())) if len(set(by_method.values())) == 1 else \
                ", ".join(f"{method}: {value}" for method, value in by_method.items())  # fmt: skip
            text = f"{field.help} [{shown}]"
            if field.is_list:
                metavar += ",…"
            if field.name == "preserve_color":  # bare --preserve-color means the paper's preferred mode
                group.add_argument(
                    field.flag, dest=field.name, nargs="?", const="luminance", metavar=metavar, help=text
                )
            else:
                group.add_argument(field.flag, dest=field.name, metavar=metavar, help=text)


def _feedforward_fields() -> list[SettingField]:
    from .training.feedforward import FeedForwardTrainingConfig

    return setting_fields(FeedForwardTrainingConfig)


def _service_fields() -> list[SettingField]:
    from .service.config import ServiceConfig

    return setting_fields(ServiceConfig)


def _training_fields() -> list[SettingField]:
    from .training.decoder import DecoderTrainingConfig

    return setting_fields(DecoderTrainingConfig)


def _default_text(value: Any) -> str:
    if isinstance(value, tuple):
        return ",".join(map(str, value))
    return "auto" if value is None else str(value)


def _add_training_command(commands: Any, name: str, text: str, fields: list[SettingField]) -> None:
    """A training subcommand: its config's fields as options, plus resume, threads and quiet."""
    train = commands.add_parser(name, help=text)
    train.add_argument("--resume", action="store_true", help="continue the run in --output from its checkpoint")
    train.add_argument("--threads", type=int, help="CPU threads for torch [torch's default]")
    train.add_argument("--quiet", "-q", action="store_true", help="no progress bar")
    _add_setting_options(train, {name: fields})


def _build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="painterly", description="Turn photos into artworks with neural style transfer.")
    parser.add_argument("--version", action="version", version=f"painterly {__version__}")
    parser.add_argument("--debug", action="store_true", help="show tracebacks and debug logs")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    stylize = commands.add_parser("stylize", help="stylize a photo with one or more style images")
    stylize.add_argument("content", help="the photo (JPEG, PNG, WebP, TIFF, …)")
    stylize.add_argument("--style", "-s", action="append", default=[], help="a style image; repeat to mix styles")
    stylize.add_argument("--style-weights", help="mixing weights, one per --style, e.g. 0.7,0.3 [equal]")
    stylize.add_argument(
        "--output", "-o", required=True, help="result file; format from the extension (.png .jpg .webp)"
    )
    stylize.add_argument("--method", "-m", default="optimize", help="stylization method [optimize]")
    stylize.add_argument("--force", "-f", action="store_true", help="overwrite the output if it exists")
    stylize.add_argument("--jpeg-quality", type=int, default=95, help="JPEG/WebP quality 1–100 [95]")
    stylize.add_argument("--device", default="cpu", help="torch device, e.g. cpu or cuda:0 [cpu]")
    stylize.add_argument("--threads", type=int, help="CPU threads for torch [torch's default]")
    stylize.add_argument("--quiet", "-q", action="store_true", help="no progress bar")
    _add_setting_options(stylize, _method_fields())

    _add_training_command(commands, "train-decoder", "train the AdaIN decoder (resumable; see docs/adain-training.md)",
                          _training_fields())  # fmt: skip

    serve = commands.add_parser("serve", help="start the web app and REST API (default http://127.0.0.1:8000)")
    _add_setting_options(serve, {"serve": _service_fields()})

    _add_training_command(commands, "train", "train a feed-forward style model (one or several styles; resumable)",
                          _feedforward_fields())  # fmt: skip

    export = commands.add_parser("export", help="export a trained style model to ONNX")
    export.add_argument("model", help="model name (painterly models) or file")
    export.add_argument("--output", "-o", required=True, help="the .onnx file to write")
    export.add_argument("--force", "-f", action="store_true", help="overwrite the output if it exists")

    commands.add_parser("models", help="list weight sets and trained models (bundled and yours)")
    commands.add_parser("info", help="versions, weights, methods and threads")
    demo = commands.add_parser("demo", help="stylize the bundled sample photo with the bundled sample style")
    demo.add_argument("--output-dir", "-o", default="demo-output", help="folder for inputs and result [demo-output]")
    demo.add_argument("--quality", default="normal", help="optimization preset [normal]")
    demo.add_argument("--quiet", "-q", action="store_true", help="no progress bar")
    return parser


_NEGATIVE_VALUE = re.compile(r"^-[\d.]")


def _join_negative_values(arguments: list[str]) -> list[str]:
    """``--style-weights -1,2`` → ``--style-weights=-1,2``: argparse would take ``-1,2`` for an option
    and answer "expected one argument"; joined, the value reaches our own check, which says what is wrong."""
    joined: list[str] = []
    for argument in arguments:
        if joined and _NEGATIVE_VALUE.match(argument) and joined[-1].startswith("--") and "=" not in joined[-1]:
            joined[-1] = f"{joined[-1]}={argument}"
        else:
            joined.append(argument)
    return joined


class _LevelFormatter(logging.Formatter):
    """``painterly: warning: …``, like our error lines."""

    def format(self, record: logging.LogRecord) -> str:
        record.levelname_lower = record.levelname.lower()
        return super().format(record)


def _configure_logging(debug: bool) -> None:
    handler = logging.StreamHandler()
    layout = "painterly: %(levelname_lower)s: %(message)s" + (" (%(name)s)" if debug else "")
    handler.setFormatter(_LevelFormatter(layout))
    logging.basicConfig(level=logging.DEBUG if debug else logging.WARNING, handlers=[handler], force=True)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code (``EXIT_USAGE`` for any bad input)."""
    arguments = _join_negative_values(list(sys.argv[1:] if argv is None else argv))
    debug = "--debug" in arguments
    _configure_logging(debug)
    try:
        options = _build_parser().parse_args(arguments)
        from . import _commands

        return _commands.run(options.command, options)
    except PainterlyError as error:
        if debug:
            raise
        _print_error(str(error))
        return EXIT_USAGE
    except KeyboardInterrupt:
        _print_error("interrupted")
        return EXIT_INTERRUPTED
    except Exception as error:  # the one place that turns a bug into a message
        if debug:
            raise
        _print_error(f"unexpected {type(error).__name__}: {error} (rerun with --debug for details)")
        return EXIT_FAILURE


def _print_error(message: str) -> None:
    first_line = " ".join(message.split())
    print(f"painterly: error: {first_line}", file=sys.stderr)


def settings_from_options(method: str, options: argparse.Namespace) -> Any:
    """Settings of ``method`` from the options the user gave; options of other methods are refused."""
    from .methods import get_method

    settings_class = get_method(method).Settings
    own = {field.name: field for field in setting_fields(settings_class)}
    given: dict[str, Any] = {}
    for method_name, fields in _method_fields().items():
        for field in fields:
            text = getattr(options, field.name, None)
            if text is None:
                continue
            if field.name not in own:
                raise ArgumentError(f"{field.flag} does not apply to --method {method} (it is for {method_name})")
            given[field.name] = parse_value(own[field.name], text)
    return build_settings(settings_class, given)
