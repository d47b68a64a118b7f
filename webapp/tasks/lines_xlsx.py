"""Activity lines from a spreadsheet: the template to fill in (openpyxl) and its rows read back as
form rows for review (issue #18: nothing is retyped). A bad row is named by its line and column;
nothing is submitted by an import — the organizer checks the rows and submits the form."""

from __future__ import annotations

from decimal import Decimal
from io import BytesIO
from typing import Any
from zipfile import BadZipFile

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from openpyxl import Workbook, load_workbook
from openpyxl.utils.exceptions import InvalidFileException

from processes import accounting, bounds
from processes.errors import Invalid
from webapp.fields import amount_message
from webapp.tasks.forms import MAX_PEOPLE

LINE_LISTS: dict[str, tuple[str, ...]] = {"prepare_plan": ("estimate",), "account_emissions": ("activities",),
                                         "correct_account": ("activities",)}
MAX_XLSX_BYTES = 5 * 2**20
COLUMNS = (  # (form field, heading) in the template's order
    ("factor_key", _l("Emission source (factor code or name)")),
    ("quantity", _l("Quantity")),
    ("unit", _l("Unit")),
    ("distance_km", _l("Distance (km)")),
    ("people", _l("People")),
    ("note", _l("Note / assumption")),
)
ROW = dict[str, Any]


def template_workbook(locale_en: bool) -> bytes:
    """Sheet 1: the columns to fill in, with one example line; sheet 2: the current factors (code,
    name, unit) to choose from."""
    book = Workbook()
    sheet = book.active
    sheet.title = _("Lines")
    sheet.append([str(heading) for _name, heading in COLUMNS])
    factors = accounting.factors(accounting.current_factor_set())
    if factors:
        sheet.append([factors[0].key, 1000, factors[0].unit, None, None, _("example: delete this line")])
    listing = book.create_sheet(_("Emission factors"))
    listing.append([_("Factor code"), _("Name"), _("Unit"), _("kg CO2e per unit")])
    for factor in factors:
        listing.append([factor.key, factor.name_en if locale_en else factor.name_zh, factor.unit,
                        float(factor.kgco2e_per_unit)])
    for ws in (sheet, listing):
        ws.column_dimensions["A"].width = 32
        ws.column_dimensions["B"].width = 28
    out = BytesIO()
    book.save(out)
    return out.getvalue()


def import_rows(content: bytes, locale_en: bool) -> tuple[list[ROW], dict[int, list[tuple[str, str]]]]:
    """The workbook's lines as form rows, and {row index: [(field, message)]} for the bad ones
    (messages name the line: "Line 3 (spreadsheet row 4): …").

    :raises Invalid: not an XLSX file, too large, or more than bounds.MAX_LINES lines.
    """
    if len(content) > MAX_XLSX_BYTES:
        raise Invalid(_l("The spreadsheet is too large (at most 5 MB)."))
    try:
        sheet = load_workbook(BytesIO(content), read_only=True, data_only=True).worksheets[0]
    except (BadZipFile, InvalidFileException, KeyError, OSError, ValueError, IndexError):
        raise Invalid(_l("This is not an XLSX file made from the template.")) from None
    factors = {f.key: f for f in accounting.factors(accounting.current_factor_set())}
    names = {name.strip().lower(): f for f in factors.values() for name in (f.name_zh, f.name_en)}
    rows: list[ROW] = []
    errors: dict[int, list[tuple[str, str]]] = {}
    for number, cells in enumerate(sheet.iter_rows(min_row=2, max_col=len(COLUMNS), values_only=True), start=2):
        values = [("" if c is None else c) for c in cells] + [""] * (len(COLUMNS) - len(cells))
        if all(str(v).strip() == "" for v in values):
            continue
        if len(rows) >= bounds.MAX_LINES:
            raise Invalid(_l("At most %(n)d lines.", n=bounds.MAX_LINES))
        row, problems = _row(dict(zip([c for c, _h in COLUMNS], values, strict=True)), factors, names)
        label = _("Line %(n)d (spreadsheet row %(row)d)", n=len(rows) + 1, row=number)
        if problems:
            errors[len(rows)] = [(name, f"{label}: {message}") for name, message in problems]
        rows.append(row)
    return rows, errors


def _row(values: ROW, factors: dict, names: dict) -> tuple[ROW, list[tuple[str, str]]]:
    problems: list[tuple[str, str]] = []
    text = str(values["factor_key"]).strip()
    factor = factors.get(text) or names.get(text.lower())
    if factor is None:
        problems.append(("factor_key", _("“%(value)s” is not an emission source of the current factor set "
                                         "(see the sheet of factors in the template).", value=text[:80])))
    row: ROW = {"factor_key": factor.key if factor else text[:80], "note": str(values["note"]).strip()[:500]}
    for name, amount in (("quantity", bounds.ACTIVITY), ("distance_km", bounds.DISTANCE)):
        row[name], problem = _number(values[name], amount)
        if problem:
            problems.append((name, problem))
    unit = str(values["unit"]).strip()
    if factor is not None and unit and unit != factor.unit:
        problems.append(("unit", _("The unit must be the factor's unit, %(unit)s.", unit=factor.unit)))
    row["unit"] = unit[:20] or (factor.unit if factor else "")
    people = values["people"]
    if str(people).strip():
        try:
            row["people"] = int(Decimal(str(people).strip()))
            if not 1 <= row["people"] <= MAX_PEOPLE or row["people"] != Decimal(str(people).strip()):
                raise ValueError
        except (ArithmeticError, ValueError):
            row["people"] = str(people).strip()[:20]
            problems.append(("people", _("A whole number from 1 to %(max)d.", max=MAX_PEOPLE)))
    if row["quantity"] is None and not problems and not (row["distance_km"] and row.get("people")):
        problems.append(("quantity", _("A quantity, or a distance and people.")))
    return row, problems


def _number(value: Any, amount: bounds.Amount) -> tuple[Decimal | None, str | None]:
    if str(value).strip() == "":
        return None, None
    try:  # a spreadsheet's number is a float: its shortest text is what was typed
        return bounds.decimal(repr(value) if isinstance(value, float) else value, amount), None
    except ValueError:
        return str(value).strip()[:40], amount_message(amount)  # shown as typed, beside its error
