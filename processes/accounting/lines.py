"""Shared steps of saving an estimate or an account: evidence, plausibility, storage, digest."""

from __future__ import annotations

import hashlib
import json
from decimal import Decimal
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, select

from models import Event, User, db
from models.accounting import AccountStage, ActivityLine, BoundaryCategory, EmissionCategory, FactorSet
from processes import audit, uploads
from processes.accounting.calculator import AccountResult, Baseline, implausibilities, plain
from processes.errors import Invalid


def event_days(event: Event) -> int:
    """Return the number of event days, first and last included."""
    return (event.ends_on - event.starts_on).days + 1


def upload_id(value: Any, event: Event, field: str, errors: dict[str, list], actor: User | None) -> int | None:
    """Return the id of the upload cited as evidence, attaching it to the event; else note an error.

    Who may cite what is decided in one place, `processes.uploads.cite` (issue #17): the actor's (or
    their organisation's) unattached upload, or one already attached to this event.
    """
    try:
        return uploads.cite(value, event=event, actor=actor, field=field).id
    except Invalid as exc:
        for name, messages in exc.fields.items():
            errors.setdefault(name, []).extend(messages)
        return None


def check_line_evidence(result: AccountResult, event: Event, field: str, errors: dict[str, list],
                        actor: User | None) -> dict[int, int]:
    """Return position → upload id for lines with evidence; note unknown or foreign uploads."""
    found: dict[int, int] = {}
    for line in result.lines:
        if line.evidence is not None:
            number = upload_id(line.evidence, event, f"{field}-{line.position}-evidence", errors, actor)
            if number is not None:
                found[line.position] = number
    return found


def check_boundary(result: AccountResult, boundary: dict[EmissionCategory, tuple[bool, str | None]], field: str,
                   errors: dict[str, list]) -> None:
    """Note lines whose category the boundary excludes."""
    for line in result.lines:
        included, _reason = boundary.get(line.category, (False, None))
        if not included:
            errors.setdefault(f"{field}-{line.position}-factor_key", []).append(
                _l("This factor's category is excluded from the accounting boundary."))


def saved_boundary(event: Event) -> dict[EmissionCategory, tuple[bool, str | None]]:
    rows = db.session.execute(select(BoundaryCategory).filter_by(event_id=event.id)).scalars()
    return {row.category: (row.included, row.reason) for row in rows}


def estimate_baseline(event: Event) -> Baseline | None:
    """The plan's estimate as the account's yardstick (quantity per factor, total), or None without one."""
    rows = db.session.execute(select(ActivityLine.factor_key, ActivityLine.quantity, ActivityLine.tco2e).where(
        ActivityLine.event_id == event.id, ActivityLine.stage == AccountStage.ESTIMATE)).all()
    if not rows:
        return None
    quantities: dict[str, Decimal] = {}
    for key, quantity, _tco2e in rows:
        quantities[key] = quantities.get(key, Decimal(0)) + quantity
    return Baseline(quantities, sum((row.tco2e for row in rows), Decimal(0)))


def confirm_plausibility(result: AccountResult, event: Event, actor: User | None, *, stage: AccountStage,
                         task: str, field: str, confirmed: bool, reason: str | None = None) -> None:
    """Refuse implausible figures unless confirmed with a reason; record the confirmation in the audit
    trail (issue #18: the account against the plan's estimate, tonnes per participant, magnitudes).

    :raises Invalid: on the quantity of each line concerned (``activities-3-quantity``), on
        ``confirm_implausible`` with every problem, and on ``implausible_reason`` when confirmed without one.
    """
    baseline = estimate_baseline(event) if stage == AccountStage.ACTUAL else None
    problems = implausibilities(result, event_days(event), participants=event.participants, baseline=baseline,
                                field=field)
    if not problems:
        return
    reason = (reason or "").strip()
    if not confirmed or not reason:
        errors: dict[str, list] = {}
        for problem in problems:
            for name in problem.fields:
                errors.setdefault(name, []).append(problem.message)
        errors["confirm_implausible"] = [p.message for p in problems]
        if confirmed:
            errors["implausible_reason"] = [_l("Say why these figures are right.")]
        raise Invalid(_l("Some figures are far from what is plausible (see the marked lines): correct them, or "
                         "confirm them and say why they are right (in the API: \"confirm_implausible\": true and "
                         "\"implausible_reason\")."), errors)
    audit.record(actor, "accounting.implausible_confirmed", event=event, task=task, reason=reason,
                 data={"stage": stage.value, "total_tco2e": str(result.total), "limits": [p.code for p in problems],
                       "details": [p.detail for p in problems]})


def replace_lines(event: Event, stage: AccountStage, result: AccountResult, factor_set: FactorSet,
                  evidence: dict[int, int]) -> None:
    """Replace the event's lines of this stage, copying each factor's value as used."""
    db.session.execute(delete(ActivityLine).where(ActivityLine.event_id == event.id, ActivityLine.stage == stage))
    for line in result.lines:
        db.session.add(ActivityLine(
            event_id=event.id, stage=stage, position=line.position, category=line.category,
            factor_key=line.factor_key, factor_set_id=factor_set.id, quantity=line.quantity, unit=line.unit,
            distance_km=line.distance_km, people=line.people, kgco2e_per_unit=line.kgco2e_per_unit,
            tco2e=line.tco2e, assumption=line.assumption, note=line.note,
            evidence_upload_id=evidence.get(line.position),
        ))
    db.session.flush()


def lines_json(result: AccountResult, evidence: dict[int, int]) -> list[dict[str, Any]]:
    return [
        {"factor_key": r.factor_key, "quantity": plain(r.quantity), "unit": r.unit,
         "kgco2e_per_unit": plain(r.kgco2e_per_unit), "tco2e": str(r.tco2e), "assumption": r.assumption,
         "note": r.note, "evidence": evidence.get(r.position)}
        for r in result.lines
    ]


def result_json(result: AccountResult) -> dict[str, Any]:
    return {"total_tco2e": str(result.total),
            "by_category": {c.value: str(v) for c, v in result.by_category.items()}}


def digest(payload: dict[str, Any]) -> str:
    """Return the SHA-256 of the canonical JSON of the saved data (for the audit entry)."""
    raw = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()
