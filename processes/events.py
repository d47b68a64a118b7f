"""Register events, decide who may see them, re-evaluate the tier (R-SCOPE-1, R-TIER-*)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, or_, select
from sqlalchemy.orm import joinedload

from models import Event, EventDeadline, HumanTask, Organization, Role, User, db
from models.db import utcnow
from models.event import EventKind, EventStatus, Sector, Tier
from models.org import DepartmentKind, OrganizerType
from processes import audit, funding, workflow
from processes.dates import local_today
from processes.errors import Forbidden, Invalid, NotFound
from processes.lanes import SECTOR_DEPARTMENT
from processes.orgdata import COUNTY_NAMES
from processes.tiers import tier_for

REGISTRATION_FIELDS = (
    "name", "kind", "sector", "organizers", "organizer_type", "participants", "starts_on", "ends_on",
    "venue", "county", "fiscal_funding_requested", "funding_requested_cny",
)
ALL_SEEING_DEPARTMENTS = {DepartmentKind.DRC}  # coordination: read access to everything


MAX_DAYS = 366  # R-SCOPE-1: an exhibition may run for months, never for years
MIN_DAY, MAX_DAY = date(2000, 1, 1), date(2099, 12, 31)
SECTORS_BY_KIND = {  # kinds with their own bureau (ARCHITECTURE.md lane table); others: any sector
    EventKind.COMPETITION: {Sector.SPORTS, Sector.GOVERNMENT},
    EventKind.PERFORMANCE: {Sector.CULTURE_TOURISM, Sector.GOVERNMENT},
}


def _check(data: dict[str, Any]) -> dict[str, list]:
    errors: dict[str, list] = {}
    if not (data.get("name") or "").strip():
        errors["name"] = [_l("Required.")]
    organizers = [o.strip() for o in data.get("organizers") or [] if isinstance(o, str) and o.strip()]
    if not organizers:
        errors["organizers"] = [_l("Name at least one organizing unit.")]
    participants = data.get("participants")
    if not isinstance(participants, int) or isinstance(participants, bool) or participants < 1:
        errors["participants"] = [_l("A whole number of at least 1.")]
    elif participants > 1_000_000:
        errors["participants"] = [_l("More than 1,000,000 participants is not plausible for one event.")]
    starts, ends = data.get("starts_on"), data.get("ends_on")
    if not isinstance(starts, date):
        errors["starts_on"] = [_l("A date is required.")]
    if not isinstance(ends, date):
        errors["ends_on"] = [_l("A date is required.")]
    elif isinstance(starts, date) and ends < starts:
        errors["ends_on"] = [_l("The event cannot end before it starts.")]
    elif isinstance(starts, date) and (ends - starts).days >= MAX_DAYS:
        # R-SCOPE-1: a gathering at a specific time; a longer "event" would also push its deadlines away.
        errors["ends_on"] = [_l("An event lasts at most %(n)d days; register each edition on its own.", n=MAX_DAYS)]
    for name in ("starts_on", "ends_on"):
        day = data.get(name)
        if isinstance(day, date) and not MIN_DAY <= day <= MAX_DAY and name not in errors:
            errors[name] = [_l("A date from %(a)s to %(b)s.", a=MIN_DAY.isoformat(), b=MAX_DAY.isoformat())]
    if data.get("county") not in COUNTY_NAMES:
        errors["county"] = [_l("Choose the county or district of the venue.")]
    if not (data.get("venue") or "").strip():
        errors["venue"] = [_l("Required.")]
    for name, enum in (("kind", EventKind), ("sector", Sector), ("organizer_type", OrganizerType)):
        if data.get(name) not in {m.value for m in enum}:
            errors[name] = [_l("Not one of the allowed values.")]
    if not errors.keys() & {"kind", "sector", "organizer_type"}:
        kind, sector = EventKind(data["kind"]), Sector(data["sector"])
        if sector not in SECTORS_BY_KIND.get(kind, set(Sector)):
            # R-DEPT-SPO, R-DEPT-CT: the sector decides the bureau that signs off; it must fit the kind.
            errors["sector"] = [_l("A %(kind)s is signed off by its own bureau: choose %(sectors)s.", kind=kind.title,
                                   sectors=" / ".join(str(s.title) for s in SECTORS_BY_KIND[kind]))]
        elif sector is Sector.GOVERNMENT and data["organizer_type"] != OrganizerType.PARTY_GOVERNMENT.value:
            # R-DEPT-GOA, R-POL-2: an organs' internal event is led by a party or government organ.
            errors["sector"] = [_l("Party and government organs' internal events are led by an organ; choose the "
                                   "sector of the event.")]
    return errors


def register_event(actor: User, data: dict[str, Any], now: datetime | None = None) -> Event:
    """Register an event for the actor's organisation and start its process (the caller commits).

    :raises Forbidden: the actor is not an organizer. :raises Invalid: field errors.
    """
    if actor.role != Role.ORGANIZER or actor.organization_id is None:
        raise Forbidden(_l("Only organizers register events."))
    errors = _check(data)
    requested = funding.requested_amount(data, errors)  # R-DEPT-FIN: the amount Finance reviews
    if errors:
        raise Invalid(_l("Please correct the marked fields."), errors)
    event = Event(
        name=data["name"].strip(),
        kind=EventKind(data["kind"]),
        sector=Sector(data["sector"]),
        organizers=[o.strip() for o in data["organizers"] if o.strip()],
        organizer_type=OrganizerType(data["organizer_type"]),
        participants=data["participants"],
        starts_on=data["starts_on"],
        ends_on=data["ends_on"],
        venue=data["venue"].strip(),
        county=data["county"],
        fiscal_funding_requested=bool(data.get("fiscal_funding_requested")),
        funding_requested_cny=requested,
        tier=tier_for(data["participants"]),
        organization_id=actor.organization_id,
        created_by_id=actor.id,
    )
    db.session.add(event)
    db.session.flush()
    audit.record(actor, "event.registered", event=event,
                 data={"participants": event.participants, "tier": event.tier.value,
                       "funding_requested_cny": str(requested) if requested is not None else None,
                       "requirement": "R-TIER-1/R-TIER-2/R-TIER-0"})
    workflow.start_process(event, actor, now or utcnow())
    return event


def visible_events_query(user: User) -> Select:
    """Events the user may see: organizers their own; departments as their role allows; verifiers
    those they were commissioned for; auditors and admins everything."""
    query = select(Event)
    if user.role in (Role.AUDITOR, Role.ADMIN):
        return query
    if user.role == Role.ORGANIZER:
        return query.where(Event.organization_id == (user.organization_id or -1))
    if user.role == Role.VERIFIER:
        return query.where(Event.verifier_body_id == (user.verifier_body_id or -1))
    department = user.department
    if department is None:
        return query.where(False)
    city_eeb = department.kind == DepartmentKind.EEB and department.county is None
    if department.kind in ALL_SEEING_DEPARTMENTS or city_eeb:
        return query  # DRC coordinates; the city EEB guides every event (R-DEPT-EEB, R-DEPT-DRC)
    conditions = [
        Event.id.in_(select(HumanTask.event_id).where(HumanTask.department_id == department.id)),
    ]
    if department.kind == DepartmentKind.EEB:
        conditions.append(Event.county == department.county)
    sectors = [sector for sector, kind in SECTOR_DEPARTMENT.items() if kind == department.kind]
    if sectors:
        conditions.append(Event.sector.in_(sectors))
    return query.where(or_(*conditions))


def filter_events(query: Select, *, status: EventStatus | None = None, overdue: bool = False,
                  text: str | None = None, today: date | None = None) -> Select:
    """Narrow an events query the way bureau staff chase their work: by status, to the events with
    something overdue (a deadline of the plan past and unmet, R-TIME-1/R-TIME-2, or an open task past
    its due day), and by a piece of the event's name, venue or organizers' names."""
    if status is not None:
        query = query.where(Event.status == status)
    if overdue:
        today = today or local_today(utcnow())
        late_deadline = select(EventDeadline.event_id).where(EventDeadline.late_on(today))  # as the dashboard
        late_task = select(HumanTask.event_id).where(HumanTask.status == "open", HumanTask.due_on < today)
        query = query.where(or_(Event.id.in_(late_deadline), Event.id.in_(late_task)))
    if text:
        pattern = "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        query = query.where(or_(Event.name.ilike(pattern, escape="\\"), Event.venue.ilike(pattern, escape="\\"),
                                Event.organization.has(Organization.name.ilike(pattern, escape="\\"))))
    return query


def get_event_for(user: User, event_id: int) -> Event:
    """Return the event if the user may see it.

    :raises NotFound: unknown or not visible (404 either way, so ids cannot be probed).
    """
    event = db.session.execute(visible_events_query(user).where(Event.id == event_id)
                               .options(joinedload(Event.verifier_body))).scalar()  # shown on its pages
    if event is None:
        raise NotFound(_l("No such event."))
    return event


def add_comment(actor: User, event: Event, body: str, *, task_id: int | None = None,
                upload: Any = None) -> Any:
    """Comment on an event or one of its tasks (anyone who may see the event), with an attachment."""
    from models import Comment

    if task_id is not None:
        task = db.session.get(HumanTask, task_id)
        if task is None or task.event_id != event.id:
            raise NotFound(_l("No such task."))
    comment = Comment(event_id=event.id, human_task_id=task_id, author_id=actor.id, body=body.strip(),
                      upload_id=upload.id if upload is not None else None)
    db.session.add(comment)
    db.session.flush()
    audit.record(actor, "comment.added", event=event, data={"comment_id": comment.id, "task_id": task_id,
                                                           "upload_id": comment.upload_id})
    return comment


FINAL_STATUSES = {EventStatus.CONFIRMED, EventStatus.OUT_OF_SCOPE, EventStatus.VOLUNTARY}


def change_participants(actor: User, event: Event, participants: int, reason: str,
                        verifier_body_id: int | None = None, now: datetime | None = None) -> Event:
    """Record a new participant count and re-evaluate the tier (R-TIER-X); audited with the reason.

    :raises Forbidden: not the event's organizer. :raises Conflict: the process has ended.
    :raises Invalid: bad count, no reason, or a third-party tier without an accredited body.
    """
    from models import VerifierBody
    from processes.errors import Conflict

    if actor.role != Role.ORGANIZER or actor.organization_id != event.organization_id:
        raise Forbidden(_l("Only the event's organizer changes its participant count."))
    if event.status in FINAL_STATUSES:
        raise Conflict(_l("The event's process has ended; its tier can no longer change."))
    errors: dict[str, list] = {}
    if not isinstance(participants, int) or isinstance(participants, bool) or not 1 <= participants <= 1_000_000:
        errors["participants"] = [_l("A whole number from 1 to 1,000,000.")]
    if verifier_body_id is not None:
        body = db.session.get(VerifierBody, verifier_body_id) if 0 < verifier_body_id < 2**31 else None
        if body is None or not body.is_accredited_between(event.starts_on, event.ends_on):
            errors["verifier_body"] = [_l("Choose an accredited body valid on the event's dates.")]
        elif event.verifier_body_id is not None and body.id != event.verifier_body_id:
            errors["verifier_body"] = [_l("The event has commissioned a body already; the Ecology and Environment "
                                          "Bureau replaces it if needed.")]
    if not (reason or "").strip():
        errors["reason"] = [_l("Say why the count changed.")]
    if errors:
        raise Invalid(_l("Please correct the marked fields."), errors)
    old_tier, new_tier = event.tier, tier_for(participants)
    if new_tier == Tier.THIRD_PARTY and event.verifier_body_id is None:
        body = db.session.get(VerifierBody, verifier_body_id) if verifier_body_id else None
        if body is None or not body.is_accredited_between(event.starts_on, event.ends_on):
            raise Invalid(_l("With 500 or more participants an accredited third-party body must be commissioned."),
                          {"verifier_body": [_l("Choose an accredited body valid on the event's dates.")]})
        event.verifier_body_id = body.id
    audit.record(actor, "event.participants_changed", event=event, reason=reason.strip(),
                 data={"from": event.participants, "to": participants, "tier_from": old_tier.value,
                       "tier_to": new_tier.value, "requirement": "R-TIER-X"})
    event.participants, event.tier = participants, new_tier
    if new_tier != old_tier:
        workflow.update_tier(event, actor, now or utcnow())
    return event


CORRECTION_TASKS = ("review_correction", "correct_account")


def request_correction(actor: User, event: Event, reason: str, now: datetime | None = None) -> Event:
    """The organizer asks to correct the submitted account (R-ACC-1); the diagram takes it to EEB.

    Possible once the account is submitted and until the event is confirmed, one request at a time.
    :raises Forbidden: not the event's organizer. :raises Invalid: no reason.
    :raises Conflict: no account yet, the process ended, a correction is open, or the event is at a
        step where the diagram takes no correction.
    """
    from processes import accounting
    from processes.errors import Conflict

    if actor.role != Role.ORGANIZER or actor.organization_id != event.organization_id:
        raise Forbidden(_l("Only the event's organizer asks to correct its account."))
    reason = (reason or "").strip() if isinstance(reason, str) else ""
    if not reason or len(reason) > 2000:
        raise Invalid(_l("Say what is wrong in the account (at most 2,000 characters)."),
                      {"reason": [_l("Say what is wrong in the account (at most 2,000 characters).")]})
    if event.status in FINAL_STATUSES:
        raise Conflict(_l("The event's process has ended; its account can no longer change."))
    if accounting.emissions_summary(event)["actual_tco2e"] is None:
        raise Conflict(_l("The account has not been submitted yet: enter it in its task."))
    if db.session.execute(select(HumanTask.id).where(
            HumanTask.event_id == event.id, HumanTask.status == "open", HumanTask.name.in_(CORRECTION_TASKS))).first():
        raise Conflict(_l("A correction of this account is already under way."))
    audit.record(actor, "account.correction_requested", event=event, reason=reason, data={"requirement": "R-ACC-1"})
    if not workflow.throw_signal(event, "correction_requested", actor, now or utcnow()):
        db.session.rollback()
        raise Conflict(_l("A correction can be asked while the event offsets or is being confirmed."))
    return event


def reassign_verifier(actor: User, event: Event, verifier_body_id: int, reason: str) -> Event:
    """EEB commissions another accredited body for the event, e.g. when an accreditation lapsed (R-TIER-1).

    Open evaluation tasks move to the new body. Audited with the reason.
    :raises Forbidden: not EEB staff. :raises Invalid: no reason, or a body not accredited on the
        event's dates or with a declared conflict of interest.
    """
    from models import VerifierBody
    from models.org import DepartmentKind
    from processes import duties

    if not actor.is_department or actor.department is None or actor.department.kind != DepartmentKind.EEB:
        raise Forbidden(_l("Only the Ecology and Environment Bureau reassigns the third-party body."))
    body = db.session.get(VerifierBody, verifier_body_id)
    errors: dict[str, list] = {}
    if not (reason or "").strip():
        errors["reason"] = [_l("Say why the body is replaced.")]
    if body is None or not body.is_accredited_between(event.starts_on, event.ends_on):
        errors["verifier_body"] = [_l("Choose an accredited body valid on the event's dates.")]
    elif (conflict := duties.conflict_of(body, event)) is not None:
        errors["verifier_body"] = [_l("This body declared a conflict of interest with the organizer: %(reason)s",
                                      reason=conflict.reason)]
    if errors:
        raise Invalid(_l("Please correct the marked fields."), errors)
    audit.record(actor, "verifier.reassigned", event=event, reason=reason.strip(),
                 data={"from": event.verifier_body_id, "to": body.id, "requirement": "R-TIER-1"})
    event.verifier_body_id = body.id
    for task in db.session.execute(select(HumanTask).where(
            HumanTask.event_id == event.id, HumanTask.status == "open",
            HumanTask.verifier_body_id.is_not(None))).scalars():
        task.verifier_body_id, task.claimed_by_id = body.id, None
    return event
