"""The emission-factor library: versioned sets imported from CSV, validated row by row."""

from __future__ import annotations

import csv
import hashlib
import io
import re
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from models import User, db
from models.accounting import EmissionCategory, EmissionFactor, FactorSet, FactorStatus
from processes import audit
from processes.accounting.calculator import decimal_places, parse_decimal, plain
from processes.errors import Invalid

DEFAULT_FACTOR_FILE = Path(__file__).resolve().parent.parent / "data" / "emission-factors.csv"
SHIPPED_NAME = "processes/data/emission-factors.csv"
UNITS = ("kWh", "GJ", "t", "m3", "L", "pkm", "km", "room-night", "meal", "kg", "item")
COLUMNS = ("key", "category", "subcategory", "name_zh", "name_en", "unit", "kgco2e_per_unit", "gases",
           "source", "year", "status")
OPTIONAL_COLUMNS = ("valid_from", "valid_to")
MAX_FACTOR = Decimal("100000")  # kg CO2e per unit
FACTOR_PLACES = 10
KEY_RE = re.compile(r"^[a-z][a-z0-9_]{0,79}$")
LENGTHS = {"subcategory": 40, "name_zh": 300, "name_en": 300, "gases": 40}
SOURCE_SEPARATOR = "; "  # a source starts with the publication and its table or factor ID, then details


def _read(path_or_text: str | Path | bytes) -> tuple[bytes, str | None]:
    """Return the file's bytes and name; a str containing a line break is the CSV text itself."""
    if isinstance(path_or_text, bytes):
        return path_or_text, None
    if isinstance(path_or_text, str) and "\n" in path_or_text:
        return path_or_text.encode("utf-8"), None
    path = Path(path_or_text)
    return path.read_bytes(), path.name


def _date(value: str, errors: list) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        errors.append(_l("date %(value)r is not YYYY-MM-DD", value=value))
        return None


def _check_row(row: dict[str, str], errors: list) -> dict[str, Any]:
    """Validate one row; append a message per problem to errors; return the parsed values."""
    values: dict[str, Any] = {name: row.get(name) or "" for name in COLUMNS + OPTIONAL_COLUMNS}
    if not KEY_RE.match(values["key"]):
        errors.append(_l("key %(key)r must be lower_snake_case (a-z, 0-9, _), at most 80 characters",
                         key=values["key"]))
    if values["category"] not in {c.value for c in EmissionCategory}:
        errors.append(_l("category %(value)r is not one of %(allowed)s", value=values["category"],
                         allowed=", ".join(c.value for c in EmissionCategory)))
    if values["unit"] not in UNITS:
        errors.append(_l("unit %(value)r is not one of %(allowed)s", value=values["unit"], allowed=", ".join(UNITS)))
    factor = parse_decimal(values["kgco2e_per_unit"])
    if factor is None:
        errors.append(_l("kgco2e_per_unit %(value)r is not a number", value=values["kgco2e_per_unit"]))
    elif not Decimal(0) <= factor < MAX_FACTOR:
        errors.append(_l("kgco2e_per_unit %(value)s is outside 0 ≤ value < 100000 kg per unit", value=plain(factor)))
    elif decimal_places(factor) > FACTOR_PLACES:
        errors.append(_l("kgco2e_per_unit has more than %(n)d decimal places", n=FACTOR_PLACES))
    values["kgco2e_per_unit"] = factor
    for name in ("subcategory", "name_zh", "name_en", "gases", "source"):
        if not values[name].strip():
            errors.append(_l("%(column)s is empty", column=name))
        elif len(values[name]) > LENGTHS.get(name, 10000):
            errors.append(_l("%(column)s is longer than %(n)d characters", column=name, n=LENGTHS[name]))
    year = values["year"]
    if year and not (year.isdigit() and 1990 <= int(year) <= 2100):
        errors.append(_l("year %(value)r is not a year between 1990 and 2100", value=year))
    values["year"] = int(year) if year.isdigit() else None
    if values["status"] not in {s.value for s in FactorStatus}:
        errors.append(_l("status %(value)r is not one of %(allowed)s", value=values["status"],
                         allowed=", ".join(s.value for s in FactorStatus)))
    values["valid_from"] = _date(values["valid_from"], errors)
    values["valid_to"] = _date(values["valid_to"], errors)
    if values["valid_from"] and values["valid_to"] and values["valid_to"] < values["valid_from"]:
        errors.append(_l("valid_to is before valid_from"))
    return values


def parse_factor_csv(content: bytes) -> list[dict[str, Any]]:
    """Parse and validate every row of a factor file (header = line 1).

    :raises Invalid: listing every bad line, e.g. ``{"line 7": ["unit 'kwh' is not one of …"]}``.
    """
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise Invalid(_l("The factor file is not UTF-8 text."), {"file": [_l("The file must be UTF-8 CSV.")]}) from exc
    reader = csv.reader(io.StringIO(text, newline=""))
    header = [h.strip() for h in next(reader, [])]
    missing = [c for c in COLUMNS if c not in header]
    unknown = [c for c in header if c not in COLUMNS + OPTIONAL_COLUMNS]
    if missing or unknown or len(set(header)) != len(header):
        problems = ([_l("missing columns: %(c)s", c=", ".join(missing))] if missing else []) + (
            [_l("unknown columns: %(c)s", c=", ".join(unknown))] if unknown else [])
        raise Invalid(_l("The factor file's header is wrong; nothing was imported."),
                      {"line 1": problems or [_l("duplicate column names")]})
    errors: dict[str, list] = {}
    rows: list[dict[str, Any]] = []
    first_line: dict[str, int] = {}
    line_no = reader.line_num + 1
    for cells in reader:
        start, line_no = line_no, reader.line_num + 1
        if not any(c.strip() for c in cells):
            continue
        problems: list = []
        if len(cells) != len(header):
            problems.append(_l("has %(n)d fields, the header has %(m)d", n=len(cells), m=len(header)))
        values = _check_row(dict(zip(header, (c.strip() for c in cells), strict=False)), problems)
        key = values["key"]
        if key in first_line:
            problems.append(_l("key %(key)r is already on line %(line)d", key=key, line=first_line[key]))
        first_line.setdefault(key, start)
        if problems:
            errors[f"line {start}"] = problems
        rows.append(values)
    if errors:
        raise Invalid(_l("%(n)d lines of the factor file have errors; nothing was imported.", n=len(errors)), errors)
    if not rows:
        raise Invalid(_l("The factor file has no factors; nothing was imported."), {"line 2": [_l("no rows")]})
    return rows


def import_factor_csv(path_or_text: str | Path | bytes, actor: User | None = None, note: str | None = None,
                      filename: str | None = None) -> FactorSet:
    """Import a factor file as the next numbered set; an identical file returns the set it already is.

    :raises Invalid: the whole file is rejected if any row is bad (see `parse_factor_csv`).
    """
    content, read_name = _read(path_or_text)
    filename = filename or read_name
    digest = hashlib.sha256(content).hexdigest()
    existing = db.session.execute(select(FactorSet).filter_by(sha256=digest)).scalar()
    if existing is not None:
        return existing
    rows = parse_factor_csv(content)
    number = (db.session.execute(select(func.max(FactorSet.number))).scalar() or 0) + 1
    factor_set = FactorSet(number=number, sha256=digest, filename=filename, note=(note or "").strip() or None,
                           imported_by_id=actor.id if actor else None)
    db.session.add(factor_set)
    db.session.flush()
    for values in rows:
        db.session.add(EmissionFactor(set_id=factor_set.id, **values))
    db.session.flush()
    db.session.expire(factor_set, ["factors"])
    audit.record(actor, "factors.imported", reason=factor_set.note,
                 data={"factor_set": number, "sha256": digest, "filename": filename, "factors": len(rows)})
    return factor_set


def ensure_default_factor_set() -> FactorSet:
    """Import the shipped factor file unless that exact file was imported before; return the set in force.

    Run by `init-db` on every install and upgrade: a fresh database gets the shipped file as set 1; an
    existing one gets a newly shipped version as its next set, and its older sets (and every figure
    computed with them) stay as they were. A file imported once is never imported again, so a set an
    administrator imported later stays in force.
    """
    content = DEFAULT_FACTOR_FILE.read_bytes()
    digest = hashlib.sha256(content).hexdigest()
    if db.session.execute(select(FactorSet.id).filter_by(sha256=digest)).scalar() is None:
        import_factor_csv(content, note=f"Factor set shipped with Tanzhong ({SHIPPED_NAME}, sha256 {digest[:12]})",
                          filename=DEFAULT_FACTOR_FILE.name)
    return current_factor_set()


def _latest() -> FactorSet | None:
    return db.session.execute(select(FactorSet).order_by(FactorSet.number.desc()).limit(1)).scalar()


def current_factor_set() -> FactorSet:
    """Return the set in force (the highest number), loading the default set on first use."""
    return _latest() or ensure_default_factor_set()


def factor_sets() -> list[FactorSet]:
    """Return every imported set, newest first."""
    return list(db.session.execute(select(FactorSet).order_by(FactorSet.number.desc())).scalars())


def factor_set_numbered(number: int) -> FactorSet | None:
    """Return the set with this version number, or None."""
    return db.session.execute(select(FactorSet).filter_by(number=number)).scalar()


def factors(factor_set: FactorSet | None = None) -> list[EmissionFactor]:
    """Return the factors of a set (default: the set in force), in file order."""
    factor_set = factor_set or current_factor_set()
    return list(db.session.execute(
        select(EmissionFactor).filter_by(set_id=factor_set.id).order_by(EmissionFactor.id)).scalars())


def source_reference(factor: EmissionFactor) -> str:
    """Return the publication and its exact place (table, factor ID): the source up to its first "; "."""
    return factor.source.split(SOURCE_SEPARATOR, 1)[0]


def factor_json(factor: EmissionFactor) -> dict[str, Any]:
    """Return a factor as the API lists it (GET /api/v1/emission-factors): value as a decimal string,
    its check status in words and its source, the first part of which names the exact place."""
    return {
        "key": factor.key,
        "category": factor.category.value,
        "subcategory": factor.subcategory,
        "name_zh": factor.name_zh,
        "name_en": factor.name_en,
        "unit": factor.unit,
        "kgco2e_per_unit": plain(factor.kgco2e_per_unit),
        "gases": factor.gases,
        "source": factor.source,
        "source_reference": source_reference(factor),
        "year": factor.year,
        "status": factor.status.value,
        "status_title": factor.status.title,
        "valid_from": factor.valid_from.isoformat() if factor.valid_from else None,
        "valid_to": factor.valid_to.isoformat() if factor.valid_to else None,
    }
