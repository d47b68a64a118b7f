"""Bounds of what anyone may type, in one place.

Numbers from query strings, bounded before they reach SQL: a year the database can extract and
compare, an id within PostgreSQL's INTEGER. Outside them PostgreSQL raised "integer out of range"
(and SQLite an OverflowError): a 500 instead of an answer about the input. Below: the limits of
forms and request bodies (lines, digits, dates)."""

from __future__ import annotations

from datetime import date
from decimal import ROUND_DOWN, Decimal, InvalidOperation
from typing import Any, NamedTuple

MAX_ID = 2**31 - 1  # PostgreSQL INTEGER, the type of every id column


def year(value: Any) -> int:
    """Return the value as a year 1–9999. :raises ValueError: not a whole number in that range."""
    number = int(value)
    if not 1 <= number <= 9999:
        raise ValueError(f"year out of range: {number}")
    return number


def db_id(value: Any) -> int:
    """Return the value as an id 1–2³¹−1. :raises ValueError: not a whole number in that range."""
    number = int(value)
    if not 1 <= number <= MAX_ID:
        raise ValueError(f"id out of range: {number}")
    return number


# --- what a form or request may hold (issue #15, item 10): one place for every limit -------------
# The JSON Schema of each form (webapp/formjson.py), the pages' validators and the services' parsers
# read these; the API contract (/api/v1/openapi.json) shows them.

MAX_LINES = 500  # rows of any list in a form: estimate, activities, cancellations, offset plan …
MAX_JSON_BYTES = 2 * 1024 * 1024  # a JSON request body: a plan of 500 typical lines is about 150 KB
MAX_NUMBER_CHARS = 40  # characters of a number as typed: longer is refused before it is parsed
MIN_DATE, MAX_DATE = date(2000, 1, 1), date(2099, 12, 31)  # any date typed: event days, cancellations …
DATE_PATTERN = r"^20\d\d-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$"  # MIN_DATE–MAX_DATE as YYYY-MM-DD
MAX_TEXT = 5000  # characters of a text field that names no smaller limit


class Amount(NamedTuple):
    """The bound of one kind of quantity: ≥ 0, below `maximum` (a power of ten), `places` decimals."""

    maximum: Decimal
    places: int

    @property
    def digits(self) -> int:
        """Digits before the decimal point."""
        return len(str(int(self.maximum))) - 1


TONNES = Amount(Decimal(10) ** 12, 3)  # t CO2e, stored as NUMERIC(18, 3)
ACTIVITY = Amount(Decimal(10) ** 9, 6)  # activity data (kWh, pkm, t …), NUMERIC(18, 6)
DISTANCE = Amount(Decimal(10) ** 9, 3)  # km each traveller goes (activity helper)
CNY = Amount(Decimal(10) ** 12, 2)  # yuan, NUMERIC(14, 2)
HECTARES = Amount(Decimal(10) ** 9, 2)  # a sink project's area, NUMERIC(12, 2)


def decimal(value: Any, amount: Amount) -> Decimal:
    """Return `value` as a Decimal within `amount` (a number, or a numeric string of at most
    MAX_NUMBER_CHARS characters). :raises ValueError: with the reason, in English, otherwise."""
    if isinstance(value, bool) or isinstance(value, float):
        raise ValueError("not a decimal string")
    if isinstance(value, str) and len(value.strip()) > MAX_NUMBER_CHARS:
        raise ValueError(f"more than {MAX_NUMBER_CHARS} characters")
    try:
        number = value if isinstance(value, Decimal) else Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise ValueError("not a number") from None
    if not number.is_finite():
        raise ValueError("not a number")
    if not 0 <= number < amount.maximum:
        raise ValueError(f"not from 0 to below {amount.maximum:f}")
    if number != number.quantize(Decimal(1).scaleb(-amount.places), rounding=ROUND_DOWN):
        raise ValueError(f"more than {amount.places} decimals")
    return number


def day(value: date) -> date:
    """Return the date if it lies in MIN_DATE–MAX_DATE. :raises ValueError: otherwise."""
    if not MIN_DATE <= value <= MAX_DATE:
        raise ValueError(f"not from {MIN_DATE.isoformat()} to {MAX_DATE.isoformat()}")
    return value
