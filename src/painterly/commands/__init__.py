"""The CLI's subcommands, one module each: ``NAME``, ``HELP``, ``add_arguments(parser)`` and ``run(options)``.

``cli.py`` finds them here (every public module is a subcommand), builds the parser and
reports errors; the modules do the work through the library and never import ``cli``.
"""

from __future__ import annotations

import importlib
import pkgutil
from types import ModuleType

__all__ = ["subcommands"]


def subcommands() -> list[ModuleType]:
    """Every subcommand module, in the order of their ``ORDER`` (then name)."""
    modules = [importlib.import_module(f"{__name__}.{info.name}") for info in pkgutil.iter_modules(__path__)
               if not info.name.startswith("_")]  # fmt: skip
    return sorted(modules, key=lambda module: (getattr(module, "ORDER", 50), module.NAME))
