"""Events: register, list, the event page with its diagram, comments, file downloads."""

from __future__ import annotations

from decimal import Decimal

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, send_file, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from models import AuditEntry, Comment, Decision, Event, EventDeadline, HumanTask, Role, VerifierBody, db
from models.event import EventStatus
from models.offsets import OffsetPlanLine
from models.uploads import Upload
from processes import accounting, events, next_steps, offsets, uploads, workflow
from processes.errors import Conflict, Invalid
from webapp.authz import roles_required
from webapp.events.forms import EventForm
from webapp.formjson import form_data

bp = Blueprint("events", __name__, url_prefix="/events", template_folder="templates")
PAGE_SIZE = 25
MAX_SEARCH = 100  # characters of a search text


@bp.route("/")
@login_required
def index():  # noqa: ANN201
    page = max(request.args.get("page", 1, type=int), 1)
    filters = {"status": request.args.get("status", ""), "overdue": request.args.get("overdue", ""),
               "q": (request.args.get("q") or "").strip()[:MAX_SEARCH]}
    status = None
    if filters["status"]:
        try:
            status = EventStatus(filters["status"])
        except ValueError:
            flash(_("There is no status “%(status)s”; all statuses are shown.", status=filters["status"][:40]),
                  "error")
            filters["status"] = ""
    query = events.filter_events(events.visible_events_query(current_user), status=status,
                                 overdue=filters["overdue"] == "1", text=filters["q"])
    listing = db.paginate(query.order_by(Event.starts_on.desc(), Event.id.desc()),
                          page=page, per_page=PAGE_SIZE, error_out=False)
    return render_template("events/index.html", events=listing, statuses=list(EventStatus),
                           filters=filters, link_args={k: v for k, v in filters.items() if v})


@bp.route("/new", methods=["GET", "POST"])
@roles_required(Role.ORGANIZER)
def new():  # noqa: ANN201
    form = EventForm()
    if request.method == "GET" and current_user.organization:
        form.organizers.data = [current_user.organization.name]
        form.organizer_type.data = current_user.organization.org_type.value
    if form.validate_on_submit():
        try:
            event = events.register_event(current_user, form_data(form))
        except Invalid as exc:
            db.session.rollback()
            for name, messages in exc.fields.items():
                getattr(form, name).errors.extend(str(m) for m in messages)
        else:
            db.session.commit()
            flash(_("The event is registered. %(tier)s", tier=event.tier.title), "success")
            return redirect(url_for("events.show", event_id=event.id))
    return render_template("events/new.html", form=form), 422 if form.errors else 200


@bp.route("/<int:event_id>")
@login_required
def show(event_id: int):  # noqa: ANN201
    return _show_page(events.get_event_for(current_user, event_id))


def _show_page(event: Event, participants_form: dict | None = None) -> str:
    """The event page; `participants_form` = {"values", "errors"} brings back a refused participant change."""
    open_tasks = db.session.execute(workflow.with_holders(
        select(HumanTask).where(HumanTask.event_id == event.id, HumanTask.status == "open"))).scalars().all()
    deadlines = db.session.execute(
        select(EventDeadline).where(EventDeadline.event_id == event.id).order_by(EventDeadline.due_on)).scalars().all()
    decisions = db.session.execute(
        select(Decision).where(Decision.event_id == event.id).order_by(Decision.id)).scalars().all()
    comments = db.session.execute(
        select(Comment).where(Comment.event_id == event.id).order_by(Comment.id)).scalars().all()
    history = db.session.execute(
        select(AuditEntry).where(AuditEntry.event_id == event.id).order_by(AuditEntry.seq)).scalars().all()
    emissions = accounting.emissions_summary(event)
    cancellations = offsets.active_cancellations(event)
    offset_summary = offsets.offsets_summary(event, emissions_total(emissions), cancellations=cancellations)
    diagram = workflow.diagram_state(event, deadlines)
    return render_template(
        "events/show.html", event=event, open_tasks=open_tasks, deadlines=deadlines, decisions=decisions,
        comments=comments, history=history, emissions=emissions, offsets=offset_summary,
        my_task_ids={t.id for t in open_tasks if workflow.may_act(current_user, t)},
        diagram=diagram, own_step=next_steps.organizer_next(event, open_tasks, diagram["current"]),
        verifier_bodies=_verifier_bodies,  # called by the page only where a form offers the choice
        offset_plan=db.session.execute(select(OffsetPlanLine).where(OffsetPlanLine.event_id == event.id)
                                       .order_by(OffsetPlanLine.id)).scalars().all(),
        cancellations=cancellations, participants_form=participants_form or {"values": {}, "errors": {}},
        comment_draft=session.pop("comment_draft", ""),  # a comment refused (e.g. storage full) comes back
    )


def _verifier_bodies() -> list[VerifierBody]:
    return list(db.session.execute(select(VerifierBody).order_by(VerifierBody.name)).scalars())


def emissions_total(summary: dict) -> Decimal | None:
    """The accounted emissions, the basis of offsetting (R-ACC-1); None before the account."""
    value = summary.get("actual_tco2e")
    return Decimal(value) if value else None


@bp.post("/<int:event_id>/comments")
@roles_required(Role.ORGANIZER, Role.DEPARTMENT_STAFF, Role.DEPARTMENT_LEAD, Role.VERIFIER, Role.ADMIN)
def comment(event_id: int):  # noqa: ANN201
    # Auditors read everything and change nothing (README): no comments or attachments from them.
    event = events.get_event_for(current_user, event_id)
    body = (request.form.get("body") or "").strip()
    task_id = request.form.get("task_id", type=int)
    file = request.files.get("attachment")
    if not body and not (file and file.filename):
        flash(_("Write a comment or attach a file."), "error")
        return redirect(request.referrer or url_for("events.show", event_id=event.id))
    upload = None
    if file and file.filename:
        try:
            upload = uploads.store(file.read(), file.filename, current_user, current_app.config["UPLOAD_DIR"],
                                   max_bytes=current_app.config["MAX_CONTENT_LENGTH"], event=event)
        except Invalid as exc:
            db.session.rollback()
            flash(str(exc.message), "error")
            session["comment_draft"] = body[:5000]  # what was typed is kept (issue #17, storage faults)
            return redirect(url_for("events.show", event_id=event.id))
    events.add_comment(current_user, event, body, task_id=task_id, upload=upload)
    db.session.commit()
    flash(_("Comment added."), "success")
    target = url_for("tasks.show", task_id=task_id) if task_id else url_for("events.show", event_id=event.id)
    return redirect(target)


@bp.route("/<int:event_id>/files/<int:upload_id>")
@login_required
def download(event_id: int, upload_id: int):  # noqa: ANN201
    """Serve an upload to those who may see its event; never inline-executable."""
    event = events.get_event_for(current_user, event_id)
    upload = db.session.get(Upload, upload_id)
    if upload is None or upload.event_id != event.id:
        abort(404)
    return send_file(uploads.path_of(upload, current_app.config["UPLOAD_DIR"]), mimetype=upload.content_type,
                     as_attachment=True, download_name=upload.filename)


@bp.route("/<int:event_id>/diagram.bpmn")
@login_required
def diagram(event_id: int):  # noqa: ANN201
    """The BPMN XML of the diagram version the event runs on (for the viewer)."""
    event = events.get_event_for(current_user, event_id)
    return current_app.response_class(workflow.diagram_xml(event), mimetype="application/xml")


@bp.post("/<int:event_id>/participants")
@roles_required(Role.ORGANIZER)
def change_participants(event_id: int):  # noqa: ANN201
    """R-TIER-X: the organizer records a new participant count; the tier is re-evaluated."""
    event = events.get_event_for(current_user, event_id)
    try:
        events.change_participants(current_user, event, request.form.get("participants", type=int) or 0,
                                   request.form.get("reason", ""), request.form.get("verifier_body", type=int))
    except Invalid as exc:  # the form comes back with what was typed, each error by its field
        db.session.rollback()
        flash(str(exc.message), "error")
        errors = {name: [str(m) for m in messages] for name, messages in exc.fields.items()}
        return _show_page(event, {"values": request.form, "errors": errors}), 422
    db.session.commit()
    flash(_("The participant count is now %(n)d: %(tier)s", n=event.participants, tier=event.tier.title), "success")
    return redirect(url_for("events.show", event_id=event_id))


@bp.post("/<int:event_id>/correction")
@roles_required(Role.ORGANIZER)
def request_correction(event_id: int):  # noqa: ANN201
    """R-ACC-1: the organizer asks to correct the submitted account; EEB decides."""
    event = events.get_event_for(current_user, event_id)
    try:
        events.request_correction(current_user, event, request.form.get("reason", ""))
    except (Invalid, Conflict) as exc:
        db.session.rollback()
        flash("; ".join(str(m) for messages in exc.fields.values() for m in messages) or str(exc.message), "error")
        return redirect(url_for("events.show", event_id=event_id))
    db.session.commit()
    flash(_("Your request to correct the account was sent to the Ecology and Environment Bureau."), "success")
    return redirect(url_for("events.show", event_id=event_id))


@bp.route("/<int:event_id>/account.<any(csv, xlsx):fmt>")
@login_required
def account_export(event_id: int, fmt: str):  # noqa: ANN201
    """The account (or the estimate before it) with lines, factors, sources and totals (R-ACC-1)."""
    event = events.get_event_for(current_user, event_id)
    name = f"event-{event.id}-account.{fmt}"
    if fmt == "csv":
        body = accounting.export_csv(event).encode("utf-8-sig")
        mimetype = "text/csv"
    else:
        body = accounting.export_xlsx(event)
        mimetype = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    response = current_app.response_class(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@bp.post("/<int:event_id>/verifier")
@roles_required(Role.DEPARTMENT_STAFF, Role.DEPARTMENT_LEAD)
def reassign_verifier(event_id: int):  # noqa: ANN201
    """EEB replaces the commissioned third-party body (e.g. a lapsed accreditation); audited."""
    event = events.get_event_for(current_user, event_id)
    try:
        events.reassign_verifier(current_user, event, request.form.get("verifier_body", type=int) or 0,
                                 request.form.get("reason", ""))
    except Invalid as exc:
        db.session.rollback()
        flash("; ".join(str(m) for messages in exc.fields.values() for m in messages) or str(exc.message), "error")
        return redirect(url_for("events.show", event_id=event_id))
    db.session.commit()
    flash(_("The third-party body is now %(name)s.", name=event.verifier_body.name), "success")
    return redirect(url_for("events.show", event_id=event_id))
