"""Bounded WTForms fields: each enforces its limits on the page and describes the same limits as
JSON Schema for the API (`json_schema()`, read by webapp/formjson.py). The limits themselves live
in processes/bounds.py (issue #15: strict, bounded input everywhere)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms import DateField, DecimalField, FieldList, IntegerField, TextAreaField
from wtforms.utils import unset_value
from wtforms.validators import NumberRange, ValidationError

from processes import bounds


def amount_text(amount: bounds.Amount) -> str:
    """The largest value of `amount` as people write it: 999,999,999,999.999."""
    return f"{amount.maximum - Decimal(1).scaleb(-amount.places):,f}"


def amount_message(amount: bounds.Amount) -> str:
    return str(_l("A number from 0 to %(max)s with at most %(places)d decimals.",
                  max=amount_text(amount), places=amount.places))


def dates_message() -> str:
    return str(_l("A date from %(min)s to %(max)s, written YYYY-MM-DD.",
                  min=bounds.MIN_DATE.isoformat(), max=bounds.MAX_DATE.isoformat()))


QUANTITY_PATTERNS: dict[str, bounds.Amount] = {}  # a quantity schema's pattern → its bound


class QuantityField(DecimalField):
    """A quantity within a `bounds.Amount`: typed on the page; a decimal string ("12.5") or a JSON
    integer in the API, never a float. Shown as typed (no rounding on display)."""

    def __init__(self, label: Any = None, validators: Any = None, *, amount: bounds.Amount, **kwargs: Any) -> None:
        super().__init__(label, validators, places=None, **kwargs)
        self.amount = amount

    def process_formdata(self, valuelist: list[str]) -> None:
        if valuelist and len(str(valuelist[0]).strip()) > bounds.MAX_NUMBER_CHARS:
            self.data = None  # refused before parsing: 10⁶ digits are not a quantity
            raise ValueError(amount_message(self.amount))
        super().process_formdata(valuelist)

    def pre_validate(self, form: Any) -> None:
        if self.data is not None:
            try:
                bounds.decimal(self.data, self.amount)
            except ValueError:
                raise ValidationError(amount_message(self.amount)) from None

    def json_schema(self) -> dict[str, Any]:
        amount = self.amount
        fraction = rf"(\.\d{{1,{amount.places}}})?" if amount.places else ""
        pattern = rf"^\d{{1,{amount.digits}}}{fraction}$"
        QUANTITY_PATTERNS[pattern] = amount  # to word the API's error messages
        return {"type": ["string", "integer"], "pattern": pattern, "minimum": 0, "maximum": int(amount.maximum) - 1,
                "description": f"{self.label.text} (a decimal string such as \"12.5\", or an integer; "
                               f"0 to {amount_text(amount)}, at most {amount.places} decimals)"}


class DayField(DateField):
    """A date from bounds.MIN_DATE to bounds.MAX_DATE (year 9999 is a typing error, not a date)."""

    def pre_validate(self, form: Any) -> None:
        if self.data is not None and not bounds.MIN_DATE <= self.data <= bounds.MAX_DATE:
            raise ValidationError(dates_message())

    def json_schema(self) -> dict[str, Any]:
        return {"type": "string", "format": "date", "pattern": bounds.DATE_PATTERN,
                "description": f"{self.label.text} (YYYY-MM-DD, {bounds.MIN_DATE.isoformat()} to "
                               f"{bounds.MAX_DATE.isoformat()})"}


class IdField(IntegerField):
    """The id of a row (1 to 2³¹−1, PostgreSQL's INTEGER): a larger number cannot be one."""

    def __init__(self, label: Any = None, validators: Any = None, **kwargs: Any) -> None:
        super().__init__(label, [*(validators or []), NumberRange(min=1, max=bounds.MAX_ID)], **kwargs)


class RowsField(FieldList):
    """A list of rows, at most `max_rows` (bounds.MAX_LINES): more is refused, not silently cut.

    Only the first `max_rows` rows are read (a 20,000-line body costs no more than a full one).
    `shorthand=(name, values)` lets the API send a plain string for a row: it stands for the row
    `{name: string, **values}` (a boundary's category names, API.md)."""

    def __init__(self, unbound_field: Any, label: Any = None, validators: Any = None, *,
                 max_rows: int = bounds.MAX_LINES, shorthand: tuple[str, dict[str, Any]] | None = None,
                 **kwargs: Any) -> None:
        super().__init__(unbound_field, label, validators, **kwargs)
        self.type = "FieldList"  # templates render it as any list of rows
        self.max_rows, self.shorthand, self.too_many = max_rows, shorthand, False

    def process(self, formdata: Any, data: Any = unset_value, extra_filters: Any = None) -> None:
        self.too_many = bool(formdata) and len(set(self._extract_indices(self.name, formdata))) > self.max_rows
        self.max_entries = self.max_rows
        try:
            super().process(formdata, data, extra_filters)
        finally:
            self.max_entries = None  # pages append blank rows afterwards

    def validate(self, form: Any, extra_validators: Any = ()) -> bool:
        valid = super().validate(form, extra_validators)
        if self.too_many:
            self.errors.append(str(_l("At most %(n)d lines.", n=self.max_rows)))
            return False
        return valid

    def expand(self, rows: Any) -> Any:
        """Turn shorthand strings of a JSON list into rows."""
        if not self.shorthand or not isinstance(rows, list):
            return rows
        name, values = self.shorthand
        return [{name: row, **values} if isinstance(row, str) else row for row in rows]


class LinesField(TextAreaField):
    """A list of names: one per line on the page, a JSON list of strings in the API; at most
    `max_lines` names of at most `max_length` characters."""

    def __init__(self, label: Any = None, validators: Any = None, *, max_lines: int, max_length: int,
                 **kwargs: Any) -> None:
        super().__init__(label, validators, **kwargs)
        self.max_lines, self.max_length = max_lines, max_length

    def process_formdata(self, valuelist: list[str]) -> None:
        if valuelist:
            parts = valuelist if len(valuelist) > 1 else valuelist[0].splitlines()
            self.data = [p.strip() for p in parts if p.strip()]

    def _value(self) -> str:
        return "\n".join(self.data or [])

    def pre_validate(self, form: Any) -> None:
        if len(self.data or []) > self.max_lines:
            raise ValidationError(str(_l("At most %(n)d lines.", n=self.max_lines)))
        if any(len(line) > self.max_length for line in self.data or []):
            raise ValidationError(str(_l("At most %(n)d characters per line.", n=self.max_length)))

    def json_schema(self) -> dict[str, Any]:
        return {"type": "array", "minItems": 1, "maxItems": self.max_lines,
                "items": {"type": "string", "minLength": 1, "maxLength": self.max_length},
                "description": f"{self.label.text} (a list of names)"}
