"""``painterly`` command line: builds the parser from ``commands/``, runs one, reports errors in one line.

Each subcommand is a module in ``painterly/commands``; options of settings are generated from
the settings dataclasses, so a default or a choice is never written twice. No logic lives here.
"""

from __future__ import annotations

import argparse
import logging
import re
import sys
from collections.abc import Sequence
from typing import NoReturn

from . import __version__
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


def _build_parser() -> argparse.ArgumentParser:
    from .commands import subcommands

    parser = _Parser(prog="painterly", description="Turn photos into artworks with neural style transfer.")
    parser.add_argument("--version", action="version", version=f"painterly {__version__}")
    parser.add_argument("--debug", action="store_true", help="show tracebacks and debug logs")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    for module in subcommands():
        subparser = commands.add_parser(module.NAME, help=module.HELP)
        module.add_arguments(subparser)
        subparser.set_defaults(run=module.run)
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
        return int(options.run(options))
    except PainterlyError as error:
        if debug:
            raise
        _print_error(str(error))
        return EXIT_USAGE
    except KeyboardInterrupt as interrupt:
        _print_error(str(interrupt) or "interrupted")
        return EXIT_INTERRUPTED
    except Exception as error:  # the one place that turns a bug into a message
        if debug:
            raise
        _print_error(f"unexpected {type(error).__name__}: {error} (rerun with --debug for details)")
        return EXIT_FAILURE


def _print_error(message: str) -> None:
    first_line = " ".join(message.split())
    print(f"painterly: error: {first_line}", file=sys.stderr)
