"""Query strings read strictly (issue #15): an unknown parameter or a value out of its kind is a 422
naming it, never silently ignored."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from flask import request
from flask_babel import lazy_gettext as _l

from processes.errors import Invalid


def whole(low: int, high: int) -> Callable[[str], int]:
    def convert(value: str) -> int:
        if not (value.isascii() and value.strip().lstrip("-").isdigit()) or len(value) > 12:
            raise ValueError(value)
        number = int(value)
        if not low <= number <= high:
            raise ValueError(value)
        return number
    convert.expected = _l("A whole number from %(a)d to %(b)d.", a=low, b=high)  # type: ignore[attr-defined]
    return convert


def one_of(values: Any) -> Callable[[str], str]:
    allowed = [getattr(v, "value", v) for v in values]

    def convert(value: str) -> str:
        if value not in allowed:
            raise ValueError(value)
        return value
    convert.expected = _l("One of: %(values)s.", values=", ".join(allowed))  # type: ignore[attr-defined]
    return convert


def params(allowed: Mapping[str, Callable[[str], Any]]) -> dict[str, Any]:
    """The request's query parameters converted; empty values are absent.

    :raises Invalid: naming each unknown parameter and each value out of its kind.
    """
    errors: dict[str, list] = {}
    out: dict[str, Any] = {}
    for name, value in request.args.items(multi=True):
        if name not in allowed:
            errors[name] = [_l("Unknown parameter.")]
            continue
        if value == "":
            continue
        try:
            out[name] = allowed[name](value)
        except ValueError:
            errors[name] = [getattr(allowed[name], "expected", _l("Not a valid value."))]
    if errors:
        raise Invalid(_l("Please correct the marked fields."), errors)
    return out
