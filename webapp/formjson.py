"""One WTForms form serves the pages and the API: JSON bodies become form data, form errors
become the API's `fields`, and forms describe themselves as JSON Schema."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from werkzeug.datastructures import MultiDict
from wtforms import (
    BooleanField,
    DateField,
    DecimalField,
    FieldList,
    FormField,
    IntegerField,
    SelectField,
    SelectMultipleField,
)
from wtforms.form import BaseForm


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


def schema(form: BaseForm) -> dict[str, Any]:
    """A JSON Schema of the fields the form takes (for `GET /api/v1/tasks/{id}`)."""
    properties: dict[str, Any] = {}
    required: list[str] = []
    for field in form:
        if field.type in ("CSRFTokenField", "SubmitField") or field.short_name in ("csrf_token", "save_draft"):
            continue
        properties[field.short_name] = _field_schema(field)
        if any(getattr(v, "field_flags", {}).get("required") for v in field.validators):
            required.append(field.short_name)
    out: dict[str, Any] = {"type": "object", "properties": properties}
    if required:
        out["required"] = required
    return out


def _field_schema(field: Any) -> dict[str, Any]:
    description = str(field.label.text)
    if isinstance(field, FieldList):
        item = field.entries[0] if field.entries else None
        items = schema(item.form) if isinstance(item, FormField) else (_field_schema(item) if item else {})
        return {"type": "array", "description": description, "items": items}
    if isinstance(field, FormField):
        return schema(field.form) | {"description": description}
    if isinstance(field, BooleanField):
        return {"type": "boolean", "description": description}
    if isinstance(field, IntegerField):
        return {"type": "integer", "description": description}
    if isinstance(field, DecimalField):
        return {"type": "string", "pattern": r"^-?\d+(\.\d+)?$", "description": description + " (decimal string)"}
    if isinstance(field, DateField):
        return {"type": "string", "format": "date", "description": description}
    if isinstance(field, SelectMultipleField):
        values = [str(c[0]) for c in field.choices or []]
        return {"type": "array", "items": {"enum": values}, "description": description}
    if isinstance(field, SelectField):
        values = [c[0] for c in field.choices or []]
        if getattr(field, "coerce", str) is int:
            return {"type": ["integer", "null"], "enum": [v for v in values if v != 0] + [None],
                    "description": description}
        return {"type": "string", "enum": [str(v) for v in values if v != ""], "description": description}
    return {"type": "string", "description": description}
