"""Administration: user accounts."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func

from models import Department, Event, Organization, ProcessInstance, ProcessVersion, Role, User, VerifierBody, db
from processes import accounts, workflow
from processes.errors import ServiceError
from webapp.admin.forms import CreateUserForm
from webapp.authz import roles_required

bp = Blueprint("admin", __name__, url_prefix="/admin", template_folder="templates")

NONE_CHOICE = (0, "—")


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
    return render_template("admin/processes.html", versions=versions, attention=attention)


@bp.post("/processes/<int:event_id>/retry")
@roles_required(Role.ADMIN)
def retry(event_id: int):  # noqa: ANN201
    """Re-run an automatic step that failed, after its cause was fixed (audited)."""
    event = db.session.get(Event, event_id)
    if event is None:
        abort(404)
    instance = workflow.retry(current_user, event)
    db.session.commit()
    if instance.status == "needs_attention":
        flash(_("The step failed again: %(error)s", error=instance.error), "error")
    else:
        flash(_("The step ran; the process continues."), "success")
    return redirect(url_for("admin.processes"))
