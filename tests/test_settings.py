"""Settings dataclasses → options, and text → values, in one place for CLI and service."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from painterly._settings import build_settings, parse_value, setting_fields
from painterly.errors import ArgumentError
from painterly.methods.optimize import OptimizeSettings


@pytest.fixture
def fields():  # type: ignore[no-untyped-def]
    return {field.name: field for field in setting_fields(OptimizeSettings)}


@dataclass
class _Outer:
    """Fields' comments are their help text, on any line of a field's definition."""

    size: int = 512  # long side in px
    name: str = "x"  # the outer name, not the inner one

    @dataclass
    class Inner:
        name: tuple[str, ...] = (
            "y",  # the inner name, on the field's second line
        )
        count: int = 1

    def one_line(self) -> int: return 1  # fmt: skip

    weight: float = 1.0  # after the nested class and the method: still the outer class's


def test_help_comes_from_each_class_own_comments() -> None:
    """Read from the source by the class's qualified name: a nested class does not take its outer class's comments."""

    @dataclass
    class Local:
        level: int = 3  # a class defined in a function

    outer = {field.name: field.help for field in setting_fields(_Outer)}
    inner = {field.name: field.help for field in setting_fields(_Outer.Inner)}
    assert outer == {"size": "long side in px", "name": "the outer name, not the inner one",
                     "weight": "after the nested class and the method: still the outer class's"}  # fmt: skip
    assert inner == {"name": "the inner name, on the field's second line", "count": ""}
    assert setting_fields(Local)[0].help == "a class defined in a function"


class TestSettingFields:
    def test_every_field_has_help_and_type(self, fields) -> None:  # type: ignore[no-untyped-def]
        assert all(field.help for field in fields.values()), [n for n, f in fields.items() if not f.help]
        assert fields["quality"].choices == ("draft", "normal", "high")
        assert fields["style_layers"].is_list and fields["style_layers"].kind is str
        assert fields["steps"].optional and fields["steps"].kind is int

    def test_parse_values(self, fields) -> None:  # type: ignore[no-untyped-def]
        assert parse_value(fields["style_layers"], "relu1_1, relu2_1") == ("relu1_1", "relu2_1")
        assert parse_value(fields["steps"], "10,5") == (10, 5)
        assert parse_value(fields["steps"], "none") is None
        assert parse_value(fields["style_weight"], "2.5") == 2.5

    def test_parse_errors_name_the_flag(self, fields) -> None:  # type: ignore[no-untyped-def]
        with pytest.raises(ArgumentError, match="--steps: 'x' is not a valid int"):
            parse_value(fields["steps"], "10,x")
        with pytest.raises(ArgumentError, match="--optimizer: 'sgd' is not one of lbfgs, adam"):
            parse_value(fields["optimizer"], "sgd")
        with pytest.raises(ArgumentError, match="give one or more"):
            parse_value(fields["style_layers"], ",")

    def test_build_rejects_unknown(self) -> None:
        assert build_settings(OptimizeSettings, {"size": 64}).size == 64
        with pytest.raises(ArgumentError, match="unknown setting"):
            build_settings(OptimizeSettings, {"sizee": 64})
