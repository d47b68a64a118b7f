"""What the public may read about events (R-DIS-1, R-PLAT-1, R-PLAN-1): published plans, and for
disclosed events the neutrality statement, the cancellation records and the confirmation.

Only data meant for publication leaves this module: never a person's name or e-mail, never a
comment, a review decision or an uploaded file (only its SHA-256), never an event whose plan is
not published. The pages and `GET /api/v1/public/...` both read `public_event`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, extract, or_, select

from models import Commitment, Evaluation, Event, EventDeadline, User, db
from models.event import EventStatus, Sector
from models.offsets import OffsetPlanLine
from models.org import LabelledEnum
from models.sinks import SinkProject
from models.uploads import Upload
from processes import accounting, bounds, offsets
from processes.dates import LOCAL_TZ
from processes.errors import Invalid, NotFound
from processes.orgdata import COUNTY_NAMES
from processes.registry import status as registry_status


class PublicStatus(LabelledEnum):
    """An event's stage as the public reads it: honest, with overdue deadlines named as such."""

    PLANNED = "planned"
    REDUCING = "reducing"
    ACCOUNTING = "accounting"
    OFFSETTING = "offsetting"
    CONFIRMING = "confirming"
    CONFIRMED = "confirmed"
    OVERDUE = "overdue"
    VOLUNTARY = "voluntary"
    OUT_OF_SCOPE = "out_of_scope"

    @classmethod
    def _titles(cls) -> dict:
        return {
            cls.PLANNED: _l("Plan published"),
            cls.REDUCING: _l("Under way: reducing emissions"),
            cls.ACCOUNTING: _l("Accounting the emissions"),
            cls.OFFSETTING: _l("Offsetting"),
            cls.CONFIRMING: _l("Offset; awaiting confirmation"),
            cls.CONFIRMED: _l("Carbon neutral (confirmed and disclosed)"),
            cls.OVERDUE: _l("Overdue: a deadline of the plan has passed"),
            cls.VOLUNTARY: _l("Voluntary effort, not confirmed under the plan"),
            cls.OUT_OF_SCOPE: _l("Outside the plan's scope"),
        }


_STAGE = {
    EventStatus.PLANNING: PublicStatus.PLANNED,  # the plan was published, then re-opened (e.g. a new tier)
    EventStatus.PLAN_REVIEW: PublicStatus.PLANNED,
    EventStatus.ACCOUNTING: PublicStatus.ACCOUNTING,
    EventStatus.OFFSETTING: PublicStatus.OFFSETTING,
    EventStatus.CONFIRMING: PublicStatus.CONFIRMING,
    EventStatus.CONFIRMED: PublicStatus.CONFIRMING,  # until disclosed_at is set
    EventStatus.VOLUNTARY: PublicStatus.VOLUNTARY,
    EventStatus.OUT_OF_SCOPE: PublicStatus.OUT_OF_SCOPE,
}
FILTERS = ("q", "year", "sector", "county")


def public_status(event: Event, *, overdue: bool, today: date) -> PublicStatus:
    """Return the event's public stage; `overdue` when one of its deadlines is overdue (R-TIME-1/2)."""
    if event.status == EventStatus.CONFIRMED and event.disclosed_at is not None:
        return PublicStatus.CONFIRMED
    if event.status in (EventStatus.VOLUNTARY, EventStatus.OUT_OF_SCOPE):
        return _STAGE[event.status]
    if overdue:
        return PublicStatus.OVERDUE
    if event.status == EventStatus.REDUCING:
        return PublicStatus.PLANNED if today < event.starts_on else PublicStatus.REDUCING
    return _STAGE[event.status]


def overdue_event_ids(event_ids: Iterable[int]) -> set[int]:
    """Return those of the events that have a deadline whose timer fired before it was met."""
    ids = list(event_ids)
    if not ids:
        return set()
    return set(db.session.execute(select(EventDeadline.event_id).where(
        EventDeadline.event_id.in_(ids), EventDeadline.is_overdue)).scalars())


# --------------------------------------------------------------------------- finding events
def parse_filters(args: Mapping[str, Any]) -> dict[str, Any]:
    """Return the search filters (q, year, sector, county) with empty ones dropped.

    :raises Invalid: a year that is not a number, an unknown sector or county.
    """
    filters: dict[str, Any] = {}
    errors: dict[str, list] = {}
    for name in FILTERS:
        value = str(args.get(name) or "").strip()
        if value:
            filters[name] = value
    if "q" in filters:
        filters["q"] = filters["q"][:100]
    if "year" in filters:
        try:
            filters["year"] = bounds.year(filters["year"])  # bounded: PostgreSQL cannot compare 10**14
        except ValueError:
            errors["year"] = [_l("A year, e.g. 2026.")]
    if "sector" in filters and filters["sector"] not in {s.value for s in Sector}:
        errors["sector"] = [_l("Not one of the allowed values.")]
    if "county" in filters and filters["county"] not in COUNTY_NAMES:
        errors["county"] = [_l("Not one of the allowed values.")]
    if errors:
        raise Invalid(_l("Unknown filter value."), errors)
    return filters


def public_events_query(filters: Mapping[str, Any] | None = None) -> Select:
    """Events whose plan is published (R-PLAN-1), newest first, narrowed by `parse_filters`' result."""
    filters = filters or {}
    query = select(Event).where(Event.plan_published_at.is_not(None))
    if "year" in filters:
        query = query.where(extract("year", Event.starts_on) == filters["year"])
    if "sector" in filters:
        query = query.where(Event.sector == Sector(filters["sector"]))
    if "county" in filters:
        query = query.where(Event.county == filters["county"])
    if "q" in filters:
        pattern = "%" + filters["q"].replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        query = query.where(or_(Event.name.ilike(pattern, escape="\\"), Event.venue.ilike(pattern, escape="\\")))
    return query.order_by(Event.starts_on.desc(), Event.id.desc())


def public_years() -> list[int]:
    """Return the years in which events with a published plan start, newest first (for the filter)."""
    years = db.session.execute(select(extract("year", Event.starts_on)).where(
        Event.plan_published_at.is_not(None)).distinct()).scalars()
    return sorted({int(year) for year in years}, reverse=True)


def get_public_event(event_id: int) -> Event:
    """Return the event if its plan is published.

    :raises NotFound: unknown, or its plan is not published (the same answer, so ids cannot be probed).
    """
    event = db.session.get(Event, event_id)
    if event is None or event.plan_published_at is None:
        raise NotFound(_l("No such published event."))
    return event


# --------------------------------------------------------------------------- what is disclosed
def _day(at: datetime | None) -> str | None:
    return at.astimezone(LOCAL_TZ).date().isoformat() if at else None


def summary_item(event: Event, *, overdue: bool, today: date) -> dict[str, Any]:
    """Return the event's line in the public list."""
    return {
        "id": event.id, "name": event.name, "kind": event.kind.value, "sector": event.sector.value,
        "organizers": list(event.organizers), "participants": event.participants, "tier": event.tier.value,
        "starts_on": event.starts_on.isoformat(), "ends_on": event.ends_on.isoformat(), "venue": event.venue,
        "county": event.county, "status": public_status(event, overdue=overdue, today=today).value,
        "plan_published_on": _day(event.plan_published_at), "disclosed_on": _day(event.disclosed_at),
    }


def _plan(event: Event, emissions: dict[str, Any]) -> dict[str, Any]:
    """R-PLAN-1: accounting boundary, estimate, planned measures, offset method."""
    lines = db.session.execute(select(OffsetPlanLine).where(OffsetPlanLine.event_id == event.id)
                               .order_by(OffsetPlanLine.position, OffsetPlanLine.id)).scalars()
    return {
        "boundary": emissions["boundary"],
        "estimated_tco2e": emissions["estimated_tco2e"],
        "estimate_by_category": {c: v["estimated"] for c, v in emissions["by_category"].items()},
        "measures": [{"kind": m["kind"], "description": m["description"], "expected_tco2e": m["expected_tco2e"]}
                     for m in emissions["measures"]],
        "offset_method": [{"instrument": line.instrument.value, "quantity_tco2e": offsets.tco2e(line.quantity_tco2e)}
                          for line in lines],
    }


def _cancellations(event: Event) -> list[dict[str, Any]]:
    """R-DIS-1, R-CAN-2: the records that count (reversed rows left out); the certificate by its hash only;
    what the registry's own data says (a record only when it names the event or nobody, issue #22)."""
    rows = offsets.active_cancellations(event)
    shown = registry_status.statuses(row.id for row in rows)
    return [{
        "registry": row.unit_registry.value, "registry_name": row.registry_name, "instrument": row.instrument.value,
        "project_name": row.project_name, "project_code": row.project_code, "vintage": row.vintage,
        "serial_from": row.serial_from, "serial_to": row.serial_to, "quantity_tco2e": offsets.tco2e(row.quantity_tco2e),
        "cancelled_on": row.cancelled_on.isoformat(), "evidence_sha256": row.evidence_sha256,
        **registry_status.fields(shown.get(row.id), public=True),
    } for row in rows]


def _sink_project(event: Event) -> dict[str, Any] | None:
    project = db.session.execute(select(SinkProject).where(SinkProject.event_id == event.id)).scalar()
    if project is None:
        return None
    return {
        "name": project.name, "project_code": project.project_code, "sink_type": project.sink_type.value,
        "location": project.location, "county": project.county, "area_ha": str(project.area_ha),
        "expected_tco2e": offsets.tco2e(project.expected_tco2e), "status": project.status.value,
        "validated_tco2e": offsets.tco2e(project.validated_tco2e) if project.validated_tco2e is not None else None,
        "validated_on": project.validated_on.isoformat() if project.validated_on else None,
    }


def _confirmation(event: Event) -> dict[str, Any] | None:
    """The verifier's conclusion (R-TIER-1) or the signed commitment (R-TIER-2); no person is named."""
    commitment = db.session.execute(select(Commitment).where(Commitment.event_id == event.id)).scalar()
    if commitment is not None:
        signer = db.session.get(User, commitment.signed_by_id)
        organization = signer.organization.name if signer and signer.organization else event.organization.name
        return {
            "method": "self_commitment", "declaration": commitment.declaration, "sha256": commitment.sha256,
            "confirmation_method": commitment.confirmation_method, "neutral_on": commitment.neutral_on.isoformat(),
            "signed_on": _day(commitment.created_at), "signer_role": "organizer", "signer_organization": organization,
        }
    evaluation = db.session.execute(select(Evaluation).where(
        Evaluation.event_id == event.id, Evaluation.conclusion == "neutral").order_by(Evaluation.id.desc())).scalar()
    if evaluation is None:
        return None
    report = db.session.get(Upload, evaluation.report_upload_id)
    return {
        "method": "third_party", "body_name": evaluation.body_name, "accreditation_no": evaluation.accreditation_no,
        "conclusion": evaluation.conclusion, "verified_tco2e": offsets.tco2e(evaluation.verified_tco2e),
        "evaluated_on": _day(evaluation.created_at), "report_sha256": report.sha256 if report else None,
    }


def _neutrality(event: Event, emissions: dict[str, Any]) -> dict[str, Any]:
    """The neutrality statement of a disclosed event: accounted, reduced, offset, confirmed."""
    accounted = emissions["actual_tco2e"]
    summary = offsets.offsets_summary(event, None if accounted is None else Decimal(accounted))
    return {
        "actual_tco2e": accounted,
        "actual_by_category": {c: v["actual"] for c, v in emissions["by_category"].items()},
        "reductions": [{"kind": m["kind"], "description": m["description"], "expected_tco2e": m["expected_tco2e"],
                        "achieved_tco2e": m["achieved_tco2e"]} for m in emissions["measures"]],
        "offsets": {key: summary[key] for key in
                    ("cancelled_tco2e", "by_instrument", "sink_validated_tco2e", "coverage_percent")},
        "cancellations": _cancellations(event),
        "sink_project": _sink_project(event),
        "confirmation": _confirmation(event),
    }


def public_event(event: Event, today: date) -> dict[str, Any]:
    """Return everything disclosed about an event whose plan is published: the plan always, the
    neutrality statement once the event is disclosed (R-DIS-1); t CO2e as decimal strings."""
    emissions = accounting.emissions_summary(event)
    deadlines = db.session.execute(select(EventDeadline).where(EventDeadline.event_id == event.id)
                                   .order_by(EventDeadline.due_on)).scalars().all()
    overdue = any(d.status == "overdue" for d in deadlines)
    return summary_item(event, overdue=overdue, today=today) | {
        "organizer_type": event.organizer_type.value,
        "plan": _plan(event, emissions),
        "deadlines": [{"kind": d.kind.value, "due_on": d.due_on.isoformat(), "status": d.status} for d in deadlines],
        # R-DIS-1: cancellations are disclosed promptly, as soon as they are recorded
        "cancellations": _cancellations(event),
        "neutrality": _neutrality(event, emissions) if event.disclosed_at is not None else None,
    }


def disclosed_commitment(event: Event) -> Commitment:
    """Return the signed commitment of a disclosed event (for the public PDF).

    :raises NotFound: the event is not disclosed, or was not confirmed by self-commitment.
    """
    commitment = db.session.execute(select(Commitment).where(Commitment.event_id == event.id)).scalar()
    if event.disclosed_at is None or commitment is None:
        raise NotFound(_l("This event has no disclosed commitment."))
    return commitment
