"""Turning a method's settings dataclass into options, and text back into field values.

The CLI and the service both build their inputs from here, so every default, type and
allowed choice is written once: in the dataclass.
"""

from __future__ import annotations

import dataclasses
import inspect
import re
import types
import typing
from typing import Any, Literal

from .errors import ArgumentError

__all__ = ["SettingField", "build_settings", "parse_value", "setting_fields"]

_COMMENT = re.compile(r"^\s+(\w+):[^#]*#\s*(.+)$")


@dataclasses.dataclass(frozen=True)
class SettingField:
    """One settings field as an option: name, base type, choices, whether it is a list, help."""

    name: str
    kind: type  # int, float, str or bool; the element type for lists
    is_list: bool  # tuple[...] field: given as comma-separated values
    optional: bool  # None is allowed (means "use the default rule")
    choices: tuple[str, ...] | None  # from a Literal annotation
    default: Any
    help: str

    @property
    def flag(self) -> str:
        return "--" + self.name.replace("_", "-")


def _unwrap(annotation: Any) -> tuple[Any, bool]:
    """Strip ``X | None`` to ``X``; report whether None was allowed."""
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        members = [a for a in typing.get_args(annotation) if a is not type(None)]
        return members[0], len(members) < len(typing.get_args(annotation))
    return annotation, False


def _describe(name: str, annotation: Any) -> tuple[type, bool, bool, tuple[str, ...] | None]:
    base, optional = _unwrap(annotation)
    is_list = typing.get_origin(base) is tuple
    if is_list:
        base = typing.get_args(base)[0]
    choices = None
    if typing.get_origin(base) is Literal:
        choices = tuple(str(c) for c in typing.get_args(base))
        base = str
    if base not in (int, float, str, bool):
        raise TypeError(f"settings field {name} has unsupported type {annotation!r}")
    return base, is_list, optional, choices


def setting_fields(settings_class: type) -> list[SettingField]:
    """Every field of a settings dataclass, with its comment as help text."""
    hints = typing.get_type_hints(settings_class, include_extras=False)
    comments = {}
    for line in inspect.getsource(settings_class).splitlines():
        match = _COMMENT.match(line)
        if match:
            comments[match.group(1)] = match.group(2).strip()
    fields = []
    for field in dataclasses.fields(settings_class):
        kind, is_list, optional, choices = _describe(field.name, hints[field.name])
        fields.append(
            SettingField(field.name, kind, is_list, optional, choices, field.default, comments.get(field.name, ""))
        )
    return fields


def _parse_scalar(field: SettingField, text: str) -> Any:
    text = text.strip()
    if field.choices is not None and text not in field.choices:
        raise ArgumentError(f"{field.flag}: {text!r} is not one of {', '.join(field.choices)}", name=field.name)
    try:
        if field.kind is bool:
            if text.lower() not in ("true", "false", "1", "0", "yes", "no"):
                raise ValueError(text)
            return text.lower() in ("true", "1", "yes")
        return field.kind(text)
    except ValueError:
        raise ArgumentError(f"{field.flag}: {text!r} is not a valid {field.kind.__name__}", name=field.name) from None


def parse_value(field: SettingField, text: str) -> Any:
    """Text from a command line or a form → the field's value (lists are comma-separated)."""
    if field.optional and text.strip().lower() in ("", "none", "default"):
        return None
    if field.is_list:
        items = [item for item in text.split(",") if item.strip()]
        if not items:
            raise ArgumentError(f"{field.flag}: give one or more comma-separated values", name=field.name)
        return tuple(_parse_scalar(field, item) for item in items)
    return _parse_scalar(field, text)


def build_settings(settings_class: type, values: dict[str, Any]) -> Any:
    """Construct settings from already-parsed values; unknown names are an error, not ignored."""
    known = {field.name for field in dataclasses.fields(settings_class)}
    unknown = sorted(set(values) - known)
    if unknown:
        raise ArgumentError(f"unknown setting(s) {', '.join(unknown)}; known: {', '.join(sorted(known))}")
    return settings_class(**values)
