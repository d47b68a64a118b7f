"""Start page, the organizer's events, the language switch."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, request, session, url_for
from flask_login import current_user

from models import Event, HumanTask, Role, User, db
from processes import workflow
from webapp.authz import roles_required
from webapp.extensions import SUPPORTED_LOCALES
from webapp.navigation import safe_next

bp = Blueprint("main", __name__, template_folder="templates")
PAGE_SIZE = 25  # events per page of "My events"


def landing_url(user: User) -> str:
    """Where a sign-in leads (issue #18): department staff and verifiers to their inbox; everyone else
    to the start page, which sends organizers to their events. The start page stays at "/" for all."""
    if user.is_department or user.role == Role.VERIFIER:
        return url_for("tasks.inbox")
    return url_for("main.index")


@bp.route("/")
def index():  # noqa: ANN201
    if not current_user.is_authenticated:
        return render_template("main/welcome.html")
    if current_user.role == Role.ORGANIZER:
        return redirect(url_for("main.my_events"))
    if current_user.role == Role.ADMIN:
        return redirect(url_for("admin.users"))
    if current_user.role == Role.AUDITOR:
        return redirect(url_for("audit.trail"))
    return render_template("main/welcome.html")


@bp.route("/events/mine")
@roles_required(Role.ORGANIZER)
def my_events():  # noqa: ANN201
    page = max(request.args.get("page", 1, type=int), 1)
    events = db.paginate(db.select(Event).where(Event.organization_id == current_user.organization_id)
                         .order_by(Event.starts_on.desc(), Event.id.desc()),
                         page=page, per_page=PAGE_SIZE, error_out=False)
    open_tasks = db.session.execute(workflow.with_holders(
        db.select(HumanTask).where(HumanTask.event_id.in_([e.id for e in events.items]), HumanTask.status == "open")
        .order_by(HumanTask.due_on))
    ).scalars().all()
    next_tasks: dict[int, list[HumanTask]] = {}
    for task in open_tasks:
        next_tasks.setdefault(task.event_id, []).append(task)
    return render_template("main/my_events.html", events=events, next_tasks=next_tasks)


@bp.route("/language/<code>")
def set_language(code: str):  # noqa: ANN201
    """Switch the UI language (Chinese default, English on request) and go back."""
    if code in SUPPORTED_LOCALES:
        session["lang"] = code
        if current_user.is_authenticated and current_user.locale != code:
            current_user.locale = code
            db.session.commit()
    return redirect(safe_next(request.args.get("next"), url_for("main.index")))
