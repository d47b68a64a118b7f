"""An event's emissions as the API and the pages show them: estimate vs. actual, by category,
boundary, and reductions planned vs. achieved (R-PLAN-1, R-RED-1, R-ACC-1)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from models import Event, db
from models.accounting import AccountStage, ActivityLine, BoundaryCategory, EmissionCategory, ReductionMeasure
from processes.accounting.calculator import round_tonnes, sum_tonnes, tonnes


def stage_lines(event: Event, stage: AccountStage) -> list[ActivityLine]:
    """Return the event's stored lines of one stage, in form order."""
    return list(db.session.execute(
        select(ActivityLine).filter_by(event_id=event.id, stage=stage).order_by(ActivityLine.position)).scalars())


def stage_totals(lines: list[ActivityLine]) -> tuple[dict[EmissionCategory, Decimal], Decimal] | None:
    """Return (per category, total) recomputed from the stored quantities and factor values,
    each sum rounded once; None when the stage has no lines."""
    if not lines:
        return None
    by_category, total = sum_tonnes((line.category, tonnes(line.quantity, line.kgco2e_per_unit)) for line in lines)
    return by_category, round_tonnes(total)


def _text(value: Decimal | None) -> str | None:
    return None if value is None else str(round_tonnes(value))


def measures_json(event: Event) -> list[dict[str, Any]]:
    rows = db.session.execute(
        select(ReductionMeasure).filter_by(event_id=event.id).order_by(ReductionMeasure.position)).scalars()
    return [{"id": m.id, "kind": m.kind.value, "description": m.description,
             "expected_tco2e": _text(m.expected_tco2e), "achieved_tco2e": _text(m.achieved_tco2e),
             "evidence": m.evidence_upload_id} for m in rows]


def boundary_json(event: Event) -> list[dict[str, Any]]:
    rows = {row.category: row for row in db.session.execute(
        select(BoundaryCategory).filter_by(event_id=event.id)).scalars()}
    return [{"category": c.value, "included": rows[c].included, "reason": rows[c].reason}
            for c in EmissionCategory if c in rows]


def emissions_summary(event: Event) -> dict[str, Any]:
    """Return the event's ``emissions`` object (API.md); t CO2e as decimal strings, never floats.

    ``by_category`` lists all six categories; a stage not yet saved gives null figures.
    ``factor_set`` is the version the actual account used, else the estimate's, else null.
    """
    lines: dict[AccountStage, list[ActivityLine]] = {stage: [] for stage in AccountStage}
    for line in db.session.execute(select(ActivityLine).filter_by(event_id=event.id)
                                   .options(joinedload(ActivityLine.factor_set))
                                   .order_by(ActivityLine.position, ActivityLine.id)).scalars():
        lines[line.stage].append(line)  # both stages in one query, each in form order
    totals = {stage: stage_totals(lines[stage]) for stage in AccountStage}

    def figure(stage: AccountStage, category: EmissionCategory) -> str | None:
        found = totals[stage]
        return None if found is None else _text(found[0].get(category, Decimal(0)))

    used = lines[AccountStage.ACTUAL] or lines[AccountStage.ESTIMATE]
    return {
        "estimated_tco2e": _text(totals[AccountStage.ESTIMATE][1]) if totals[AccountStage.ESTIMATE] else None,
        "actual_tco2e": _text(totals[AccountStage.ACTUAL][1]) if totals[AccountStage.ACTUAL] else None,
        "by_category": {c.value: {"estimated": figure(AccountStage.ESTIMATE, c),
                                  "actual": figure(AccountStage.ACTUAL, c)} for c in EmissionCategory},
        "factor_set": used[0].factor_set.number if used else None,
        "boundary": boundary_json(event),
        "measures": measures_json(event),
    }
