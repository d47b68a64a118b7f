"""One WTForms form serves the pages and the API: JSON bodies become form data, form errors
become the API's `fields`, and forms describe themselves as JSON Schema — a strict one (issue #15):
the API checks each body against its form's schema before anything else reads it, so unknown keys,
wrong JSON types, floats, oversized lists and numbers or dates out of bounds are refused with the
field named, and the OpenAPI document shows the same limits."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from functools import lru_cache
from json import dumps, loads
from typing import Any

import jsonschema_rs
from flask_babel import lazy_gettext as _l
from werkzeug.datastructures import MultiDict
from wtforms import (
    BooleanField,
    DateField,
    FieldList,
    FormField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
)
from wtforms.form import BaseForm
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange

from processes import bounds
from processes.errors import Invalid
from webapp.fields import QUANTITY_PATTERNS, amount_message, dates_message


def flatten(payload: Any, prefix: str = "") -> MultiDict:
    """Turn a JSON object into form data as a browser would post it (`lines-0-quantity` …)."""
    out: MultiDict = MultiDict()
    if isinstance(payload, dict):
        for key, value in payload.items():
            name = f"{prefix}-{key}" if prefix else str(key)
            if isinstance(value, dict):
                for k, v in flatten(value, name).items(multi=True):
                    out.add(k, v)
            elif isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
                for index, item in enumerate(value):
                    for k, v in flatten(item, f"{name}-{index}").items(multi=True):
                        out.add(k, v)
            elif isinstance(value, list):
                for item in value:
                    out.add(name, _scalar(item))
            elif isinstance(value, bool):
                if value:
                    out.add(name, "y")
            elif value is not None:
                out.add(name, _scalar(value))
    return out


def _scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "y" if value else ""
    return str(value)


def errors_to_fields(errors: Any, prefix: str = "") -> dict[str, list[str]]:
    """Flatten WTForms' nested errors to {"estimate-0-quantity": ["…"]}."""
    out: dict[str, list[str]] = {}
    if isinstance(errors, dict):
        for key, value in errors.items():
            out.update(errors_to_fields(value, f"{prefix}-{key}" if prefix else str(key)))
    elif isinstance(errors, list | tuple):
        messages = [str(e) for e in errors if not isinstance(e, dict | list | tuple)]
        if messages:
            out[prefix] = messages
        for index, item in enumerate(errors):
            if isinstance(item, dict | list | tuple) and item:
                out.update(errors_to_fields(item, f"{prefix}-{index}"))
    return out


def _is_blank_row(row: dict[str, Any]) -> bool:
    return all(v in (None, "", [], False) for v in row.values())


def form_data(form: BaseForm) -> dict[str, Any]:
    """The form's values as Python data for a service, without blank list rows or the CSRF token."""
    out: dict[str, Any] = {}
    for field in form:
        if field.name in ("csrf_token", "submit", "save_draft") or field.type == "CSRFTokenField":
            continue
        out[field.short_name] = _value(field)
    return out


def _value(field: Any) -> Any:
    if isinstance(field, FieldList):
        rows = [_value(entry) for entry in field.entries]
        return [row for row in rows if not (isinstance(row, dict) and _is_blank_row(row))]
    if isinstance(field, FormField):
        return {sub.short_name: _value(sub) for sub in field.form if sub.type != "CSRFTokenField"}
    if isinstance(field, SelectField) and getattr(field, "coerce", str) is int and field.data == 0:
        return None
    return field.data


def form_data_row(entry: Any) -> bool:
    """Whether a list's row has anything typed (blank rows are not sent to the services)."""
    row = _value(entry)
    return not (isinstance(row, dict) and _is_blank_row(row))


def json_safe(value: Any) -> Any:
    """Convert service data (Decimal, date) to JSON (decimal strings, ISO dates) for drafts."""
    if isinstance(value, dict):
        return {k: json_safe(v) for k, v in value.items()}
    if isinstance(value, list):
        return [json_safe(v) for v in value]
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, date):
        return value.isoformat()
    return value


SKIPPED = ("csrf_token", "save_draft", "submit")
MAX_REPORTED = 50  # field errors reported for one body


def _fields(form: BaseForm):  # noqa: ANN202
    return (f for f in form if f.type not in ("CSRFTokenField", "SubmitField") and f.short_name not in SKIPPED)


def _required(field: Any) -> bool:
    return any(isinstance(v, DataRequired | InputRequired) for v in field.validators)


def schema(form: BaseForm) -> dict[str, Any]:
    """The form's fields as a strict JSON Schema: no other keys, every list, number, text and date
    bounded; optional fields may be null (= not given). Served by `GET /api/v1/tasks/{id}`, shown
    in the OpenAPI document, and enforced by `check`."""
    properties: dict[str, Any] = {}
    required: list[str] = []
    for field in _fields(form):
        node = _field_schema(field)
        if _required(field):
            required.append(field.short_name)
        else:
            node = _nullable(node)
        properties[field.short_name] = node
    out: dict[str, Any] = {"type": "object", "properties": properties, "additionalProperties": False}
    if required:
        out["required"] = required
    return out


def _nullable(node: dict[str, Any]) -> dict[str, Any]:
    """An optional value may be null (= not given); a list is a list, possibly empty."""
    types = node["type"] if isinstance(node["type"], list) else [node["type"]]
    if {"array", "object"} & set(types):
        return node
    out = node | {"type": [*types, "null"]}
    if "enum" in out:
        out["enum"] = [*out["enum"], None]
    return out


def _number_range(field: Any, low: int, high: int) -> tuple[int, int]:
    for validator in field.validators:
        if isinstance(validator, NumberRange):
            low = int(validator.min) if validator.min is not None else low
            high = int(validator.max) if validator.max is not None else high
    return low, high


def _max_length(field: Any) -> int:
    limits = [v.max for v in field.validators if isinstance(v, Length) and v.max not in (None, -1)]
    return min(limits, default=bounds.MAX_TEXT)


def _row_schema(field: FieldList) -> dict[str, Any]:
    """The schema of one row: from the first row, or from a row made for the purpose."""
    entry = field.entries[0] if field.entries else field.meta.bind_field(
        field._form, field.unbound_field, {"name": f"{field.name}-0", "prefix": "", "_meta": field.meta,
                                           "translations": field._translations})
    if not field.entries:
        entry.process(None)
    return schema(entry.form) if isinstance(entry, FormField) else _field_schema(entry)


def _field_schema(field: Any) -> dict[str, Any]:
    description = str(field.label.text)
    if hasattr(field, "json_schema"):
        return field.json_schema()
    if isinstance(field, FieldList):
        items = _row_schema(field)
        shorthand = getattr(field, "shorthand", None)
        if shorthand:
            name, values = shorthand
            items = {"anyOf": [{k: v for k, v in items["properties"][name].items() if k != "description"}
                               | {"type": "string"}, items],
                     "description": f"a row, or the value of its `{name}` alone (then {values})"}
        return {"type": "array", "maxItems": getattr(field, "max_rows", bounds.MAX_LINES), "items": items,
                "description": description}
    if isinstance(field, FormField):
        return schema(field.form) | {"description": description}
    if isinstance(field, BooleanField):
        return {"type": "boolean", "description": description}
    if isinstance(field, SelectMultipleField):
        values = [str(c[0]) for c in field.choices or []]
        return {"type": "array", "items": {"enum": values}, "uniqueItems": True, "maxItems": len(values),
                "description": description}
    if isinstance(field, SelectField):
        return _choice_schema(field, description)
    if isinstance(field, IntegerField):
        low, high = _number_range(field, 0, bounds.MAX_ID)
        return {"type": "integer", "minimum": low, "maximum": high, "description": description}
    if isinstance(field, DateField):
        return {"type": "string", "format": "date", "pattern": bounds.DATE_PATTERN, "description": description}
    out: dict[str, Any] = {"type": "string", "maxLength": _max_length(field), "description": description}
    if isinstance(field, StringField) and any(isinstance(v, DataRequired) for v in field.validators):
        out["minLength"] = 1
    return out


def _choice_schema(field: SelectField, description: str) -> dict[str, Any]:
    """One of the choices; choices filled in per request (factors, bodies) are described by type
    only where none are known (the OpenAPI document)."""
    values = [c[0] for c in field.choices or [] if c[0] not in ("", 0)]
    if getattr(field, "coerce", str) is int:
        if not values:
            return {"type": "integer", "minimum": 1, "maximum": bounds.MAX_ID, "description": description}
        return {"type": "integer", "enum": values, "description": description}
    if not values:
        return {"type": "string", "maxLength": 200, "description": description}
    return {"type": "string", "enum": [str(v) for v in values], "description": description}


# --------------------------------------------------------------------------- checking a body
def read_json(raw: bytes) -> Any:
    """Parse a request body of at most MAX_JSON_BYTES (the caller checks the size first).

    :raises Invalid: not JSON, or nested too deep for the parser (field `body`).
    """
    try:
        return loads(raw)
    except (ValueError, RecursionError):
        raise Invalid(_l("The body is not valid JSON."), {"body": [_l("Send a JSON object.")]}) from None


UNSTORABLE = re.compile("[\x00\ud800-\udfff]")  # NUL (PostgreSQL refuses it) and unpaired surrogates (no UTF-8)


def nul_paths(payload: Any, path: tuple = ()) -> list[str]:
    """The fields (form names: `measures-0-description`) of a JSON value whose text or key holds a
    character no database can store: a NUL, or an unpaired surrogate (`"\\ud800"`)."""
    if isinstance(payload, str):
        return [_name(path)] if UNSTORABLE.search(payload) else []
    if isinstance(payload, dict):
        return [p for k, v in payload.items()
                for p in ([_name((*path, k))] if UNSTORABLE.search(str(k)) else nul_paths(v, (*path, k)))]
    if isinstance(payload, list):
        return [p for i, v in enumerate(payload) for p in nul_paths(v, (*path, i))]
    return []


def check(node: dict[str, Any], payload: Any) -> None:
    """Check a JSON body against a form's schema, cheap limits first (list lengths, JSON floats).

    :raises Invalid: naming every field that breaks the schema (at most MAX_REPORTED).
    """
    errors: dict[str, list[str]] = {}
    if _too_long(node, payload, (), errors):
        raise Invalid(_l("Too many lines."), errors)  # before looking at 20,000 rows one by one
    for error in _validator(dumps(node, sort_keys=True)).iter_errors(payload):
        for path, message in _explain(node, error):
            if path not in errors:
                errors[path] = [message]
        if len(errors) >= MAX_REPORTED:
            break
    if errors:
        raise Invalid(_l("Please correct the marked fields."), errors)


@lru_cache(maxsize=64)
def _validator(text: str) -> Any:
    return jsonschema_rs.validator_for(loads(text), validate_formats=True)


def _name(path: Any) -> str:
    return "-".join(str(p) for p in path) or "body"


def _too_long(node: dict[str, Any], value: Any, path: tuple, errors: dict[str, list[str]]) -> bool:
    """Report lists longer than their maxItems and JSON floats where only strings and integers
    belong (the contract's quantities are decimal strings), walking only what the schema knows."""
    if isinstance(value, float):
        errors[_name(path)] = [str(_l('Send a decimal string such as "12.5" (or a whole number), not a float.'))]
    elif isinstance(value, list):
        if len(value) > node.get("maxItems", len(value)):
            errors[_name(path)] = [str(_l("At most %(n)d lines.", n=node["maxItems"]))]
            return True
        items = node.get("items")
        if isinstance(items, dict):
            return any([_too_long(_branch(items, v), v, (*path, i), errors) for i, v in enumerate(value)])
    elif isinstance(value, dict):
        known = node.get("properties", {})
        return any([_too_long(known[k], v, (*path, k), errors) for k, v in value.items() if k in known])
    return False


JSON_TYPES = {"string": str, "integer": int, "boolean": bool, "array": list, "object": dict, "null": type(None)}


def _type_of(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    return next((name for name, cls in JSON_TYPES.items() if isinstance(value, cls)), "number")


def _branch(node: dict[str, Any], value: Any) -> dict[str, Any]:
    """Of an anyOf, the alternative for the value's JSON type (the row, or its shorthand)."""
    for option in node.get("anyOf", ()):
        types = option.get("type")
        if _type_of(value) in (types if isinstance(types, list) else [types]):
            return option
    return node


def _at(node: dict[str, Any], schema_path: Any) -> dict[str, Any]:
    for step in list(schema_path)[:-1]:
        node = node[step]
    return node


def _explain(root: dict[str, Any], error: Any) -> list[tuple[str, str]]:
    """(field, message) pairs for one validation error, in the form's own field names."""
    kind, path, node = error.kind.name, list(error.instance_path), _at(root, error.schema_path)
    details = error.kind.as_dict()
    if kind == "anyOf":
        branch = _branch(node, error.instance)
        index = node["anyOf"].index(branch) if branch in node["anyOf"] else 0
        return [pair for sub in details["context"][index] for pair in _explain(root, sub)]
    if kind == "additionalProperties":
        return [(_name([*path, key]), str(_l("Unknown field: this form has no such field.")))
                for key in details["unexpected"]]
    if kind == "required":
        return [(_name([*path, details["property"]]), str(_l("Required.")))]
    return [(_name(path), _message(kind, node, details, error))]


def _message(kind: str, node: dict[str, Any], details: dict[str, Any], error: Any) -> str:
    types = node.get("type") if isinstance(node.get("type"), list) else [node.get("type")]
    if "pattern" in node and "integer" in types and "string" in types:  # a quantity
        if kind == "type":
            return str(_l('Send a decimal string such as "12.5" (or a whole number).'))
        return _quantity_message(node)
    if node.get("format") == "date":
        return dates_message()
    if kind == "type":
        return str(TYPE_MESSAGES.get(next((t for t in types if t != "null"), ""), error.message))
    if kind == "enum":
        values = [v for v in node["enum"] if v is not None]
        if len(values) <= 12:
            return str(_l("Choose one of: %(values)s.", values=", ".join(str(v) for v in values)))
        return str(_l("Not one of the allowed values (GET /api/v1/tasks/{id} lists them)."))
    if kind in ("minimum", "maximum"):
        return str(_l("A whole number from %(min)d to %(max)d.", min=node.get("minimum", 0),
                      max=node.get("maximum", bounds.MAX_ID)))
    if kind == "maxLength":
        return str(_l("At most %(n)d characters.", n=node["maxLength"]))
    if kind == "minLength":
        return str(_l("Required."))
    if kind == "maxItems":
        return str(_l("At most %(n)d lines.", n=node["maxItems"]))
    if kind == "uniqueItems":
        return str(_l("A value is listed twice."))
    return str(error.message)


def _quantity_message(node: dict[str, Any]) -> str:
    amount = QUANTITY_PATTERNS.get(node["pattern"])
    return amount_message(amount) if amount else str(_l("Out of bounds."))


TYPE_MESSAGES = {
    "integer": _l("Send a whole number (a JSON integer, not a string)."),
    "boolean": _l("Send true or false."),
    "string": _l("Send text (a JSON string)."),
    "array": _l("Send a list."),
    "object": _l("Send an object."),
}


def payload_formdata(form: BaseForm, payload: Any) -> MultiDict:
    """Check a JSON body against the form's schema, then turn it into form data.

    :raises Invalid: the body breaks the schema (fields named as in the form's errors).
    """
    expanded = dict(payload)
    for field in _fields(form):
        if field.short_name in expanded and hasattr(field, "expand"):
            expanded[field.short_name] = field.expand(expanded[field.short_name])  # errors then name the row's field
    check(schema(form), expanded)
    return flatten(expanded)
