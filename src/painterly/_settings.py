"""Turning a method's settings dataclass into options, and text or JSON back into field values.

The CLI and the service both build their inputs from here, so every default, type and
allowed choice is written once: in the dataclass. A field may also carry a *role* in its
metadata (``role(...)``): a file path, a model name, an output size, a preview interval.
Generic layers act on roles by rule — the service refuses every path a web client sends and
bounds every size — and never test a method's field by its name.
"""

from __future__ import annotations

import ast
import dataclasses
import inspect
import io
import textwrap
import threading
import tokenize
import types
import typing
from typing import Any, Literal

from .errors import ArgumentError

__all__ = [
    "Role",
    "SettingField",
    "build_settings",
    "coerce_value",
    "parse_value",
    "role",
    "setting_fields",
    "settings_from_text",
]

Role = Literal["path", "model", "weights", "size", "preview"]
# path:    a file on the machine that runs the method (an init image, a mask)
# model:   a trained model by name, or a model file path (``kind`` says which kind of model)
# weights: an encoder weight set by registry name, or a state-dict path
# size:    the long side of the result in pixels
# preview: steps between intermediate results


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
    role: Role | None = None  # what the value stands for, so generic layers can act by rule
    stage: Literal["load", "call"] = "call"  # load: chosen when the stylizer is loaded; call: per call
    safe_values: tuple[str, ...] = ()  # values of a path/model/weights field that name no file
    model_kind: str | None = None  # for role "model": the kind of model file it names

    @property
    def flag(self) -> str:
        return "--" + self.name.replace("_", "-")


def role(
    default: Any,
    kind: Role | None = None,
    *,
    stage: Literal["load", "call"] = "call",
    safe_values: tuple[str, ...] = (),
    model_kind: str | None = None,
) -> Any:
    """A dataclass field with ``default`` whose metadata says what it stands for and when it is used.

    ``stage="load"`` marks what a stylizer loads (weights, a model, the precision): changing it
    means loading again, so it is a load-time setting, never a per-call option.

    Example:
        >>> mask: str | None = role(None, "path")  # doctest: +SKIP
        >>> model: str = role("", "model", stage="load", model_kind="stylenet")  # doctest: +SKIP
    """
    metadata = {"role": kind, "stage": stage, "safe_values": safe_values, "model_kind": model_kind}
    return dataclasses.field(default=default, metadata=metadata)


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


def _field_comments(settings_class: type) -> dict[str, str]:
    """Each field's trailing comment (on any line of its definition), inherited fields' included."""
    comments: dict[str, str] = {}
    for klass in reversed(settings_class.__mro__):
        if dataclasses.is_dataclass(klass):
            comments.update(_own_comments(klass))
    return comments


def _own_comments(settings_class: type) -> dict[str, str]:
    """The comments of the fields a class itself defines, read with the tokenizer."""
    source = textwrap.dedent(inspect.getsource(settings_class))
    definition = ast.parse(source).body[0]
    assert isinstance(definition, ast.ClassDef)
    spans = {  # the class's own statements only: a nested class's fields are its own
        node.target.id: (node.lineno, node.end_lineno or node.lineno)
        for node in definition.body
        if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name)
    }
    comments: dict[str, str] = {}
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type != tokenize.COMMENT:
            continue
        for name, (first, last) in spans.items():
            if first <= token.start[0] <= last and name not in comments:
                comments[name] = token.string.lstrip("#").strip()
    return comments


_FIELDS: dict[type, tuple[SettingField, ...]] = {}
_FIELDS_LOCK = threading.Lock()


def setting_fields(settings_class: type) -> list[SettingField]:
    """Every field of a settings dataclass, with its comment as help text and its role.

    Read once per class and cached: reading parses the class's source, which is slow to repeat on
    every call and not safe to run in several threads at once (CPython 3.11's parser).
    """
    with _FIELDS_LOCK:
        if settings_class not in _FIELDS:
            _FIELDS[settings_class] = tuple(_read_fields(settings_class))
        return list(_FIELDS[settings_class])


def _read_fields(settings_class: type) -> list[SettingField]:
    hints = typing.get_type_hints(settings_class, include_extras=False)
    comments = _field_comments(settings_class)
    fields = []
    for field in dataclasses.fields(settings_class):
        kind, is_list, optional, choices = _describe(field.name, hints[field.name])
        meta = field.metadata
        fields.append(
            SettingField(
                field.name, kind, is_list, optional, choices, field.default, comments.get(field.name, ""),
                meta.get("role"), meta.get("stage", "call"), tuple(meta.get("safe_values", ())), meta.get("model_kind"),
            )
        )  # fmt: skip
    return fields


def _parse_scalar(field: SettingField, text: str, *, label: str | None = None) -> Any:
    label = label or field.flag
    text = text.strip()
    if field.choices is not None and text not in field.choices:
        raise ArgumentError(f"{label}: {text!r} is not one of {', '.join(field.choices)}", name=field.name)
    try:
        if field.kind is bool:
            if text.lower() not in ("true", "false", "1", "0", "yes", "no"):
                raise ValueError(text)
            return text.lower() in ("true", "1", "yes")
        return field.kind(text)
    except ValueError:
        raise ArgumentError(f"{label}: {text!r} is not a valid {field.kind.__name__}", name=field.name) from None


def parse_value(field: SettingField, text: str, *, label: str | None = None) -> Any:
    """Text from a command line or a form → the field's value (lists are comma-separated).

    ``label`` names the value in messages: the CLI flag by default, the field name for the API.
    """
    if _means_none(field, text):
        return None
    if field.is_list:
        items = [item for item in text.split(",") if item.strip()]
        if not items:
            raise ArgumentError(f"{label or field.flag}: give one or more comma-separated values", name=field.name)
        return tuple(_parse_scalar(field, item, label=label) for item in items)
    return _parse_scalar(field, text, label=label)


def _means_none(field: SettingField, text: str) -> bool:
    """Empty, "none" or "default" for an optional field; also "original" for a size (the photo's own)."""
    words = ("", "none", "default", "original") if field.role == "size" else ("", "none", "default")
    return field.optional and text.strip().lower() in words


_KIND_NAMES = {int: "an integer", float: "a number", str: "a string", bool: "true or false"}


def _coerce_scalar(field: SettingField, value: Any) -> Any:
    if isinstance(value, str) and field.kind is not str:
        return _parse_scalar(field, value, label=field.name)
    if field.kind is float and isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    if field.kind is int and isinstance(value, float) and value.is_integer():
        return int(value)
    if type(value) is not field.kind:  # bool is an int subclass: True is not a size
        raise ArgumentError(f"{field.name}: expected {_KIND_NAMES[field.kind]}, got {value!r}", name=field.name)
    if field.choices is not None and value not in field.choices:
        raise ArgumentError(f"{field.name}: {value!r} is not one of {', '.join(field.choices)}", name=field.name)
    return value


def coerce_value(field: SettingField, value: Any) -> Any:
    """A Python or JSON value → the field's value, with one-line errors that name the field.

    Lists fields take a list or tuple, or a comma-separated string (never read letter by
    letter); scalar fields refuse lists and objects; numbers given as strings are parsed.

    Raises:
        ArgumentError: the value does not fit the field (``name`` is the field's name).
    """
    if value is None:
        if field.optional:
            return None
        raise ArgumentError(f"{field.name}: a value is required (null is not allowed)", name=field.name)
    if field.is_list:
        if isinstance(value, str):
            return parse_value(field, value, label=field.name)
        if not isinstance(value, (list, tuple)) or not value:
            raise ArgumentError(f"{field.name}: expected a list of {field.kind.__name__}s", name=field.name)
        return tuple(_coerce_scalar(field, item) for item in value)
    if isinstance(value, (list, tuple, dict)):
        raise ArgumentError(f"{field.name}: expected {_KIND_NAMES[field.kind]}, got {value!r}", name=field.name)
    if isinstance(value, str) and _means_none(field, value):
        return None
    return _coerce_scalar(field, value)


def build_settings(settings_class: type, values: dict[str, Any]) -> Any:
    """Construct settings from values (parsed or plain Python); unknown names are an error, not ignored.

    Raises:
        ArgumentError: an unknown name, a value of the wrong kind, or one the dataclass refuses.
    """
    fields = {field.name: field for field in setting_fields(settings_class)}
    unknown = sorted(set(values) - set(fields))
    if unknown:
        raise ArgumentError(
            f"unknown setting(s) {', '.join(unknown)}; known: {', '.join(sorted(fields))}", name=unknown[0]
        )
    return settings_class(**{name: coerce_value(fields[name], value) for name, value in values.items()})


def settings_from_text(settings_class: type, texts: dict[str, str | None], *, label: str = "flag") -> Any:
    """Settings from option texts by field name (``None``: not given, keep the default).

    The one options → settings path of the CLI's subcommands.
    """
    fields = {field.name: field for field in setting_fields(settings_class)}
    given = {}
    for name, text in texts.items():
        if text is not None and name in fields:
            field = fields[name]
            given[name] = parse_value(field, text, label=field.flag if label == "flag" else field.name)
    return build_settings(settings_class, given)
