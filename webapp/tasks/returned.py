"""What a returned plan needs (issues #15 and #18): the previous submission as the form's starting
point, and the reviewers' decisions and comments of the round that returned it."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import func, select

from models import AuditEntry, Decision, Event, HumanTask, db
from models.accounting import AccountStage, ActivityLine, BoundaryCategory, EmissionCategory, ReductionMeasure
from models.offsets import OffsetPlanLine
from processes.accounting.calculator import plain
from processes.workflow import REVIEW_TASKS

PLAN_TASK = "prepare_plan"
SINK_INSTRUMENTS = ("new_forestry_sink", "new_marine_sink")


def _number(value: Decimal | None) -> str | None:
    return None if value is None else plain(value)  # 350.000000 → "350": as typed, within every field's places


def _ordered(model: Any, event: Event, *where: Any) -> list[Any]:
    return list(db.session.execute(select(model).where(model.event_id == event.id, *where)
                                   .order_by(model.position, model.id)).scalars())


def previous_plan(event: Event) -> dict[str, Any] | None:
    """The plan as last submitted, in the form's JSON shape (the API's `draft`), or None if the
    organizer has not submitted one yet."""
    boundary = {row.category: row for row in db.session.execute(
        select(BoundaryCategory).where(BoundaryCategory.event_id == event.id)).scalars()}
    if not boundary:
        return None
    offset_plan = [{"instrument": line.instrument.value, "quantity_tco2e": _number(line.quantity_tco2e),
                    "reason": line.reason} for line in _ordered(OffsetPlanLine, event)]
    return {
        "boundary": [{"category": c.value, "included": boundary[c].included, "reason": boundary[c].reason}
                     for c in EmissionCategory if c in boundary],
        "estimate": [{"factor_key": line.factor_key, "quantity": _number(line.quantity), "unit": line.unit,
                      "distance_km": _number(line.distance_km), "people": line.people, "note": line.note,
                      "evidence": line.evidence_upload_id}
                     for line in _ordered(ActivityLine, event, ActivityLine.stage == AccountStage.ESTIMATE)],
        "measures": [{"kind": m.kind.value, "description": m.description, "expected_tco2e": _number(m.expected_tco2e)}
                     for m in _ordered(ReductionMeasure, event)],
        "offset_plan": offset_plan,
        "new_sink_project": _chose_new_sink(event, offset_plan),
        "verifier_body": event.verifier_body_id,
    }


def _chose_new_sink(event: Event, offset_plan: list[dict[str, Any]]) -> bool:
    """The box is not stored; the routing recorded with the submission says what it meant."""
    if any(line["instrument"] in SINK_INSTRUMENTS for line in offset_plan):
        return True
    detail = db.session.execute(select(AuditEntry.detail).where(
        AuditEntry.event_id == event.id, AuditEntry.action == "task.completed", AuditEntry.task == PLAN_TASK)
        .order_by(AuditEntry.seq.desc()).limit(1)).scalar()
    return bool(((detail or {}).get("routing") or {}).get("uses_new_sink"))


def last_review_round(task: HumanTask) -> dict[str, Any] | None:
    """For a re-opened plan: the round that returned it, with each reviewer's decision and comment."""
    if task.name != PLAN_TASK or task.status != "open":
        return None
    last = db.session.execute(select(func.max(Decision.round)).where(
        Decision.event_id == task.event_id, Decision.task.in_(REVIEW_TASKS))).scalar()
    if last is None:
        return None
    rows = db.session.execute(select(Decision).where(
        Decision.event_id == task.event_id, Decision.round == last, Decision.task.in_(REVIEW_TASKS))
        .order_by(Decision.id)).scalars().all()
    if not any(row.decision == "return" for row in rows):
        return None
    return {"round": last, "decisions": rows}


def returned_json(task: HumanTask) -> dict[str, Any] | None:
    """`returned` of `GET /api/v1/tasks/{id}`: null unless the task is a plan sent back for changes."""
    review = last_review_round(task)
    if review is None:
        return None
    return {"round": review["round"], "decisions": [
        {"task": d.task, "decision": d.decision, "comment": d.comment, "decided_by": d.decided_by.display_name,
         "decided_at": d.created_at.isoformat() if d.created_at else None} for d in review["decisions"]]}
