"""Administration: user accounts; diagram versions, migrations and process overrides (issue #10)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TypeVar

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func

from models import (
    Department,
    Event,
    HumanTask,
    Organization,
    ProcessInstance,
    ProcessVersion,
    Role,
    User,
    VerifierBody,
    db,
)
from processes import accounts, engine, migration, overrides, versions, workflow
from processes.errors import ServiceError
from processes.task_handlers import HANDLERS
from webapp.admin.forms import CreateUserForm
from webapp.authz import roles_required

bp = Blueprint("admin", __name__, url_prefix="/admin", template_folder="templates")
bp.add_app_template_global(overrides.OVERRIDE_ACTIONS, "override_actions")  # marked on the event page

NONE_CHOICE = (0, "—")
T = TypeVar("T")


def _fill_choices(form: CreateUserForm, locale_en: bool) -> None:
    departments = db.session.execute(db.select(Department).order_by(Department.id)).scalars()
    form.department.choices = [NONE_CHOICE] + [(d.id, d.name_en if locale_en else d.name_zh) for d in departments]
    orgs = db.session.execute(db.select(Organization).order_by(Organization.name)).scalars()
    form.organization.choices = [NONE_CHOICE] + [(o.id, o.name) for o in orgs]
    bodies = db.session.execute(db.select(VerifierBody).order_by(VerifierBody.name)).scalars()
    form.verifier_body.choices = [NONE_CHOICE] + [(b.id, b.name) for b in bodies]


@bp.route("/users", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def users():  # noqa: ANN201
    from flask_babel import get_locale

    form = CreateUserForm()
    _fill_choices(form, str(get_locale()).startswith("en"))
    if form.validate_on_submit():
        try:
            accounts.create_user(
                form.username.data,
                form.password.data,
                Role(form.role.data),
                display_name=form.display_name.data,
                email=form.email.data or None,
                department=db.session.get(Department, form.department.data) if form.department.data else None,
                organization=db.session.get(Organization, form.organization.data) if form.organization.data else None,
                verifier_body=db.session.get(VerifierBody, form.verifier_body.data)
                if form.verifier_body.data
                else None,
                actor=current_user,
            )
        except ServiceError as exc:
            db.session.rollback()
            for name, errors in exc.fields.items():
                getattr(form, name).errors.extend(str(e) for e in errors)
        else:
            db.session.commit()
            flash(_("The account %(name)s was created.", name=form.username.data), "success")
            return redirect(url_for("admin.users"))
    all_users = db.session.execute(db.select(User).order_by(User.username)).scalars().all()
    return render_template("admin/users.html", users=all_users, form=form)


@bp.post("/users/<int:user_id>/active")
@roles_required(Role.ADMIN)
def set_active(user_id: int):  # noqa: ANN201
    """Deactivate an account (its sessions end and its API tokens are revoked) or activate it again."""
    user = db.get_or_404(User, user_id)
    active = request.form.get("active") == "1"
    if not active and user.id == current_user.id:
        flash(_("You cannot deactivate your own account."), "error")
        return redirect(url_for("admin.users"))
    accounts.set_active(user, active, current_user)
    db.session.commit()
    flash(_("The account %(name)s is active again.", name=user.username) if active else
          _("The account %(name)s is deactivated; its sessions ended and its API tokens are revoked.",
            name=user.username), "success")
    return redirect(url_for("admin.users"))


@bp.post("/users/<int:user_id>/sign-out")
@roles_required(Role.ADMIN)
def sign_out_user(user_id: int):  # noqa: ANN201
    """End every session of an account and revoke its API tokens (e.g. a lost laptop)."""
    user = db.get_or_404(User, user_id)
    accounts.end_everything(user, "signed_out_everywhere", current_user)
    db.session.commit()
    flash(_("%(name)s is signed out everywhere; the account's API tokens are revoked.", name=user.username),
          "success")
    return redirect(url_for("admin.users"))


@bp.route("/processes")
@roles_required(Role.ADMIN)
def processes():  # noqa: ANN201
    """Diagram versions with how many events run on each, and processes that need attention."""
    versions = db.session.execute(
        db.select(ProcessVersion, func.count(ProcessInstance.id))
        .outerjoin(ProcessInstance, ProcessInstance.process_version_id == ProcessVersion.id)
        .group_by(ProcessVersion.id).order_by(ProcessVersion.number.desc())
    ).all()
    attention = db.session.execute(
        db.select(ProcessInstance, Event).join(Event, Event.id == ProcessInstance.event_id)
        .where(ProcessInstance.status == "needs_attention").order_by(ProcessInstance.id)
    ).all()
    recent = migration.recent(30)
    return render_template("admin/processes.html", versions=versions, attention=attention, migrations=recent,
                           refusals={m.id: migration.revert_refusal(m) for m in recent},
                           event_names=_event_names(m.event_id for m in recent))


@bp.post("/processes/<int:event_id>/retry")
@roles_required(Role.ADMIN)
def retry(event_id: int):  # noqa: ANN201
    """Re-run an automatic step that failed, after its cause was fixed (audited)."""
    event = db.get_or_404(Event, event_id)
    instance = workflow.retry(current_user, event, reason=request.form.get("reason"))
    db.session.commit()
    if instance.status == "needs_attention":
        flash(_("The step failed again: %(error)s", error=instance.error), "error")
    else:
        flash(_("The step ran; the process continues."), "success")
    return redirect(url_for("admin.processes"))


# --------------------------------------------------------------------------- versions and migrations
def _event_names(ids) -> dict[int, str]:  # noqa: ANN001
    ids = set(ids)
    if not ids:
        return {}
    return dict(db.session.execute(db.select(Event.id, Event.name).where(Event.id.in_(ids))).all())


def _flash_error(exc: ServiceError) -> None:
    db.session.rollback()
    details = "; ".join(str(m) for messages in exc.fields.values() for m in messages)
    flash(f"{exc.message}" + (f" ({details})" if details and details != str(exc.message) else ""), "error")


def _committed(change: Callable[[], T]) -> T | None:
    """Make an audited change and commit it; if it is refused, roll back, flash why and return None."""
    try:
        result = change()
    except ServiceError as exc:
        _flash_error(exc)
        return None
    db.session.commit()
    return result


@bp.route("/processes/diff")
@roles_required(Role.ADMIN)
def process_diff():  # noqa: ANN201
    """What changed between two diagram versions, listed and drawn on the diagram."""
    old_number = request.args.get("from", type=int)
    new_number = request.args.get("to", type=int)
    if old_number is None or new_number is None:
        abort(400)
    comparison = versions.compare(old_number, new_number, HANDLERS)
    side = "old" if request.args.get("side") == "old" else "new"
    shown = comparison.new if side == "new" else comparison.old
    files = sorted((shown.files or {}).keys())
    main = f"{engine.MAIN_PROCESS}.bpmn"  # the main diagram first; the called processes by name
    default = main if main in files else (files[0] if files else None)
    file_name = request.args.get("file") if request.args.get("file") in files else default
    return render_template("admin/process_diff.html", comparison=comparison, side=side, files=files,
                           file_name=file_name, shown=shown,
                           markers=comparison.markers(side, file_name) if file_name else {})


@bp.route("/processes/versions/<int:number>/<file_name>")
@roles_required(Role.ADMIN)
def version_file(number: int, file_name: str):  # noqa: ANN201
    """The BPMN XML of one file of a version (for the diagram viewer)."""
    xml = versions.file_xml(versions.get(number), file_name)
    return current_app.response_class(xml, mimetype="application/xml")


@bp.post("/processes/migrate")
@roles_required(Role.ADMIN)
def migrate():  # noqa: ANN201
    """Dry run or migrate the events of one version (or one event) to another; a reason is required."""
    old_number = request.form.get("from", type=int)
    new_number = request.form.get("to", type=int)
    event_id = request.form.get("event", type=int)
    reason = request.form.get("reason", "")
    dry = request.form.get("action") != "migrate"
    if old_number is None or new_number is None:
        flash(_("Choose the version to migrate from and the version to migrate to."), "error")
        return redirect(url_for("admin.processes"))
    try:
        if dry:
            run = migration.dry_run(old_number, new_number, event_id)
        else:
            run = migration.migrate(current_user, old_number, new_number, reason, event_id)
    except ServiceError as exc:
        _flash_error(exc)
        return redirect(url_for("admin.processes"))
    return render_template("admin/migration.html", run=run, reason=reason, event_id=event_id)


@bp.post("/processes/migrations/<int:migration_id>/revert")
@roles_required(Role.ADMIN)
def revert_migration(migration_id: int):  # noqa: ANN201
    """Undo one event's migration (only while nothing happened to the event since); audited."""
    row = _committed(lambda: migration.revert(current_user, migration_id, request.form.get("reason", "")))
    if row is not None:
        flash(_("The event runs on version %(number)s again.", number=row.from_version.number), "success")
    back = request.form.get("next", "")
    return redirect(back if back.startswith("/admin/") and "//" not in back else url_for("admin.processes"))


# --------------------------------------------------------------------------- overrides on one event
@bp.route("/events/<int:event_id>/process")
@roles_required(Role.ADMIN)
def event_process(event_id: int):  # noqa: ANN201
    """An event's open tasks and failed step, with the overrides an administrator may make."""
    event = db.get_or_404(Event, event_id)
    instance = db.session.execute(db.select(ProcessInstance).where(ProcessInstance.event_id == event.id)).scalar()
    tasks = db.session.execute(db.select(HumanTask).where(
        HumanTask.event_id == event.id, HumanTask.status == "open").order_by(HumanTask.id)).scalars().all()
    migrations = migration.recent(50, event_id=event.id)
    return render_template(
        "admin/event_process.html", event=event, instance=instance, tasks=tasks,
        candidates={t.id: overrides.candidates(t, event) for t in tasks},
        drafts={t.id: json.dumps(t.draft or {}, ensure_ascii=False, indent=2) for t in tasks},
        migrations=migrations, refusals={m.id: migration.revert_refusal(m) for m in migrations},
        history=overrides.listing(event_ids=[event.id], actions=overrides.GOVERNANCE_ACTIONS),
    )


def _back(event_id: int):  # noqa: ANN202
    return redirect(url_for("admin.event_process", event_id=event_id))


def _require_task(event_id: int, task_id: int) -> None:
    """End the request with 404 unless the task is one of the event's."""
    task = db.session.get(HumanTask, task_id)
    if task is None or task.event_id != event_id:
        abort(404)


@bp.post("/events/<int:event_id>/tasks/<int:task_id>/reassign")
@roles_required(Role.ADMIN)
def override_reassign(event_id: int, task_id: int):  # noqa: ANN201
    """Hand any open task to a person of its lane or to a department (reason required; audited)."""
    target = request.form.get("to", "")
    kind, _sep, raw_id = target.partition(":")
    to_user = db.session.get(User, int(raw_id)) if kind == "user" and raw_id.isdigit() else None
    to_department = db.session.get(Department, int(raw_id)) if kind == "department" and raw_id.isdigit() else None
    _require_task(event_id, task_id)
    reason = request.form.get("reason", "")
    if _committed(lambda: overrides.reassign(current_user, task_id, reason, to_user=to_user,
                                             to_department=to_department)) is not None:
        flash(_("The task was reassigned."), "success")
    return _back(event_id)


@bp.post("/events/<int:event_id>/tasks/<int:task_id>/data")
@roles_required(Role.ADMIN)
def override_data(event_id: int, task_id: int):  # noqa: ANN201
    """Correct the saved draft of a task not yet completed (reason required; audited)."""
    _require_task(event_id, task_id)
    try:
        data = json.loads(request.form.get("data") or "{}")
    except ValueError as exc:
        flash(_("The data is not valid JSON: %(error)s", error=str(exc)), "error")
        return _back(event_id)
    reason = request.form.get("reason", "")
    if _committed(lambda: overrides.correct_data(current_user, task_id, data, reason)) is not None:
        flash(_("The task's data was corrected."), "success")
    return _back(event_id)


@bp.post("/events/<int:event_id>/step")
@roles_required(Role.ADMIN)
def override_step(event_id: int):  # noqa: ANN201
    """Retry or skip the automatic step that failed (reason required; audited)."""
    event = db.get_or_404(Event, event_id)
    action = request.form.get("action")
    reason = request.form.get("reason", "")
    step = overrides.skip_step if action == "skip" else overrides.retry_step
    instance = _committed(lambda: step(current_user, event, reason))
    if instance is None:
        return _back(event_id)
    if instance.status == "needs_attention":
        flash(_("A step failed again: %(error)s", error=instance.error), "error")
    else:
        flash(_("The step was skipped; the process continues.") if action == "skip"
              else _("The step ran; the process continues."), "success")
    return _back(event_id)
