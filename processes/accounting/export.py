"""The account as CSV and XLSX: every line with its factor and source, the per-category
subtotals and the total (issue 5, "Export"), headed and worded in the UI's language (issue 18)."""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, select

from models import Event, db
from models.accounting import (
    AccountStage,
    ActivityLine,
    EmissionCategory,
    EmissionFactor,
    FactorSet,
    FactorStatus,
    ReductionKind,
)
from processes.accounting.calculator import plain, round_tonnes
from processes.accounting.summary import boundary_json, measures_json, stage_lines, stage_totals
from processes.spreadsheet import add_sheet, empty_workbook, safe_cell, workbook_bytes

COLUMNS = ("stage", "line", "category", "factor_key", "factor_name_zh", "factor_name_en", "factor_set",
           "quantity", "unit", "distance_km", "people", "kgco2e_per_unit", "gases", "source", "year", "status",
           "assumption", "note", "evidence_upload_id", "tco2e")
HEADINGS = {
    "stage": _l("Stage"), "line": _l("Line"), "category": _l("Category"), "factor_key": _l("Factor key"),
    "factor_name_zh": _l("Factor (Chinese)"), "factor_name_en": _l("Factor (English)"),
    "factor_set": _l("Factor set"), "quantity": _l("Quantity"), "unit": _l("Unit"),
    "distance_km": _l("Distance (km)"), "people": _l("People"), "kgco2e_per_unit": _l("kg CO2e per unit"),
    "gases": _l("Gases"), "source": _l("Source"), "year": _l("Year"), "status": _l("Factor status"),
    "assumption": _l("Assumption"), "note": _l("Note"), "evidence_upload_id": _l("Evidence (file no.)"),
    "tco2e": _l("t CO2e"),
}


def _stage(event: Event, stage: AccountStage | str | None) -> AccountStage:
    """Return the stage asked for; by default the actual account if saved, else the estimate."""
    if stage is not None:
        return AccountStage(stage)
    return AccountStage.ACTUAL if stage_lines(event, AccountStage.ACTUAL) else AccountStage.ESTIMATE


def account_rows(event: Event, stage: AccountStage | str | None = None) -> list[dict[str, Any]]:
    """Return one row per line (numbered from 1): the activity, the factor used, its source and the t CO2e."""
    stage = _stage(event, stage)
    rows = db.session.execute(
        select(ActivityLine, EmissionFactor, FactorSet.number)
        .join(FactorSet, FactorSet.id == ActivityLine.factor_set_id)
        .outerjoin(EmissionFactor, and_(EmissionFactor.set_id == ActivityLine.factor_set_id,
                                        EmissionFactor.key == ActivityLine.factor_key))
        .where(ActivityLine.event_id == event.id, ActivityLine.stage == stage)
        .order_by(ActivityLine.position)
    ).all()
    return [{
        "stage": stage.value, "line": line.position + 1, "category": line.category.value,
        "factor_key": line.factor_key, "factor_name_zh": factor.name_zh if factor else None,
        "factor_name_en": factor.name_en if factor else None, "factor_set": number,
        "quantity": line.quantity, "unit": line.unit, "distance_km": line.distance_km, "people": line.people,
        "kgco2e_per_unit": line.kgco2e_per_unit, "gases": factor.gases if factor else None,
        "source": factor.source if factor else None, "year": factor.year if factor else None,
        "status": factor.status.value if factor else None, "assumption": line.assumption, "note": line.note,
        "evidence_upload_id": line.evidence_upload_id, "tco2e": line.tco2e,
    } for line, factor, number in rows]


def _total_rows(event: Event, stage: AccountStage) -> list[dict[str, Any]]:
    """Return the subtotal row of each category and the total row (each rounded once)."""
    totals = stage_totals(stage_lines(event, stage))
    if totals is None:
        return []
    by_category, total = totals
    rows = [{"stage": stage.value, "line": "subtotal", "category": c.value, "tco2e": v}
            for c, v in by_category.items()]
    return rows + [{"stage": stage.value, "line": "total", "tco2e": total}]


def _cell(column: str, value: Any) -> Any:
    if not isinstance(value, Decimal):
        return safe_cell(value)
    return str(round_tonnes(value)) if column == "tco2e" else plain(value)


def _in_words(row: dict[str, Any]) -> dict[str, Any]:
    """A row of `account_rows`/`_total_rows` with its coded values in the UI's language."""
    words = dict(row)
    words["stage"] = AccountStage(row["stage"]).title
    if row.get("category"):
        words["category"] = EmissionCategory(row["category"]).title
    if row.get("status"):
        words["status"] = FactorStatus(row["status"]).title
    words["line"] = {"subtotal": _("Subtotal"), "total": _("Total")}.get(row["line"], row["line"])
    return words


def _headings() -> list[str]:
    return [str(HEADINGS[c]) for c in COLUMNS]


def export_csv(event: Event, stage: AccountStage | str | None = None) -> str:
    """Return the account as CSV text (encode as UTF-8 with BOM for spreadsheet programs)."""
    stage = _stage(event, stage)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(_headings())
    for row in account_rows(event, stage) + _total_rows(event, stage):
        words = _in_words(row)
        writer.writerow([_cell(c, words.get(c)) for c in COLUMNS])
    return out.getvalue()


def export_xlsx(event: Event, stage: AccountStage | str | None = None) -> bytes:
    """Return the account as an XLSX workbook: account lines and totals, boundary, reductions, the event."""
    stage = _stage(event, stage)
    workbook = empty_workbook()
    lines = [_in_words(row) for row in account_rows(event, stage) + _total_rows(event, stage)]
    account = add_sheet(workbook, _("Account"), _headings(), [[row.get(c) for c in COLUMNS] for row in lines])
    tonnes_column = COLUMNS.index("tco2e") + 1
    for (cell,) in account.iter_rows(min_row=2, min_col=tonnes_column, max_col=tonnes_column):
        cell.number_format = "0.000"
    yes, no = _("yes"), _("no")
    add_sheet(workbook, _("Boundary"), [_("Category"), _("Included in the boundary"), _("Reason for excluding it")],
              [[EmissionCategory(b["category"]).title, yes if b["included"] else no, b["reason"]]
               for b in boundary_json(event)])
    add_sheet(workbook, _("Reductions"), [_("Measure"), _("Description"), _("Expected reduction (t CO2e)"),
                                          _("Achieved reduction (t CO2e)"), _("Evidence (file no.)")],
              [[ReductionKind(m["kind"]).title if m["kind"] else None, m["description"], _number(m["expected_tco2e"]),
                _number(m["achieved_tco2e"]), m["evidence"]] for m in measures_json(event)])
    add_sheet(workbook, _("Event"), [_("Field"), _("Value")],
              [[_("Event no."), event.id], [_("Event"), event.name], [_("Starts on"), event.starts_on.isoformat()],
               [_("Ends on"), event.ends_on.isoformat()], [_("Venue"), event.venue], [_("Stage"), stage.title]])
    return workbook_bytes(workbook)


def _number(text: str | None) -> Decimal | None:
    return None if text is None else Decimal(text)
