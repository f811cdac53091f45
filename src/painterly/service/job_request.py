"""A job request's settings, checked by the rules of each field's role before anything is stored.

Clients send the method's settings as JSON. Every value is coerced to its field's type (a
list where a list belongs, never a string read letter by letter), fields that name files on
the server are refused by role unless the value names no file, model and weight names must
be ones the server lists, sizes are bounded, and the settings dataclass then validates the
whole. Every failure is an ``ArgumentError`` naming the field, which the app answers with 422.
"""

from __future__ import annotations

import dataclasses
import json
import types
from typing import Any

from .._settings import SettingField, build_settings, coerce_value, setting_fields
from ..errors import ArgumentError, PainterlyError
from ..losses.modules import normalize_weights
from ..methods.base import Stylizer
from .config import ServiceConfig

__all__ = ["PREVIEW_EVERY", "largest_size", "parse_settings", "parse_style_weights", "settle_size"]

PREVIEW_EVERY = 10  # steps between previews when a client does not choose


def _known_names(field: SettingField) -> set[str]:
    if field.role == "weights":
        from ..weights import list_weights

        return {spec.name for spec in list_weights()}
    from ..models import list_models

    return {model.name for model in list_models(field.model_kind)}


def _check_role(field: SettingField, value: Any, config: ServiceConfig) -> None:
    """Paths on the server are never taken from a client; names must be ones the server offers."""
    if value is None or value in field.safe_values:
        return
    if field.role == "path":
        allowed = ", ".join(field.safe_values) or "no value"
        raise ArgumentError(f"{field.name}: the server does not open files named by clients (allowed: {allowed})",
                            name=field.name)  # fmt: skip
    if field.role in ("model", "weights") and value not in _known_names(field):
        listing = (
            "GET /api/models lists the models"
            if field.role == "model"
            else "known: " + ", ".join(sorted(_known_names(field)))
        )
        raise ArgumentError(f"{field.name}: unknown name {value!r}; {listing}", name=field.name)
    if field.role == "size" and value > config.max_size:
        raise ArgumentError(f"{field.name}: {value} px is over this server's limit of {config.max_size} px",
                            name=field.name)  # fmt: skip


def parse_settings(method: type[Stylizer], text: str, config: ServiceConfig) -> dict[str, Any]:
    """The form's JSON → checked settings values (the dataclass has validated them as a whole).

    Raises:
        ArgumentError: not a JSON object, an unknown setting, a value of the wrong kind, a path,
            an unknown model, a size over the limit, or a value the method refuses.
    """
    try:
        raw = json.loads(text or "{}")
    except json.JSONDecodeError as error:
        raise ArgumentError(f"settings must be a JSON object: {error.msg}", name="settings") from None
    if not isinstance(raw, dict):
        raise ArgumentError(f"settings must be a JSON object, got {type(raw).__name__}", name="settings")
    fields = {field.name: field for field in setting_fields(method.Settings)}
    values: dict[str, Any] = {}
    for name, value in raw.items():
        if name not in fields:
            raise ArgumentError(f"unknown setting {name!r} for method {method.name}; GET /api/models lists them",
                                name=name)  # fmt: skip
        values[name] = coerce_value(fields[name], value)
        _check_role(fields[name], values[name], config)
    for field in fields.values():
        if field.role == "preview" and field.name not in values:
            values[field.name] = PREVIEW_EVERY  # the page shows intermediate results of long methods
    _validate(method, values)
    return values


def _validate(method: type[Stylizer], values: dict[str, Any]) -> Any:
    try:
        return build_settings(method.Settings, values)
    except ArgumentError:
        raise
    except PainterlyError as error:  # e.g. a model file that does not load: still the client's setting
        raise ArgumentError(str(error)) from None


def settle_size(method: type[Stylizer], values: dict[str, Any], photo_size: tuple[int, int], config: ServiceConfig,
                *, bound: int | None = None) -> tuple[dict[str, Any], list[str]]:  # fmt: skip
    """Bound the result to ``max_size`` and check that it fits in memory; returns the values to store
    and notes for the client (a result bounded or enlarged is said, never done silently).

    A method that works at the photo's own size (``size`` unset) gets ``size = max_size`` when
    the photo is larger, stored with the job so the client sees what ran. ``bound``: another limit
    than ``max_size`` (videos: ``max_video_size``).
    """
    settings = _validate(method, values)
    width, height = method.result_size(settings, *photo_size)
    notes = []
    limit = bound or config.max_size
    if max(width, height) > limit:
        size_field = next((f for f in setting_fields(method.Settings) if f.role == "size"), None)
        if size_field is None:
            raise ArgumentError(f"the result would be {max(width, height)} px long, over this server's "
                                f"{limit} px", name="size")  # fmt: skip
        values = {**values, size_field.name: limit}
        settings = dataclasses.replace(settings, **{size_field.name: limit})
        notes.append(f"the result is {limit} px long, this server's limit")
    method.check_fits(settings, *photo_size)
    factor = method.enlargement(settings, *photo_size)
    if factor > 1:
        notes.append(f"the result is enlarged {factor:.1f}× from the photo's {photo_size[0]}×{photo_size[1]}")
    return values, notes


def largest_size(method: type[Stylizer], config: ServiceConfig, aspect: float = 4 / 3) -> int:
    """The longest result side (≤ ``max_size``) this server's memory allows now for ``method``'s defaults,
    on a photo of ``aspect``: the page's size slider stops there (tiling raises it for one-pass methods)."""
    # The method's defaults with the size left to the photo; not validated (a trained-model method has no
    # default model), only read by the memory estimate.
    defaults = types.SimpleNamespace(**{**{f.name: f.default for f in setting_fields(method.Settings)}, "size": None})
    low, high = 16, config.max_size
    while low < high:
        middle = (low + high + 1) // 2
        try:
            method.check_fits(defaults, middle, max(16, round(middle / aspect)))
            low = middle
        except ArgumentError:
            high = middle - 1
    return low


def parse_style_weights(text: str, count: int) -> list[float] | None:
    """``"0.7,0.3"`` → weights, one per style (``""``: equal).

    Raises:
        ArgumentError: not numbers, or not one non-negative weight per style.
    """
    if not text.strip():
        return None
    try:
        weights = [float(item) for item in text.split(",")]
    except ValueError:
        raise ArgumentError("style_weights must be comma-separated numbers", name="style_weights") from None
    try:
        normalize_weights(weights, count)
    except ArgumentError as error:
        raise ArgumentError(str(error), name="style_weights") from None
    return weights
