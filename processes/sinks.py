"""New forestry/marine sink projects: registration, monitoring, validation by Natural Resources,
deadlines, and the lock to one event (R-OFF-1, R-OFF-2, R-TIME-2, R-DEPT-NR)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from typing import Any, NoReturn

from flask_babel import lazy_gettext as _l
from sqlalchemy import extract, select

from models import Event, Role, User, db
from models.org import DepartmentKind
from models.sinks import SinkMonitoringReport, SinkProject, SinkStatus, SinkType
from models.uploads import Upload
from processes import audit, bounds, serials
from processes.dates import sink_application_due, sink_validation_due
from processes.errors import Conflict, Forbidden, Invalid, ServiceError
from processes.offsets import (
    EVIDENCE_TYPES,
    collect,
    evidence_upload,
    parse_choice,
    parse_date,
    parse_decimal,
    parse_text,
    tco2e,
)


def is_natural_resources(actor: User) -> bool:
    """Whether the actor is staff of the Natural Resources Bureau (R-DEPT-NR)."""
    return actor.is_department and actor.department is not None and (
        actor.department.kind is DepartmentKind.NATURAL_RESOURCES)


def _is_owner(actor: User, event: Event) -> bool:
    return actor.role is Role.ORGANIZER and actor.organization_id == event.organization_id


def _refuse(actor: User, action: str, event_id: int, detail: dict[str, Any], error: ServiceError) -> NoReturn:
    """Roll back the caller's changes, commit an audit entry for the refused attempt, raise `error`."""
    db.session.rollback()
    audit.record(actor, action, event=event_id, reason="R-OFF-2", data=detail)
    db.session.commit()
    raise error


def project_of(event: Event) -> SinkProject | None:
    return db.session.execute(select(SinkProject).where(SinkProject.event_id == event.id)).scalar()


def sink_covered_tco2e(event: Event) -> Decimal:
    """Return the validated tonnes of the event's sink project (0 until Natural Resources validates)."""
    project = project_of(event)
    if project is None or project.status is not SinkStatus.VALIDATED:
        return Decimal(0)
    return project.validated_tco2e or Decimal(0)


def _locked_elsewhere(event: Event, data: Mapping[str, Any], name: str | None, county: str | None,
                      location: str | None, code: str | None) -> SinkProject | None:
    """Find the same project already used for another event: by id, by project code, or by name in its
    county, whatever the spelling (R-OFF-2)."""
    if data.get("project_id") not in (None, ""):
        try:
            project = db.session.get(SinkProject, int(data["project_id"]))
        except (TypeError, ValueError):
            project = None
        if project is None:
            raise Invalid(_l("Unknown sink project."), {"project_id": [_l("No such project.")]})
        return project if project.event_id != event.id else None
    def same(a: str | None, b: str | None) -> bool:
        return bool(a) and bool(b) and serials.canonical(a) == serials.canonical(b)

    def named(p: SinkProject) -> bool:
        # Its code in either field, or its name in its county or at its place, whatever the spelling.
        if any(serials.names(given, p.project_code) for given in (code, name)) or serials.names(code, p.name):
            return True
        return same(p.name, name) and (same(p.county, county) or same(p.location, location))

    candidates = db.session.execute(select(SinkProject).where(SinkProject.event_id != event.id)).scalars()
    return next((p for p in candidates if named(p)), None)


def register_sink_project(event: Event, data: Mapping[str, Any], actor: User, today: date) -> SinkProject:
    """Register the event's new sink project (register_sink_project task; R-OFF-1, R-OFF-2, R-TIME-2).

    An application after the 1-year deadline is accepted, flagged `application_late` and audited.
    :raises Forbidden: the actor is not an organizer of the event's organisation.
    :raises Conflict: the event already has a project, or the project is locked to another event
        (`sink.lock_violation`: the caller's transaction is rolled back and the attempt audited).
    :raises Invalid: bad fields.
    """
    if not _is_owner(actor, event):
        raise Forbidden(_l("Only the event's organizer registers its sink project."))
    errors: dict[str, list] = {}
    name = collect(errors, parse_text, data.get("name"), "name", max_len=200, required=True)
    location = collect(errors, parse_text, data.get("location"), "location", max_len=200, required=True)
    county = collect(errors, parse_text, data.get("county") or event.county, "county", max_len=20, required=True)
    code = collect(errors, parse_text, data.get("project_code"), "project_code", max_len=80)
    other = _locked_elsewhere(event, data, name, county, location, code)
    if other is not None:
        msg = _l("This sink project is already used for another event; it can never be used again.")  # R-OFF-2
        _refuse(actor, "sink.lock_violation", event.id,
                {"project_id": other.id, "locked_to_event_id": other.event_id, "name": name, "project_code": code},
                Conflict(msg, {"name": [msg]}))
    existing = project_of(event)
    if existing is not None and existing.status is not SinkStatus.RETURNED:
        raise Conflict(_l("The event already has a sink project."))
    sink_type = collect(errors, parse_choice, SinkType, data.get("sink_type"), "sink_type")
    area = collect(errors, parse_decimal, data.get("area_ha"), "area_ha", places=2)
    expected = collect(errors, parse_decimal, data.get("expected_tco2e"), "expected_tco2e")
    period = collect(errors, parse_decimal, data.get("crediting_period_years"), "crediting_period_years", places=0)
    if period is not None and period > 100:
        errors.setdefault("crediting_period_years", []).append(_l("At most 100 years."))
    applied_on = collect(errors, parse_date, data.get("applied_on") or today, "applied_on", today=today)
    if errors:
        raise Invalid(_l("The sink project has errors."), errors)
    late = applied_on > sink_application_due(event.ends_on)
    values = dict(name=name, project_code=code, sink_type=sink_type, location=location, county=county,
                  area_ha=area, expected_tco2e=expected, crediting_period_years=int(period), applied_on=applied_on,
                  application_late=late, status=SinkStatus.REGISTERED, registered_by_id=actor.id)
    if existing is not None:  # Natural Resources returned it: the organizer revises the same project
        for key, value in values.items():
            setattr(existing, key, value)
        project = existing
    else:
        project = SinkProject(event_id=event.id, **values)
        db.session.add(project)
    db.session.flush()
    audit.record(actor, "sink.revised" if existing is not None else "sink.registered", event=event,
                 task="register_sink_project", data={
        "project_id": project.id, "name": name, "sink_type": sink_type.value, "expected_tco2e": tco2e(expected),
        "applied_on": applied_on, "application_late": late})
    if late:
        audit.record(actor, "sink.application_late", event=event, reason="R-TIME-2", data={
            "project_id": project.id, "applied_on": applied_on, "due_on": sink_application_due(event.ends_on)})
    return project


def add_monitoring_report(project: SinkProject, upload: Upload, actor: User, note: str | None = None, *,
                          today: date | None = None) -> SinkMonitoringReport:
    """Attach a measurement and monitoring report (PDF or image) to the project (R-DEPT-NR).

    :raises Forbidden: neither the event's organizer nor Natural Resources. :raises Invalid: bad file.
    """
    event = project.event
    if not (_is_owner(actor, event) or is_natural_resources(actor)):
        raise Forbidden(_l("Only the event's organizer or Natural Resources add monitoring reports."))
    if upload.content_type not in EVIDENCE_TYPES:
        msg = _l("Only PDF, PNG or JPEG files are accepted.")
        raise Invalid(msg, {"monitoring_report": [msg]})
    note = parse_text(note, "note", max_len=2000)
    report = SinkMonitoringReport(project_id=project.id, upload_id=upload.id, sha256=upload.sha256,
                                  submitted_on=today or date.today(), note=note, submitted_by_id=actor.id)
    db.session.add(report)
    db.session.flush()
    audit.record(actor, "sink.monitoring_report_added", event=event, data={
        "project_id": project.id, "report_id": report.id, "upload_id": upload.id, "sha256": upload.sha256})
    return report


def validate_sink_project(project: SinkProject, data: Mapping[str, Any], actor: User, today: date) -> SinkProject:
    """Natural Resources' decision on the project (validate_sink_project task; R-DEPT-NR, R-TIME-2).

    `decision` approve (needs `validated_tco2e`, `validated_on` and a monitoring report) or return
    (needs a `comment`). Validation after the 2-year deadline is accepted, flagged and audited.
    :raises Forbidden: not Natural Resources staff. :raises Conflict: already validated.
    :raises Invalid: bad fields.
    """
    if not is_natural_resources(actor):
        raise Forbidden(_l("Only the Natural Resources Bureau validates sink projects."))  # R-DEPT-NR
    if project.status is SinkStatus.VALIDATED:
        raise Conflict(_l("The sink project has already been validated."))
    event = project.event
    decision = data.get("decision")
    if decision not in ("approve", "return"):
        raise Invalid(_l("Choose approve or return."), {"decision": [_l("Choose approve or return.")]})
    comment = parse_text(data.get("comment"), "comment", max_len=4000, required=decision == "return")
    if data.get("monitoring_report") not in (None, ""):
        upload = evidence_upload(data["monitoring_report"], "monitoring_report", event=event, actor=actor)
        add_monitoring_report(project, upload, actor, today=today)
    if decision == "return":
        project.status, project.decision_comment = SinkStatus.RETURNED, comment
        audit.record(actor, "sink.returned", event=event, task="validate_sink_project", reason=comment,
                     data={"project_id": project.id})
        return project
    errors: dict[str, list] = {}
    if not db.session.execute(select(SinkMonitoringReport.id).where(
            SinkMonitoringReport.project_id == project.id)).first():
        errors["monitoring_report"] = [_l("A monitoring report is required for validation.")]
    validated = collect(errors, parse_decimal, data.get("validated_tco2e"), "validated_tco2e")
    validated_on = collect(errors, parse_date, data.get("validated_on") or today, "validated_on", today=today)
    if validated_on is not None and validated_on < project.applied_on:
        errors.setdefault("validated_on", []).append(_l("Validation cannot precede the application."))
    if errors:
        raise Invalid(_l("The validation has errors."), errors)
    late = validated_on > sink_validation_due(event.ends_on)
    project.status, project.validated_tco2e, project.validated_on = SinkStatus.VALIDATED, validated, validated_on
    project.validated_by_id, project.validation_late, project.decision_comment = actor.id, late, comment
    audit.record(actor, "sink.validated", event=event, task="validate_sink_project", reason=comment, data={
        "project_id": project.id, "validated_tco2e": tco2e(validated), "validated_on": validated_on,
        "validation_late": late})
    if late:
        audit.record(actor, "sink.validation_late", event=event, reason="R-TIME-2", data={
            "project_id": project.id, "validated_on": validated_on, "due_on": sink_validation_due(event.ends_on)})
    return project


def claim_other_mechanism(project: SinkProject, actor: User, mechanism: str | None = None) -> NoReturn:
    """Refuse developing the project under CCER or any other mechanism (R-OFF-2); the attempt is audited.

    :raises Forbidden: always (the caller's transaction is rolled back, the audit entry committed).
    """
    msg = _l("A sink project used for an event's neutrality may never be developed under CCER or any other "
             "mechanism.")
    _refuse(actor, "sink.other_mechanism_refused", project.event_id,
            {"project_id": project.id, "mechanism": mechanism}, Forbidden(msg))


def _status(done_on: date | None, due_on: date, today: date) -> str:
    if done_on is not None:
        return "met"
    return "overdue" if today > due_on else "due"


def sink_deadlines(event: Event, today: date | None = None, project: SinkProject | None = None) -> dict[str, Any]:
    """Return the R-TIME-2 deadlines: application 1 year and validation 2 years after the event's end,
    each `due`, `overdue` or `met` (met late is flagged by `*_late`)."""
    today = today or date.today()
    project = project or project_of(event)
    validated_on = project.validated_on if project and project.status is SinkStatus.VALIDATED else None
    application_due, validation_due = sink_application_due(event.ends_on), sink_validation_due(event.ends_on)
    return {
        "application_due": application_due.isoformat(),
        "application_status": _status(project.applied_on if project else None, application_due, today),
        "application_late": bool(project and project.application_late),
        "validation_due": validation_due.isoformat(),
        "validation_status": _status(validated_on, validation_due, today),
        "validation_late": bool(validated_on and project.validation_late),
    }


def sink_rows(filters: Mapping[str, Any] | None = None, *, today: date | None = None) -> list[dict[str, Any]]:
    """Return sink projects with deadlines and monitoring history for `GET /api/v1/sink-projects` and
    the Natural Resources supervision page.

    Filters (strings accepted): county, status, year (of the event's end), event_id,
    organization_id, overdue ("true": a deadline is overdue).
    :raises Invalid: an unknown filter value.
    """
    filters = filters or {}
    query = select(SinkProject, Event).join(Event, Event.id == SinkProject.event_id)
    try:
        if filters.get("county"):
            query = query.where(SinkProject.county == str(filters["county"]))
        if filters.get("status"):
            query = query.where(SinkProject.status == SinkStatus(filters["status"]))
        if filters.get("year"):
            query = query.where(extract("year", Event.ends_on) == bounds.year(filters["year"]))
        if filters.get("event_id"):
            query = query.where(SinkProject.event_id == bounds.db_id(filters["event_id"]))
        if filters.get("organization_id"):
            query = query.where(Event.organization_id == bounds.db_id(filters["organization_id"]))
    except (TypeError, ValueError):
        raise Invalid(_l("Unknown filter value."), {"filters": [_l("Not a valid value.")]}) from None
    only_overdue = str(filters.get("overdue", "")).lower() in {"1", "true", "yes"}
    rows = []
    for project, event in db.session.execute(query.order_by(SinkProject.id)):
        deadlines = sink_deadlines(event, today, project)
        if only_overdue and "overdue" not in (deadlines["application_status"], deadlines["validation_status"]):
            continue
        rows.append({
            "id": project.id, "name": project.name, "project_code": project.project_code,
            "sink_type": project.sink_type.value, "event_id": event.id, "event_name": event.name,
            "county": project.county, "location": project.location, "area_ha": f"{project.area_ha:.2f}",
            "expected_tco2e": tco2e(project.expected_tco2e), "crediting_period_years": project.crediting_period_years,
            "applied_on": project.applied_on.isoformat(), "status": project.status.value,
            "validated_tco2e": tco2e(project.validated_tco2e) if project.validated_tco2e is not None else None,
            "validated_on": project.validated_on.isoformat() if project.validated_on else None,
            "other_mechanism_claimed": project.other_mechanism_claimed, **deadlines,
            "monitoring_reports": [
                {"id": r.id, "upload_id": r.upload_id, "sha256": r.sha256, "submitted_on": r.submitted_on.isoformat(),
                 "note": r.note}
                for r in project.monitoring_reports
            ],
        })
    return rows
