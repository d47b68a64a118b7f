"""Notifications: the bell's page, mark read, email choices, the admin's view of the outbox; and
sending the outbox once a request that queued mail has answered (after its commit)."""

from __future__ import annotations

from functools import partial

from flask import Blueprint, Flask, Response, current_app, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import func, select

from models import EmailOutbox, HumanTask, Notification, Role, db
from processes import audit, mailer, notifications, workflow
from webapp.authz import roles_required
from webapp.notifications.forms import email_choices_form
from webapp.notifications.messages import deadline_title, render, step_title

bp = Blueprint("notifications", __name__, url_prefix="/notifications", template_folder="templates")
PAGE_SIZE = 25

# Email templates (rendered by processes.notifications in the recipient's language) use these.
bp.add_app_template_global(step_title, "step_title")
bp.add_app_template_global(deadline_title, "deadline_title")


@bp.route("/")
@login_required
def index():  # noqa: ANN201
    page = max(request.args.get("page", 1, type=int), 1)
    listing = db.paginate(notifications.notifications_query(current_user), page=page, per_page=PAGE_SIZE,
                          error_out=False)
    return render_template("notifications/index.html", notifications=listing,
                           rendered={n.id: render(n) for n in listing.items}, links=_links(listing.items))


def _links(items: list[Notification]) -> dict[int, str]:
    """Where each notification leads: its task while open and still the reader's, else its event."""
    tasks = {t.id: t for t in db.session.execute(select(HumanTask).where(
        HumanTask.id.in_({n.task_id for n in items if n.task_id}))).scalars()}
    links = {}
    for n in items:
        task = tasks.get(n.task_id)
        if task is not None and task.status == "open" and workflow.may_act(current_user, task):
            links[n.id] = url_for("tasks.show", task_id=task.id)
        elif n.event_id:
            links[n.id] = url_for("events.show", event_id=n.event_id)
    return links


@bp.post("/<int:notification_id>/read")
@login_required
def read(notification_id: int):  # noqa: ANN201
    notifications.mark_read(current_user, notification_id)
    db.session.commit()
    return redirect(url_for("notifications.index", page=request.form.get("page", 1, type=int)))


@bp.post("/read-all")
@login_required
def read_all():  # noqa: ANN201
    count = notifications.mark_all_read(current_user)
    db.session.commit()
    flash(_("%(count)s notifications marked read.", count=count), "success")
    return redirect(url_for("notifications.index"))


@bp.route("/settings", methods=["GET", "POST"])
@login_required
def settings():  # noqa: ANN201
    kinds = notifications.kinds_for(current_user)
    form = email_choices_form(kinds, notifications.email_choices(current_user))
    if form.validate_on_submit():
        notifications.set_email_choices(current_user, {k: bool(form[f"email_{k.value}"].data) for k in kinds})
        db.session.commit()
        flash(_("Your email choices are saved."), "success")
        return redirect(url_for("notifications.settings"))
    return render_template("notifications/settings.html", form=form, kinds=kinds,
                           mail_enabled=mailer.enabled())


@bp.route("/outbox")
@roles_required(Role.ADMIN)
def outbox():  # noqa: ANN201
    counts = dict(db.session.execute(select(EmailOutbox.status, func.count(EmailOutbox.id))
                                     .group_by(EmailOutbox.status)).all())
    pending = db.session.execute(select(EmailOutbox).where(EmailOutbox.status != "sent")
                                 .order_by(EmailOutbox.id.desc()).limit(100)).scalars().all()
    config = current_app.config
    return render_template("notifications/outbox.html", counts=counts, pending=pending,
                           mail_enabled=mailer.enabled(), server=config.get("MAIL_SERVER"),
                           port=config.get("MAIL_PORT"), sender=config.get("MAIL_FROM"))


@bp.post("/outbox/retry")
@roles_required(Role.ADMIN)
def retry_outbox():  # noqa: ANN201
    count = mailer.retry_failed()
    audit.record(current_user, "email.retried", data={"count": count})
    db.session.commit()
    sent = mailer.send_pending()
    flash(_("%(count)s messages queued again; %(sent)s sent.", count=count, sent=sent), "success")
    return redirect(url_for("notifications.outbox"))


@bp.after_app_request
def send_after_response(response: Response) -> Response:
    """Once the answer is delivered, send what this request queued (it has committed by then)."""
    if g.pop("mail_queued", False) and current_app.config.get("MAIL_SEND_AFTER_REQUEST", True):
        response.call_on_close(partial(_send_pending, current_app._get_current_object()))  # noqa: SLF001
    return response


def _send_pending(app: Flask) -> None:
    with app.app_context():
        try:
            mailer.send_pending()
        except Exception:  # a broken outbox must never surface in a request; the tick retries
            app.logger.exception("sending the email outbox failed")
            db.session.rollback()
