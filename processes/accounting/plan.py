"""The plan's accounting part (R-PLAN-1): boundary, estimate, planned reductions; and the
reductions achieved after the event (R-RED-1)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, select

from models import Event, User, db
from models.accounting import AccountStage, BoundaryCategory, EmissionCategory, ReductionKind, ReductionMeasure
from models.db import utcnow
from processes import audit, bounds
from processes.accounting.calculator import (
    AccountResult,
    LineInput,
    blank_row,
    compute,
    decimal_places,
    parse_decimal,
    round_tonnes,
)
from processes.accounting.factors import current_factor_set
from processes.accounting.lines import (
    check_boundary,
    check_line_evidence,
    confirm_plausibility,
    digest,
    lines_json,
    replace_lines,
    result_json,
    upload_id,
)
from processes.errors import Conflict, Invalid

PLAN_TASK = "prepare_plan"
REDUCTIONS_TASK = "report_reductions"
MAX_TONNES = bounds.TONNES.maximum
TRUE = {"1", "true", "y", "yes", "on"}

Boundary = dict[EmissionCategory, tuple[bool, str | None]]


def _flag(value: Any) -> bool:
    return value if isinstance(value, bool) else str(value).strip().lower() in TRUE


def parse_boundary(items: Iterable[str | Mapping[str, Any]] | None, errors: dict[str, list]) -> Boundary:
    """Return category → (included, reason) for all six categories (R-PLAN-1).

    An item is a category name (included) or ``{"category", "included", "reason"}``; without
    ``included``, an item with a reason is an exclusion. Every exclusion needs a reason
    (field ``boundary-<i>-reason``); a category not listed at all is reported on ``boundary``.
    """
    valid = {c.value for c in EmissionCategory}
    decided: Boundary = {}
    for i, item in enumerate(items or []):
        fields = {"category": item} if isinstance(item, str) else dict(item)
        name = str(fields.get("category") or "").strip()
        reason = str(fields.get("reason") or "").strip() or None
        included = _flag(fields["included"]) if fields.get("included") is not None else reason is None
        if name not in valid:
            errors.setdefault(f"boundary-{i}-category", []).append(_l("Unknown category %(name)r.", name=name))
        elif EmissionCategory(name) in decided:
            errors.setdefault(f"boundary-{i}-category", []).append(_l("This category is listed twice."))
        else:
            decided[EmissionCategory(name)] = (included, None if included else reason)
            if not included and not reason:
                errors.setdefault(f"boundary-{i}-reason", []).append(
                    _l("Give the reason for excluding this category, or include it."))
    missing = [c.value for c in EmissionCategory if c not in decided]
    if missing:
        errors.setdefault("boundary", []).append(
            _l("Include these categories or exclude them with a reason: %(names)s", names=", ".join(missing)))
    if decided and not any(included for included, _ in decided.values()):
        errors.setdefault("boundary", []).append(_l("Include at least one category in the boundary."))
    return {c: decided.get(c, (False, None)) for c in EmissionCategory}


def parse_tonnes(value: Any, field: str, errors: dict[str, list]) -> Decimal | None:
    """Return t CO2e ≥ 0 with at most 3 decimals, else note an error."""
    number = parse_decimal(value)
    if number is None:
        errors.setdefault(field, []).append(_l("Enter a number of tonnes CO2e."))
    elif number < 0:
        errors.setdefault(field, []).append(_l("Must not be negative."))
    elif number >= MAX_TONNES:
        errors.setdefault(field, []).append(_l("Too large."))
    elif decimal_places(number) > 3:
        errors.setdefault(field, []).append(_l("At most 3 decimal places (0.001 t)."))
    else:
        return round_tonnes(number)
    return None


def parse_measures(items: Sequence[Mapping[str, Any]] | None, errors: dict[str, list]) -> list[dict[str, Any]]:
    """Validate the planned reduction measures (R-PLAN-1, R-RED-1): kind, description, expected t CO2e."""
    measures = []
    for i, item in enumerate(items or []):
        if blank_row(item):
            continue
        kind = str(item.get("kind") or "").strip()
        if kind not in {k.value for k in ReductionKind}:
            errors.setdefault(f"measures-{i}-kind", []).append(_l("Choose the kind of measure."))
        description = str(item.get("description") or "").strip()
        if not description:
            errors.setdefault(f"measures-{i}-description", []).append(_l("Describe the measure."))
        expected = parse_tonnes(item.get("expected_tco2e"), f"measures-{i}-expected_tco2e", errors)
        measures.append({"kind": kind, "description": description, "expected_tco2e": expected})
    if not measures:
        errors.setdefault("measures", []).append(_l("Plan at least one reduction measure."))
    return measures


def save_plan_accounting(event: Event, boundary: Iterable[str | Mapping[str, Any]] | None,
                         estimate_lines: Sequence[LineInput | Mapping[str, Any]],
                         measures: Sequence[Mapping[str, Any]] | None, actor: User | None, *,
                         confirm_implausible: bool = False, implausible_reason: str | None = None) -> AccountResult:
    """Save the plan's boundary, estimate and measures, replacing the previous draft (R-PLAN-1).

    :raises Conflict: reductions were already reported against the planned measures.
    :raises Invalid: with every bad field (``boundary-…``, ``estimate-<i>-…``, ``measures-<i>-…``), or
        ``confirm_implausible`` when a plausibility limit is exceeded and not confirmed with
        ``implausible_reason``.
    """
    reported = db.session.execute(select(ReductionMeasure.id).where(
        ReductionMeasure.event_id == event.id, ReductionMeasure.achieved_tco2e.is_not(None))).first()
    if reported:
        raise Conflict(_l("Reductions were already reported; the plan can no longer be changed."))
    errors: dict[str, list] = {}
    decided = parse_boundary(boundary, errors)
    planned = parse_measures(measures, errors)
    factor_set = current_factor_set()
    result: AccountResult | None = None
    try:
        result = compute(estimate_lines, factor_set, field="estimate")
    except Invalid as exc:
        errors.update(exc.fields)
    evidence: dict[int, int] = {}
    if result is not None:
        if not result.lines:
            errors.setdefault("estimate", []).append(_l("Estimate at least one source of emissions."))
        check_boundary(result, decided, "estimate", errors)
        evidence = check_line_evidence(result, event, "estimate", errors, actor)
    if errors or result is None:
        raise Invalid(_l("The plan has errors; nothing was saved."), errors)
    confirm_plausibility(result, event, actor, stage=AccountStage.ESTIMATE, task=PLAN_TASK, field="estimate",
                         confirmed=confirm_implausible, reason=implausible_reason)

    db.session.execute(delete(BoundaryCategory).where(BoundaryCategory.event_id == event.id))
    db.session.execute(delete(ReductionMeasure).where(ReductionMeasure.event_id == event.id))
    for category, (included, reason) in decided.items():
        db.session.add(BoundaryCategory(event_id=event.id, category=category, included=included, reason=reason))
    for position, measure in enumerate(planned):
        db.session.add(ReductionMeasure(event_id=event.id, position=position, kind=ReductionKind(measure["kind"]),
                                        description=measure["description"],
                                        expected_tco2e=measure["expected_tco2e"]))
    replace_lines(event, AccountStage.ESTIMATE, result, factor_set, evidence)
    saved = {
        "factor_set": factor_set.number,
        "boundary": {c.value: {"included": inc, "reason": why} for c, (inc, why) in decided.items()},
        "estimate": lines_json(result, evidence),
        "measures": [{**m, "expected_tco2e": str(m["expected_tco2e"])} for m in planned],
    }
    audit.record(actor, "accounting.plan_saved", event=event, task=PLAN_TASK,
                 data={"digest": digest(saved), "factor_set": factor_set.number, "lines": len(result.lines),
                       "measures": len(planned), **result_json(result)})
    return result


@dataclass(frozen=True)
class ReductionsResult:
    measures: tuple[ReductionMeasure, ...]
    expected_tco2e: Decimal
    achieved_tco2e: Decimal


def report_reductions(event: Event, achieved: Sequence[Mapping[str, Any]], actor: User | None) -> ReductionsResult:
    """Record, per planned measure, the t CO2e achieved and its evidence (R-RED-1: planned vs. achieved).

    Every planned measure is reported once; an achievement above zero needs an evidence upload.

    :raises Conflict: the plan has no measures.
    :raises Invalid: ``measures-<i>-measure_id`` / ``-achieved_tco2e`` / ``-evidence``, or ``measures``.
    """
    planned = {m.id: m for m in db.session.execute(
        select(ReductionMeasure).filter_by(event_id=event.id).order_by(ReductionMeasure.position)).scalars()}
    if not planned:
        raise Conflict(_l("The plan has no reduction measures to report on."))
    errors: dict[str, list] = {}
    reports: dict[int, tuple[Decimal | None, int | None]] = {}
    for i, item in enumerate(achieved or []):
        if blank_row(item):
            continue
        measure_id = parse_decimal(item.get("measure_id"))
        measure = planned.get(int(measure_id)) if measure_id is not None and measure_id == int(measure_id) else None
        if measure is None:
            errors.setdefault(f"measures-{i}-measure_id", []).append(_l("Not a planned measure of this event."))
            continue
        if measure.id in reports:
            errors.setdefault(f"measures-{i}-measure_id", []).append(_l("This measure is reported twice."))
            continue
        value = parse_tonnes(item.get("achieved_tco2e"), f"measures-{i}-achieved_tco2e", errors)
        evidence = item.get("evidence")
        upload = None
        if evidence not in (None, ""):
            upload = upload_id(evidence, event, f"measures-{i}-evidence", errors, actor)
        elif value:
            errors.setdefault(f"measures-{i}-evidence", []).append(
                _l("Attach the evidence of what the measure achieved."))
        reports[measure.id] = (value, upload)
    missing = [m.description for m in planned.values() if m.id not in reports]
    if missing:
        errors.setdefault("measures", []).append(
            _l("Report every planned measure; missing: %(names)s", names="; ".join(missing)))
    if errors:
        raise Invalid(_l("The reductions report has errors; nothing was saved."), errors)
    now = utcnow()
    for measure_id, (value, upload) in reports.items():
        measure = planned[measure_id]
        measure.achieved_tco2e, measure.evidence_upload_id, measure.reported_at = value, upload, now
    db.session.flush()
    measures = tuple(planned.values())
    result = ReductionsResult(measures=measures,
                              expected_tco2e=sum((m.expected_tco2e for m in measures), Decimal(0)),
                              achieved_tco2e=sum((m.achieved_tco2e or Decimal(0) for m in measures), Decimal(0)))
    saved = [{"measure_id": m.id, "kind": m.kind.value, "expected_tco2e": str(m.expected_tco2e),
              "achieved_tco2e": str(m.achieved_tco2e), "evidence": m.evidence_upload_id} for m in measures]
    audit.record(actor, "accounting.reductions_reported", event=event, task=REDUCTIONS_TASK,
                 data={"digest": digest({"measures": saved}), "measures": len(saved),
                       "expected_tco2e": str(result.expected_tco2e), "achieved_tco2e": str(result.achieved_tco2e)})
    return result
