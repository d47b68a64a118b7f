"""What the CSV and XLSX exports share: neutralising typed text that a spreadsheet program would run as
a formula, and writing one sheet of a workbook (bold header, frozen first row)."""

from __future__ import annotations

import io
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.worksheet.worksheet import Worksheet

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> Any:
    """Keep spreadsheet programs from running typed text (a note, a name) as a formula (CSV/formula injection)."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def empty_workbook() -> Workbook:
    """Return a workbook without sheets (add them with `add_sheet`)."""
    workbook = Workbook()
    workbook.remove(workbook.active)
    return workbook


def add_sheet(workbook: Workbook, title: str, header: list[str], rows: list[list[Any]]) -> Worksheet:
    """Append a sheet: the header in bold and frozen, then the rows with every cell passed through `safe_cell`."""
    sheet = workbook.create_sheet(title)
    sheet.append(header)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append([safe_cell(value) for value in row])
    sheet.freeze_panes = "A2"
    return sheet


def workbook_bytes(workbook: Workbook) -> bytes:
    """Return the workbook as XLSX file content."""
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
