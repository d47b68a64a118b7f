"""Report tables as the pages show them and as XLSX: one definition, so the page, its charts and
the export always carry the same figures."""

from __future__ import annotations

import io
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import IO, Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from processes.localtime import local_naive

NUMBER_FORMATS = {"tonnes": "#,##0.000", "percent": "0.0", "int": "0", "event_id": "0", "date": "yyyy-mm-dd",
                  "datetime": "yyyy-mm-dd hh:mm"}
_SHEET_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")


@dataclass(frozen=True)
class Column:
    """A column: `kind` is text, int, tonnes, percent, date, datetime, or event_id (linked on the page)."""

    key: str
    title: Any
    kind: str = "text"

    @property
    def numeric(self) -> bool:
        return self.kind in ("int", "tonnes", "percent", "event_id")


@dataclass(frozen=True)
class Chart:
    """A Chart.js chart of a table: `kind` bar, pie or doughnut; one dataset per series."""

    kind: str
    labels: list[str]
    datasets: list[tuple[str, list[Any]]]
    stacked: bool = False
    horizontal: bool = False
    unit: str = ""

    def config(self) -> dict[str, Any]:
        """Return the chart as JSON-ready data for static/js/charts.js (numbers as floats, display only)."""
        return {"type": self.kind, "labels": [str(label) for label in self.labels],
                "datasets": [{"label": str(label), "data": [float(v or 0) for v in values]}
                             for label, values in self.datasets],
                "stacked": self.stacked, "horizontal": self.horizontal, "unit": self.unit}


@dataclass
class Table:
    """A titled table; `rows` is a list on pages (maybe the first rows only: `count` has how many there
    are in all) and may be any iterable for an export, which reads it once, row by row."""

    key: str
    title: Any
    columns: list[Column]
    rows: Iterable[list[Any]]
    chart: Chart | None = None
    note: Any = None
    totals: list[Any] | None = field(default=None)
    count: int | None = None

    @property
    def total(self) -> int:
        """How many rows the table has in all (those shown may be fewer)."""
        return self.count if self.count is not None else len(self.rows)  # type: ignore[arg-type]

    def column(self, key: str) -> list[Any]:
        """Return one column's values (without the totals row)."""
        index = [c.key for c in self.columns].index(key)
        return [row[index] for row in self.rows]


def _cell(value: Any) -> Any:
    if isinstance(value, datetime):
        return local_naive(value) if value.tzinfo else value  # aware: an instant, shown in the display zone
    if value is None or isinstance(value, int | float | Decimal | str) or hasattr(value, "isoformat"):
        return value
    return str(value)  # lazy translations and the like


def _sheet_title(title: Any, used: set[str]) -> str:
    base = _SHEET_FORBIDDEN.sub(" ", str(title)).strip()[:31] or "Sheet"
    name, n = base, 2
    while name.lower() in used:
        suffix = f" ({n})"
        name, n = base[: 31 - len(suffix)] + suffix, n + 1
    used.add(name.lower())
    return name


def workbook(tables: list[Table], about: list[tuple[Any, Any]]) -> bytes:
    """Return an XLSX workbook: a first sheet describing the report (`about` rows), then one sheet per table."""
    out = io.BytesIO()
    write_workbook(tables, about, out)
    return out.getvalue()


def write_workbook(tables: list[Table], about: list[tuple[Any, Any]], out: IO[bytes]) -> None:
    """Write the XLSX workbook to `out` row by row (openpyxl's write-only mode): a table's rows may be
    a generator reading the database in batches, and only the current row is held in memory."""
    book = Workbook(write_only=True)
    used: set[str] = set()
    first = book.create_sheet(_sheet_title(about[0][1] if about else "Report", used))
    first.column_dimensions["A"].width = 24
    first.column_dimensions["B"].width = 40
    for label, value in about:
        first.append([str(label), _cell(value)])
    for table in tables:
        sheet = book.create_sheet(_sheet_title(table.title, used))
        for index, column in enumerate(table.columns, start=1):
            sheet.column_dimensions[get_column_letter(index)].width = 14 if column.numeric else 28
        sheet.freeze_panes = "A2"
        sheet.append([_styled(sheet, str(c.title), bold=True) for c in table.columns])
        formats = [NUMBER_FORMATS.get(column.kind) for column in table.columns]
        for row in table.rows:
            sheet.append([_styled(sheet, _cell(v), number_format=f) if f else _cell(v)
                          for v, f in zip(row, formats, strict=True)])
        if table.totals:
            sheet.append([_styled(sheet, _cell(v), bold=True, number_format=f)
                          for v, f in zip(table.totals, formats, strict=True)])
    book.save(out)


def _styled(sheet: Any, value: Any, *, bold: bool = False, number_format: str | None = None) -> WriteOnlyCell:
    cell = WriteOnlyCell(sheet, value=value)
    if bold:
        cell.font = Font(bold=True)
    if number_format:
        cell.number_format = number_format
    return cell
