"""What completing each user task means for the domain: validate, write, and return the routing
variables the diagram's gateways read. One function per BPMN user-task id (API.md task table)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from models import Commitment, Decision, Evaluation, Event, HumanTask, User, VerifierBody, db
from models.offsets import Instrument, OffsetPlanLine
from models.uploads import Upload
from processes import accounting, audit, duties, funding, offsets, serials, signals, sinks, uploads
from processes.commitment import declaration_text, digest
from processes.dates import local_today
from processes.errors import Invalid
from processes.tiers import Tier

SINK_INSTRUMENTS = {Instrument.NEW_FORESTRY_SINK, Instrument.NEW_MARINE_SINK}
MAX_TCO2E = Decimal(10) ** 9  # no event emits a billion tonnes: a larger figure is a typo
SINK_VALUES = {i.value for i in SINK_INSTRUMENTS}


def _review_round(event: Event) -> int:
    """1 + the number of times the plan was sent back (each return re-opens prepare_plan)."""
    done = db.session.execute(
        select(func.count()).select_from(HumanTask).where(
            HumanTask.event_id == event.id, HumanTask.name == "prepare_plan", HumanTask.status == "completed")
    ).scalar_one()
    return max(done, 1)


def _decide(event: Event, task: HumanTask, actor: User, decision: str, comment: str | None,
            **extra: Any) -> Decision:
    row = Decision(event_id=event.id, human_task_id=task.id, task=task.name, round=_review_round(event),
                   department_id=task.department_id, decided_by_id=actor.id, decision=decision,
                   comment=(comment or "").strip() or None, **extra)
    db.session.add(row)
    return row


def _decision(data: dict[str, Any]) -> tuple[str, str | None]:
    decision, comment = data.get("decision"), (data.get("comment") or "").strip()
    if decision not in ("approve", "return"):
        raise Invalid(_l("Choose approve or return."), {"decision": [_l("Choose approve or return.")]})
    if decision == "return" and not comment:
        raise Invalid(_l("Say why the plan is returned."), {"comment": [_l("A comment is required when returning.")]})
    return decision, comment or None


def _upload(value: Any, event: Event, field: str, actor: User) -> Upload:
    """The evidence an upload id names, under the one citing rule (`uploads.cite`)."""
    return uploads.cite(value, event=event, actor=actor, field=field)


# --------------------------------------------------------------------------- Organizer: plan
def prepare_plan(event: Event, task: HumanTask, actor: User, data: dict[str, Any], now: datetime) -> dict[str, Any]:
    """R-PLAN-1: boundary, estimate, measures, offset method; R-TIER-1: the commissioned body."""
    errors: dict[str, list] = {}
    body_id = data.get("verifier_body") or event.verifier_body_id  # commissioned already (e.g. at a new count)
    if event.tier == Tier.THIRD_PARTY:
        body = db.session.get(VerifierBody, body_id) if isinstance(body_id, int) else None
        if body is None:
            errors["verifier_body"] = [_l("Events of 500 or more participants commission an accredited body.")]
        elif not body.is_accredited_between(event.starts_on, event.ends_on):
            errors["verifier_body"] = [_l("This body's accreditation does not cover the event's dates.")]
        elif (conflict := duties.conflict_of(body, event)) is not None:
            errors["verifier_body"] = [_l("This body declared a conflict of interest with your organisation "
                                          "(%(reason)s) and cannot evaluate this event.", reason=conflict.reason)]
        else:
            event.verifier_body_id = body.id
    offset_lines = data.get("offset_plan") or []
    new_sink = bool(data.get("new_sink_project")) or any(
        line.get("instrument") in SINK_VALUES for line in offset_lines)
    uses_units = any(line.get("instrument") not in SINK_VALUES for line in offset_lines)
    if not uses_units and not new_sink:
        errors["offset_plan"] = [_l("Choose how the emissions will be offset.")]  # R-OFF-1
    if errors:
        raise Invalid(_l("Please correct the marked fields."), errors)
    accounting.save_plan_accounting(event, data.get("boundary") or [], data.get("estimate") or [],
                                    data.get("measures") or [], actor,
                                    confirm_implausible=bool(data.get("confirm_implausible")),
                                    implausible_reason=data.get("implausible_reason"))
    offsets.replace_offset_plan(event, offset_lines, actor)
    return {"uses_units": uses_units, "uses_new_sink": new_sink}


# --------------------------------------------------------------------------- departments: sign-off
def _review(variable: str):  # noqa: ANN202
    def handler(event: Event, task: HumanTask, actor: User, data: dict[str, Any], now: datetime) -> dict[str, Any]:
        decision, comment = _decision(data)
        extra: dict[str, Any] = {}
        if task.name == "review_funding" and decision == "approve":
            amount = data.get("amount_cny")
            if not isinstance(amount, Decimal) or amount < 0:
                raise Invalid(_l("State the amount of funding."), {"amount_cny": [_l("A non-negative amount.")]})
            funding.check_grant(event, task, actor, amount, data.get("over_request_reason"))
            extra["amount_cny"] = amount
        _decide(event, task, actor, decision, comment, **extra)
        if decision == "return":
            audit.record(actor, "plan.returned", event=event, task=task.name, reason=comment)
        return {variable: decision}

    return handler


# --------------------------------------------------------------------------- Organizer: after the event
def report_reductions(event: Event, task: HumanTask, actor: User, data: dict[str, Any], now: datetime) -> dict:
    """R-RED-1: achieved reductions against the planned measures, with evidence."""
    accounting.report_reductions(event, data.get("measures") or [], actor)
    return {}


def account_emissions(event: Event, task: HumanTask, actor: User, data: dict[str, Any], now: datetime) -> dict:
    """R-ACC-1: the actual account, basis of the offset."""
    accounting.save_account(event, data.get("activities") or [], actor,
                            confirm_implausible=bool(data.get("confirm_implausible")),
                            implausible_reason=data.get("implausible_reason"))
    return {}


def _accounted(event: Event) -> Decimal:
    return Decimal(accounting.emissions_summary(event)["actual_tco2e"] or "0")


def _sink_allowance(event: Event) -> Decimal:
    """What a sink project of the plan is expected to cover while it is not yet validated: its
    validated tonnes once validated, else its registered estimate, else the plan's sink lines."""
    project = sinks.project_of(event)
    if project is not None:
        return sinks.sink_covered_tco2e(event) if project.validated_tco2e is not None else project.expected_tco2e
    planned = db.session.execute(select(func.coalesce(func.sum(OffsetPlanLine.quantity_tco2e), 0)).where(
        OffsetPlanLine.event_id == event.id, OffsetPlanLine.instrument.in_(SINK_INSTRUMENTS))).scalar_one()
    return Decimal(planned)


def cancel_units(event: Event, task: HumanTask, actor: User, data: dict[str, Any], now: datetime) -> dict:
    """R-CAN-1, R-CAN-2, R-OFF-4, R-TIME-1: cancelled units cover the account (less the sink
    project's share), never twice."""
    offsets.record_cancellations(event, data.get("cancellations") or [], actor, accounted_tco2e=_accounted(event),
                                 sink_covered_tco2e=_sink_allowance(event), today=local_today(now))
    return {}


def register_sink_project(event: Event, task: HumanTask, actor: User, data: dict[str, Any], now: datetime) -> dict:
    """R-OFF-1, R-OFF-2, R-TIME-2: a new forestry or marine sink project, locked to this event."""
    sinks.register_sink_project(event, data, actor, local_today(now))
    return {}


# --------------------------------------------------------------------------- Natural Resources
def validate_sink_project(event: Event, task: HumanTask, actor: User, data: dict[str, Any], now: datetime) -> dict:
    """R-DEPT-NR, R-TIME-2: measurement, monitoring and validation of the sink project."""
    project = sinks.project_of(event)
    if project is None:
        raise Invalid(_l("The organizer has not registered the project yet."), {})
    decision, comment = _decision(data)
    sinks.validate_sink_project(project, data, actor, local_today(now))
    _decide(event, task, actor, decision, comment)
    return {"sink_decision": decision}


# --------------------------------------------------------------------------- confirmation
def third_party_evaluation(event: Event, task: HumanTask, actor: User, data: dict[str, Any],
                           now: datetime) -> dict[str, Any]:
    """R-TIER-1: the accredited body's conclusion; not_neutral returns the event to offsetting."""
    conclusion = data.get("conclusion")
    errors: dict[str, list] = {}
    if conclusion not in ("neutral", "not_neutral"):
        errors["conclusion"] = [_l("Choose neutral or not neutral.")]
    if conclusion == "not_neutral" and not (data.get("comment") or "").strip():
        errors["comment"] = [_l("Give the reasons, so the organizer knows what to offset.")]
    verified = data.get("verified_tco2e")
    if not isinstance(verified, Decimal) or not verified.is_finite() or verified < 0:
        errors["verified_tco2e"] = [_l("The verified emissions in tonnes.")]
    elif verified > MAX_TCO2E or verified.as_tuple().exponent < -3:  # type: ignore[operator]
        errors["verified_tco2e"] = [_l("At most %(max)s t with 3 decimals.", max=f"{MAX_TCO2E:,}")]
    body = actor.verifier_body
    # R-TIER-1: the evaluation is the commissioned body's own; another body's name or number is refused.
    for field, own in (("body_name", body.name), ("accreditation_no", body.accreditation_no)):
        given = (data.get(field) or "").strip()
        if given and serials.compact(given).casefold() != serials.compact(own or "").casefold():
            errors[field] = [_l("The evaluation is the commissioned body's: %(own)s.", own=own or "—")]
    if body.id != event.verifier_body_id:
        errors["conclusion"] = [_l("Only the body the organizer commissioned evaluates this event.")]
    accounted = _accounted(event)
    if "verified_tco2e" not in errors and verified == 0 and accounted > 0:
        errors["verified_tco2e"] = [_l("The account shows %(a)s t: verified emissions of 0 t are not plausible.",
                                       a=offsets.tco2e(accounted))]
    elif ("verified_tco2e" not in errors and accounted > 0 and abs(verified - accounted) > accounted / 2
          and not (data.get("comment") or "").strip()):
        # R-TIER-1: a verified figure far from the account (a typo, or a real finding) is explained.
        errors["comment"] = [_l("The verified emissions (%(v)s t) differ from the account (%(a)s t) by more than "
                                "half: say why.", v=offsets.tco2e(verified), a=offsets.tco2e(accounted))]
    if conclusion == "neutral" and "verified_tco2e" not in errors:
        covered = offsets.covered_tco2e(offsets.active_cancellations(event), offsets.validated_sink_tco2e(event))
        if covered < verified:
            errors["conclusion"] = [_l("Not neutral: the cancelled units and the validated sink (%(c)s t) fall "
                                       "%(m)s t short of the verified emissions (%(v)s t).", c=offsets.tco2e(covered),
                                       m=offsets.tco2e(verified - covered), v=offsets.tco2e(verified))]
    if errors:
        raise Invalid(_l("Please correct the marked fields."), errors)
    report = _upload(data.get("report"), event, "report", actor)
    db.session.add(Evaluation(
        event_id=event.id, verifier_body_id=body.id, body_name=body.name,
        accreditation_no=body.accreditation_no, report_upload_id=report.id,
        verified_tco2e=verified, conclusion=conclusion, comment=(data.get("comment") or "").strip() or None,
        evaluated_by_id=actor.id))
    _decide(event, task, actor, conclusion, data.get("comment"))
    audit.record(actor, f"evaluation.{conclusion}", event=event, task=task.name, reason=data.get("comment"),
                 data={"verified_tco2e": str(verified), "report_sha256": report.sha256})
    signals.evaluation_concluded.send(event, conclusion=conclusion, comment=data.get("comment"))
    return {"conclusion": conclusion}


def _earliest_neutral_on(event: Event, cancellations: list) -> date:
    """R-TIER-2: the day neutrality can have been reached: the event's last day, or later the last
    cancellation or the sink project's validation."""
    project = sinks.project_of(event)
    days = [event.ends_on, *(c.cancelled_on for c in cancellations)]
    if project is not None and project.validated_on is not None:
        days.append(project.validated_on)
    return max(days)


def sign_commitment(event: Event, task: HumanTask, actor: User, data: dict[str, Any], now: datetime) -> dict:
    """R-TIER-2: the organizer signs the generated declaration; it is stored with its hash."""
    errors: dict[str, list] = {}
    if data.get("truthful") is not True:
        errors["truthful"] = [_l("The organizer must declare that the commitment is true.")]
    method = (data.get("confirmation_method") or "").strip()
    if not method:
        errors["confirmation_method"] = [_l("Required.")]
    neutral_on = data.get("neutral_on")
    cancellations = offsets.active_cancellations(event)
    earliest = _earliest_neutral_on(event, cancellations)
    if not isinstance(neutral_on, date):
        errors["neutral_on"] = [_l("A date is required.")]
    elif neutral_on > local_today(now):
        errors["neutral_on"] = [_l("Neutrality cannot be reached in the future.")]
    elif neutral_on < earliest:  # R-TIER-2: reached once the event is over and its last units cancelled
        errors["neutral_on"] = [_l("Neutrality is reached on %(d)s at the earliest (the event's end, its last "
                                   "cancellation or the sink's validation).", d=earliest.isoformat())]
    covered = offsets.covered_tco2e(cancellations, offsets.validated_sink_tco2e(event))
    if covered < _accounted(event):
        errors["truthful"] = [_l("The cancelled units (%(c)s t) do not yet cover the accounted emissions (%(a)s t).",
                                 c=covered, a=_accounted(event))]
    if errors:
        raise Invalid(_l("Please correct the marked fields."), errors)
    text = declaration_text(event, method, neutral_on)
    sha = digest(text)
    db.session.add(Commitment(event_id=event.id, declaration=text, sha256=sha, confirmation_method=method,
                              neutral_on=neutral_on, signed_by_id=actor.id))
    audit.record(actor, "commitment.signed", event=event, task=task.name,
                 data={"sha256": sha, "requirement": "R-TIER-2"})
    return {}


# --------------------------------------------------------------------------- correction of the account
def review_correction(event: Event, task: HumanTask, actor: User, data: dict[str, Any], now: datetime) -> dict:
    """R-ACC-1, R-DEPT-EEB: EEB approves or refuses the organizer's request to correct the account."""
    decision, comment = data.get("decision"), (data.get("comment") or "").strip()
    if decision not in ("approve", "return"):
        raise Invalid(_l("Choose approve or return."), {"decision": [_l("Choose approve or return.")]})
    if decision == "return" and not comment:
        raise Invalid(_l("Say why the correction is refused."), {"comment": [_l("A comment is required.")]})
    _decide(event, task, actor, decision, comment)
    audit.record(actor, "account.correction_approved" if decision == "approve" else "account.correction_refused",
                 event=event, task=task.name, reason=comment or None, data={"requirement": "R-ACC-1"})
    return {"correction_decision": decision}


def correct_account(event: Event, task: HumanTask, actor: User, data: dict[str, Any], now: datetime) -> dict:
    """R-ACC-1: the corrected account replaces the submitted one; both stay in the history (each save
    is audited with its lines and totals) and every figure derived from it follows."""
    before = accounting.emissions_summary(event)["actual_tco2e"]
    account_emissions(event, task, actor, data, now)
    audit.record(actor, "account.corrected", event=event, task=task.name,
                 data={"from_tco2e": before, "to_tco2e": accounting.emissions_summary(event)["actual_tco2e"]})
    return {}


# --------------------------------------------------------------------------- overdue follow-up
def follow_up_overdue(event: Event, task: HumanTask, actor: User, data: dict[str, Any], now: datetime) -> dict:
    """R-TIME-1/R-TIME-2: the supervising department records what it did about a missed deadline."""
    action = (data.get("action_taken") or "").strip()
    if not action:
        raise Invalid(_l("Say what was done."), {"action_taken": [_l("Required.")]})
    _decide(event, task, actor, "done", f"{action}\n{data.get('comment') or ''}".strip())
    return {}


HANDLERS = {
    "prepare_plan": prepare_plan,
    "review_plan_sector": _review("sector_decision"),
    "review_plan_eeb": _review("eeb_decision"),
    "review_funding": _review("funding_decision"),
    "report_reductions": report_reductions,
    "account_emissions": account_emissions,
    "cancel_units": cancel_units,
    "cancel_remainder": cancel_units,  # the same ledger rules; the diagram opens it for a shortfall
    "review_correction": review_correction,
    "correct_account": correct_account,
    "register_sink_project": register_sink_project,
    "validate_sink_project": validate_sink_project,
    "third_party_evaluation": third_party_evaluation,
    "sign_commitment": sign_commitment,
    "follow_up_overdue": follow_up_overdue,
}
