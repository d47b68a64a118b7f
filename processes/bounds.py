"""Numbers from query strings, bounded before they reach SQL: a year the database can extract and
compare, an id within PostgreSQL's INTEGER. Outside them PostgreSQL raised "integer out of range"
(and SQLite an OverflowError): a 500 instead of an answer about the input."""

from __future__ import annotations

from typing import Any

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
