"""Report tables as the pages show them and as XLSX: one definition, so the page, its charts and
the export always carry the same figures."""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from processes.dates import LOCAL_TZ

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
    key: str
    title: Any
    columns: list[Column]
    rows: list[list[Any]]
    chart: Chart | None = None
    note: Any = None
    totals: list[Any] | None = field(default=None)

    def column(self, key: str) -> list[Any]:
        """Return one column's values (without the totals row)."""
        index = [c.key for c in self.columns].index(key)
        return [row[index] for row in self.rows]


def _cell(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(LOCAL_TZ).replace(tzinfo=None) if value.tzinfo else value
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
    book = Workbook()
    first = book.active
    used: set[str] = set()
    first.title = _sheet_title(about[0][1] if about else "Report", used)
    for label, value in about:
        first.append([str(label), _cell(value)])
    first.column_dimensions["A"].width = 24
    first.column_dimensions["B"].width = 40
    for table in tables:
        sheet = book.create_sheet(_sheet_title(table.title, used))
        sheet.append([str(c.title) for c in table.columns])
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for row in table.rows + ([table.totals] if table.totals else []):
            sheet.append([_cell(v) for v in row])
        if table.totals:
            for cell in sheet[sheet.max_row]:
                cell.font = Font(bold=True)
        for index, column in enumerate(table.columns, start=1):
            letter = get_column_letter(index)
            sheet.column_dimensions[letter].width = 14 if column.numeric else 28
            if column.kind in NUMBER_FORMATS:
                for (cell,) in sheet.iter_rows(min_row=2, min_col=index, max_col=index):
                    cell.number_format = NUMBER_FORMATS[column.kind]
        sheet.freeze_panes = "A2"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
