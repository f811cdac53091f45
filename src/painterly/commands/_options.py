"""Settings dataclasses as command-line options, and the options back as settings: one way for every subcommand."""

from __future__ import annotations

import argparse
import dataclasses
from typing import Any

from .._settings import SettingField, setting_fields, settings_from_text
from ..errors import ArgumentError

__all__ = ["add_setting_options", "method_fields", "settings_from_options"]


def method_fields() -> dict[str, list[SettingField]]:
    from ..methods import get_method, list_methods

    return {name: setting_fields(get_method(name).Settings) for name in list_methods()}


def _default_text(value: Any) -> str:
    if value is dataclasses.MISSING:
        return "required"
    if isinstance(value, tuple):
        return ",".join(map(str, value))
    return "auto" if value is None else str(value)


def add_setting_options(parser: argparse.ArgumentParser, fields_by_owner: dict[str, list[SettingField]]) -> None:
    """One option per field (shared fields once, with each owner's default where they differ)."""
    group = parser.add_argument_group("settings (defaults in brackets)")
    defaults: dict[str, dict[str, str]] = {}
    for owner, fields in fields_by_owner.items():
        for field in fields:
            defaults.setdefault(field.name, {})[owner] = _default_text(field.default)
    seen: set[str] = set()
    for field in (field for fields in fields_by_owner.values() for field in fields):
        if field.name in seen:
            continue
        seen.add(field.name)
        metavar = "{" + ",".join(field.choices) + "}" if field.choices else field.kind.__name__.upper()
        by_owner = defaults[field.name]
        shown = next(iter(by_owner.values())) if len(set(by_owner.values())) == 1 else \
            ", ".join(f"{owner}: {value}" for owner, value in by_owner.items())  # fmt: skip
        loaded = " (chosen when loading)" if field.stage == "load" and len(fields_by_owner) > 1 else ""
        text = f"{field.help}{loaded} [{shown}]"
        metavar += ",…" if field.is_list else ""
        if field.name == "preserve_color":  # bare --preserve-color means the paper's preferred mode
            group.add_argument(field.flag, dest=field.name, nargs="?", const="luminance", metavar=metavar, help=text)
        else:
            group.add_argument(field.flag, dest=field.name, metavar=metavar, help=text)


def settings_from_options(settings_class: type, options: argparse.Namespace, *, owner: str = "",
                          others: dict[str, list[SettingField]] | None = None) -> Any:  # fmt: skip
    """Settings of ``settings_class`` from the options given; options that belong only to ``others`` are refused."""
    own = {field.name for field in setting_fields(settings_class)}
    for other, fields in (others or {}).items():
        for field in fields:
            if field.name not in own and getattr(options, field.name, None) is not None:
                raise ArgumentError(f"{field.flag} does not apply to --method {owner} (it is for {other})")
    return settings_from_text(settings_class, {name: getattr(options, name, None) for name in own})
