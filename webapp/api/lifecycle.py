"""API: events, tasks, uploads, audit (API.md resources), on the same services and forms as the pages."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from flask import current_app, request
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from models import AuditEntry, Event, EventDeadline, HumanTask, Role, db
from models.event import EventStatus, Sector, Tier
from processes import accounting, audit, bounds, events, offsets, uploads, workflow
from processes.errors import Invalid, ServiceError
from processes.task_handlers import HANDLERS
from webapp.api import bp, query
from webapp.api.auth import api_login_required, api_user
from webapp.events.forms import EventForm
from webapp.formjson import errors_to_fields, form_data, payload_formdata, read_json, schema
from webapp.tasks.building import build_task_form, form_template
from webapp.tasks.returned import previous_plan, returned_json
from webapp.tasks.titles import TASK_TITLES

DEPARTMENTS_AND_AUDIT = (Role.DEPARTMENT_STAFF, Role.DEPARTMENT_LEAD, Role.AUDITOR, Role.ADMIN)


class TooLarge(ServiceError):
    code, status = "too_large", 413


def _json_body() -> dict[str, Any]:
    """The request's JSON object, its size checked before it is parsed (bounds.MAX_JSON_BYTES).

    :raises TooLarge: a larger body. :raises Invalid: not a JSON object.
    """
    too_large = {"body": [_l("At most %(n)d bytes of JSON.", n=bounds.MAX_JSON_BYTES)]}
    if (request.content_length or 0) > bounds.MAX_JSON_BYTES:
        raise TooLarge(_l("The request body is too large."), too_large)
    raw = request.get_data(cache=True)
    if len(raw) > bounds.MAX_JSON_BYTES:
        raise TooLarge(_l("The request body is too large."), too_large)
    body = read_json(raw) if raw else None
    if not isinstance(body, dict):
        raise Invalid(_l("Send a JSON object."), {"body": [_l("Expected a JSON object.")]})
    return body


def _validated(form: Any) -> dict[str, Any]:
    if not form.validate():
        raise Invalid("Please correct the marked fields.", errors_to_fields(form.errors))
    return form_data(form)


def event_json(event: Event, user: Any) -> dict[str, Any]:
    emissions = accounting.emissions_summary(event)
    accounted = emissions.get("actual_tco2e")
    open_tasks = db.session.execute(
        select(HumanTask).where(HumanTask.event_id == event.id, HumanTask.status == "open")).scalars()
    deadlines = db.session.execute(select(EventDeadline).where(EventDeadline.event_id == event.id)).scalars()
    return {
        "id": event.id,
        "name": event.name,
        "kind": event.kind.value,
        "sector": event.sector.value,
        "organizers": event.organizers,
        "organizer_type": event.organizer_type.value,
        "participants": event.participants,
        "starts_on": event.starts_on.isoformat(),
        "ends_on": event.ends_on.isoformat(),
        "venue": event.venue,
        "county": event.county,
        "fiscal_funding_requested": event.fiscal_funding_requested,
        "funding_requested_cny": str(event.funding_requested_cny) if event.funding_requested_cny is not None else None,
        "tier": event.tier.value,
        "status": event.status.value,
        "verifier_body": event.verifier_body_id,
        "plan_published_at": event.plan_published_at.isoformat() if event.plan_published_at else None,
        "disclosed_at": event.disclosed_at.isoformat() if event.disclosed_at else None,
        "open_tasks": [task_json(t, user) for t in open_tasks],
        "emissions": emissions,
        "offsets": offsets.offsets_summary(event, Decimal(accounted) if accounted else None),
        "deadlines": [{"kind": d.kind.value, "due_on": d.due_on.isoformat(), "status": d.status}
                      for d in deadlines],
    }


def task_json(task: HumanTask, user: Any = None) -> dict[str, Any]:
    return {
        "id": task.id,
        "name": task.name,
        "title": str(TASK_TITLES.get(task.name, task.title)),
        "event_id": task.event_id,
        "lane": task.lane,
        "department": _department_code(task),
        "claimed_by": task.claimed_by.username if task.claimed_by else None,
        "due_on": task.due_on.isoformat() if task.due_on else None,
        "status": task.status,
        "yours": bool(user is not None and workflow.may_act(user, task)),
    }


def _department_code(task: HumanTask) -> str | None:
    from models import Department

    department = db.session.get(Department, task.department_id) if task.department_id else None
    return department.code if department else None


# --------------------------------------------------------------------------- events
@bp.post("/events")
@api_login_required(Role.ORGANIZER)
def create_event():  # noqa: ANN201
    template = EventForm(formdata=None, meta={"csrf": False})
    form = EventForm(formdata=payload_formdata(template, _json_body()), meta={"csrf": False})
    event = events.register_event(api_user(), _validated(form))
    db.session.commit()
    return event_json(event, api_user()), 201


@bp.get("/events")
@api_login_required()
def list_events():  # noqa: ANN201
    args = query.params({"status": query.one_of(EventStatus), "tier": query.one_of(Tier),
                         "sector": query.one_of(Sector), "year": query.whole(2000, 2099),
                         "page": query.whole(1, 10**6), "per_page": query.whole(1, 200)})
    listing_query = events.visible_events_query(api_user()).order_by(Event.id)
    for name in ("status", "tier", "sector"):
        if name in args:
            listing_query = listing_query.where(getattr(Event, name) == args[name])
    if "year" in args:
        year = args["year"]
        listing_query = listing_query.where(Event.starts_on >= date(year, 1, 1), Event.starts_on <= date(year, 12, 31))
    listing = db.paginate(listing_query, page=args.get("page", 1), per_page=args.get("per_page", 50),
                          error_out=False)
    return {"items": [{"id": e.id, "name": e.name, "tier": e.tier.value, "status": e.status.value,
                       "starts_on": e.starts_on.isoformat(), "county": e.county, "sector": e.sector.value}
                      for e in listing.items],
            "page": listing.page, "pages": listing.pages, "total": listing.total}


@bp.get("/events/<int:event_id>")
@api_login_required()
def get_event(event_id: int):  # noqa: ANN201
    return event_json(events.get_event_for(api_user(), event_id), api_user())


@bp.get("/events/<int:event_id>/audit")
@api_login_required(Role.ORGANIZER, *DEPARTMENTS_AND_AUDIT)
def event_audit(event_id: int):  # noqa: ANN201
    event = events.get_event_for(api_user(), event_id)
    rows = db.session.execute(select(AuditEntry).where(AuditEntry.event_id == event.id)
                              .order_by(AuditEntry.seq)).scalars()
    return {"items": [{"seq": r.seq, "at": r.at.isoformat(), "actor": r.actor, "role": r.role, "action": r.action,
                       "task": r.task, "reason": r.reason, "detail": r.detail, "hash": r.hash,
                       "prev_hash": r.prev_hash} for r in rows]}


@bp.get("/audit/verify")
@api_login_required(Role.AUDITOR, Role.ADMIN)
def audit_verify():  # noqa: ANN201
    report = audit.verify_chain()
    return {"ok": report.ok, "checked": report.checked, "first_broken_seq": report.first_broken_seq,
            "problem": report.problem}


# --------------------------------------------------------------------------- tasks
@bp.get("/tasks")
@api_login_required()
def list_tasks():  # noqa: ANN201
    args = query.params({"page": query.whole(1, 10**6)})
    listing = db.paginate(workflow.inbox_query(api_user()), page=args.get("page", 1), per_page=50, error_out=False)
    return {"items": [task_json(t, api_user()) for t in listing.items], "page": listing.page,
            "pages": listing.pages, "total": listing.total}


@bp.get("/tasks/<int:task_id>")
@api_login_required()
def get_task(task_id: int):  # noqa: ANN201
    task = workflow.get_task_for(api_user(), task_id)
    event = db.session.get(Event, task.event_id)
    returned = returned_json(task)
    draft = task.draft or (previous_plan(event) if returned else None)  # a returned plan: as submitted
    return task_json(task, api_user()) | {"form": schema(form_template(task, event)), "draft": draft,
                                          "returned": returned}


@bp.post("/tasks/<int:task_id>/claim")
@api_login_required(Role.DEPARTMENT_STAFF, Role.DEPARTMENT_LEAD)
def claim_task(task_id: int):  # noqa: ANN201
    task = workflow.claim(api_user(), task_id)
    db.session.commit()
    return task_json(task, api_user())


@bp.post("/tasks/<int:task_id>/unclaim")
@api_login_required(Role.DEPARTMENT_STAFF, Role.DEPARTMENT_LEAD)
def unclaim_task(task_id: int):  # noqa: ANN201
    task = workflow.unclaim(api_user(), task_id)
    db.session.commit()
    return task_json(task, api_user())


@bp.post("/tasks/<int:task_id>/complete")
@api_login_required()
def complete_task(task_id: int):  # noqa: ANN201
    body = _json_body()
    task = workflow.get_task_for(api_user(), task_id)
    event = db.session.get(Event, task.event_id)
    form = build_task_form(task, event, payload=body, api=True)
    event = workflow.complete_task(api_user(), task.id, _validated(form), HANDLERS)
    db.session.commit()
    return event_json(event, api_user())


# --------------------------------------------------------------------------- uploads
@bp.post("/uploads")
@api_login_required(Role.ORGANIZER, Role.DEPARTMENT_STAFF, Role.DEPARTMENT_LEAD, Role.VERIFIER, Role.ADMIN)
def create_upload():  # noqa: ANN201
    # Not auditors: they read everything and change nothing (README).
    unknown = sorted({name or "" for name in (*request.form, *request.files)} - {"file", "event_id"})
    if unknown:
        raise Invalid(_l("Unknown fields."), {name: [_l("Unknown field: this form has no such field.")]
                                              for name in unknown})
    file = request.files.get("file")
    if file is None or not file.filename:
        raise Invalid("Send the file as multipart field 'file'.", {"file": ["Required."]})
    event = None
    if "event_id" in request.form:
        try:
            event_id = bounds.db_id(request.form["event_id"].strip())
        except ValueError:
            raise Invalid(_l("Unknown event."), {"event_id": [_l("The id of one of your events.")]}) from None
        event = events.get_event_for(api_user(), event_id)
    upload = uploads.store(file.read(), file.filename, api_user(), current_app.config["UPLOAD_DIR"],
                           max_bytes=current_app.config["MAX_CONTENT_LENGTH"], event=event)
    db.session.commit()
    return {"id": upload.id, "sha256": upload.sha256, "size": upload.size, "filename": upload.filename}, 201

