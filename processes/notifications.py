"""Tell the right people: in-app notifications and queued emails, written in the transaction of
the change that caused them (a rolled-back change announces nothing). `processes.mailer` sends
the queue after the commit.

Recipients (exactly these, nobody else):
- a task arrives: whoever sees it in their inbox — the department's active staff and leads, the
  organizer organisation's users, or the verification body's users;
- a task is reassigned: the new holder;
- a plan is returned (with every reviewer's comment), approved and published, the evaluation is
  concluded: the organizer organisation's users;
- a deadline of the plan approaches or passes (R-TIME-1, R-TIME-2): the organizer organisation's
  users and the supervising department (the venue's EEB for offsetting, Natural Resources for
  sink projects);
- an event is disclosed (R-DIS-1): the supervising EEB;
- a cancellation conflicts with the registry's own data (R-CAN-2, issue #22): the supervising EEB;
- a task is due soon or overdue: its holder (the claimant, else everyone who sees it).

Email texts are the Jinja templates `notifications/email/*.{zh,en}.txt` (first line = subject),
rendered in the recipient's language.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit

from flask import current_app, g, render_template
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update

from models import (
    Decision,
    EmailOutbox,
    Event,
    EventDeadline,
    HumanTask,
    Notification,
    NotificationKind,
    NotificationPreference,
    Role,
    User,
    db,
)
from models.db import utcnow
from models.event import DeadlineKind
from processes import lanes, mailer, signals, workflow
from processes.errors import NotFound

K = NotificationKind
DEPARTMENT_ROLES = (Role.DEPARTMENT_STAFF, Role.DEPARTMENT_LEAD)
EMAIL_OFF_BY_DEFAULT = frozenset({K.DIGEST})
# The kinds a role can receive (shown on the profile page to choose which also go by email).
KINDS_BY_ROLE: dict[Role, tuple[NotificationKind, ...]] = {
    Role.ORGANIZER: (K.TASK_CREATED, K.TASK_DUE, K.TASK_OVERDUE, K.PLAN_RETURNED, K.PLAN_PUBLISHED,
                     K.DEADLINE_APPROACHING, K.DEADLINE_PASSED, K.EVALUATION_CONCLUDED),
    Role.DEPARTMENT_STAFF: (K.TASK_CREATED, K.TASK_REASSIGNED, K.TASK_DUE, K.TASK_OVERDUE,
                            K.DEADLINE_APPROACHING, K.DEADLINE_PASSED, K.EVENT_DISCLOSED, K.REGISTRY_CONFLICT),
    Role.DEPARTMENT_LEAD: (K.TASK_CREATED, K.TASK_REASSIGNED, K.TASK_DUE, K.TASK_OVERDUE,
                           K.DEADLINE_APPROACHING, K.DEADLINE_PASSED, K.EVENT_DISCLOSED, K.REGISTRY_CONFLICT,
                           K.DIGEST),
    Role.VERIFIER: (K.TASK_CREATED, K.TASK_DUE, K.TASK_OVERDUE),
}
SINK_DEADLINES = (DeadlineKind.SINK_APPLICATION, DeadlineKind.SINK_VALIDATION)
# The open task that meets a deadline (linked from its reminders when the reader holds it).
DEADLINE_TASKS: dict[DeadlineKind, tuple[str, ...]] = {
    DeadlineKind.OFFSET: ("cancel_units", "cancel_remainder", "register_sink_project", "validate_sink_project"),
    DeadlineKind.SINK_APPLICATION: ("register_sink_project",),
    DeadlineKind.SINK_VALIDATION: ("validate_sink_project",),
}


# --------------------------------------------------------------------------- recipients
def _active(query) -> list[User]:  # noqa: ANN001 - a Select of User
    return list(db.session.execute(query.where(User.active.is_(True)).order_by(User.id)).scalars())


def department_users(department_id: int) -> list[User]:
    """The department's active staff and leads."""
    return _active(select(User).where(User.department_id == department_id, User.role.in_(DEPARTMENT_ROLES)))


def organization_users(organization_id: int) -> list[User]:
    """The organizer organisation's active users (as its inbox shows them)."""
    return _active(select(User).where(User.organization_id == organization_id, User.role.not_in(DEPARTMENT_ROLES)))


def verifier_users(body_id: int) -> list[User]:
    return _active(select(User).where(User.verifier_body_id == body_id, User.role == Role.VERIFIER))


def lane_users(task: HumanTask) -> list[User]:
    """Everyone whose inbox shows the task while nobody has claimed it."""
    if task.department_id is not None:
        return department_users(task.department_id)
    if task.organization_id is not None:
        return organization_users(task.organization_id)
    if task.verifier_body_id is not None:
        return verifier_users(task.verifier_body_id)
    return []


def task_holders(task: HumanTask) -> list[User]:
    """Who holds the task now: its claimant, else everyone who sees it in their inbox."""
    if task.claimed_by_id is not None:
        holder = db.session.get(User, task.claimed_by_id)
        return [holder] if holder is not None and holder.active else []
    return lane_users(task)


def supervising_department(event: Event, kind: DeadlineKind) -> int | None:
    """R-TIME-1: the venue's EEB supervises offsetting; R-TIME-2: Natural Resources the sink project."""
    return lanes.resolve(event, "NaturalResources" if kind in SINK_DEADLINES else "EEB").department_id


def deadline_recipients(event: Event, kind: DeadlineKind) -> list[User]:
    users = organization_users(event.organization_id)
    department_id = supervising_department(event, kind)
    return users + (department_users(department_id) if department_id is not None else [])


# --------------------------------------------------------------------------- writing
def email_wanted(user: User, kind: NotificationKind) -> bool:
    """Whether this kind also goes to the user by email (their choice, else the default)."""
    choice = db.session.execute(select(NotificationPreference.email).where(
        NotificationPreference.user_id == user.id, NotificationPreference.kind == kind)).scalar()
    return (kind not in EMAIL_OFF_BY_DEFAULT) if choice is None else bool(choice)


def notify(users: Iterable[User], kind: NotificationKind, *, event: Event | None, params: dict[str, Any],
           task: HumanTask | None = None, dedupe_key: str | None = None) -> list[Notification]:
    """Write one notification per distinct user and queue its email (the caller commits).

    With a `dedupe_key`, a user who already got this notification gets nothing (reminders).
    """
    written: list[Notification] = []
    seen: set[int] = set()
    params = {"event_name": event.name if event else None, **params}
    for user in users:
        if user.id in seen:
            continue
        seen.add(user.id)
        key = f"{dedupe_key}:u{user.id}" if dedupe_key else None
        if key and db.session.execute(select(Notification.id).where(Notification.dedupe_key == key)).first():
            continue
        linked = task if task is not None and workflow.may_act(user, task) else None
        notification = Notification(user_id=user.id, kind=kind, event_id=event.id if event else None,
                                    task_id=linked.id if linked else None, params=params, dedupe_key=key)
        db.session.add(notification)
        db.session.flush()
        db.session.expire(user, ["unread_notifications"])  # the bell counts again if it is asked
        written.append(notification)
        if user.email and mailer.enabled() and email_wanted(user, kind):
            link = absolute_url("tasks.show", task_id=linked.id) if linked else (
                absolute_url("events.show", event_id=event.id) if event else absolute_url("main.index"))
            subject, body = compose(user, "message", kind=kind.value, p=params, link=link)
            queue_email(user, kind, subject, body, notification_id=notification.id, dedupe_key=key)
    return written


def user_language(user: User) -> str:
    return "en" if (user.locale or "").startswith("en") else "zh"


def compose(user: User, template: str, **context: Any) -> tuple[str, str]:
    """Render `notifications/email/<template>.<lang>.txt` in the user's language: (subject, body)."""
    language = user_language(user)
    with force_locale("en" if language == "en" else "zh_Hans_CN"):
        text = render_template(f"notifications/email/{template}.{language}.txt", user=user, **context)
    subject, _, body = text.strip().partition("\n")
    return subject.strip(), body.strip() + "\n"


def queue_email(user: User, kind: NotificationKind, subject: str, body: str, *,
                notification_id: int | None = None, dedupe_key: str | None = None) -> EmailOutbox:
    """Add an email to the outbox in the current transaction; it is sent after the commit."""
    row = EmailOutbox(user_id=user.id, notification_id=notification_id, kind=kind, recipient=user.email,
                      locale="en" if user_language(user) == "en" else "zh_Hans_CN", subject=subject[:300],
                      body_text=body, status="queued", attempts=0, next_attempt_at=utcnow(), dedupe_key=dedupe_key)
    db.session.add(row)
    g.mail_queued = True  # the web layer sends after the response (see webapp.notifications)
    return row


def absolute_url(endpoint: str, **values: Any) -> str:
    """An absolute link for emails, on PUBLIC_BASE_URL (no request needed)."""
    base = urlsplit(current_app.config["PUBLIC_BASE_URL"])
    adapter = current_app.url_map.bind(base.netloc, script_name=base.path or "/", url_scheme=base.scheme or "https")
    return adapter.build(endpoint, values, force_external=True)


def open_task_among(event: Event, names: Iterable[str]) -> HumanTask | None:
    return db.session.execute(select(HumanTask).where(
        HumanTask.event_id == event.id, HumanTask.status == "open", HumanTask.name.in_(tuple(names)))
        .order_by(HumanTask.id)).scalars().first()


def _task_params(task: HumanTask) -> dict[str, Any]:
    return {"step": task.name, "due": task.due_on.isoformat() if task.due_on else None}


# --------------------------------------------------------------------------- subscribers
def _on_task_created(task: HumanTask, *, event: Event) -> None:
    if task.name == "prepare_plan" and db.session.execute(select(Decision.id).where(
            Decision.event_id == event.id, Decision.task.in_(workflow.REVIEW_TASKS))).first():
        return  # a returned plan: the plan_returned notification (with the comments) links this task
    notify(lane_users(task), K.TASK_CREATED, event=event, task=task, params=_task_params(task))


def _on_task_reassigned(task: HumanTask, *, event: Event, actor: User, to_user: User) -> None:
    if to_user.id == actor.id:
        return
    notify([to_user], K.TASK_REASSIGNED, event=event, task=task,
           params={**_task_params(task), "by": actor.display_name})


def _on_plan_returned(event: Event, *, comments: list[tuple[str, str, str | None]]) -> None:
    task = open_task_among(event, ("prepare_plan",))
    params = {"step": "prepare_plan", "due": task.due_on.isoformat() if task and task.due_on else None,
              "comments": [{"step": step, "decision": decision, "comment": comment}
                           for step, decision, comment in comments]}
    notify(organization_users(event.organization_id), K.PLAN_RETURNED, event=event, task=task, params=params)


def _on_plan_published(event: Event) -> None:
    notify(organization_users(event.organization_id), K.PLAN_PUBLISHED, event=event, params={})


def _on_deadline_passed(event: Event, *, kind: DeadlineKind) -> None:
    deadline = db.session.execute(select(EventDeadline).where(
        EventDeadline.event_id == event.id, EventDeadline.kind == kind)).scalar()
    params = {"deadline": kind.value, "due": deadline.due_on.isoformat() if deadline else None}
    notify(deadline_recipients(event, kind), K.DEADLINE_PASSED, event=event,
           task=open_task_among(event, DEADLINE_TASKS[kind]), params=params)


def _on_evaluation_concluded(event: Event, *, conclusion: str, comment: str | None) -> None:
    notify(organization_users(event.organization_id), K.EVALUATION_CONCLUDED, event=event,
           params={"conclusion": conclusion, "comment": comment})


def _on_event_disclosed(event: Event) -> None:
    department_id = lanes.resolve(event, "EEB").department_id
    notify(department_users(department_id) if department_id else [], K.EVENT_DISCLOSED, event=event, params={})


def _on_registry_conflict(event: Event, *, cancellation: Any, record: Any, reason: str | None,
                          other_cancellation_id: int | None) -> None:
    """R-CAN-2: the venue's EEB hears of each new conflict once (per line and record or other line)."""
    department_id = supervising_department(event, DeadlineKind.OFFSET)
    params = {"cancellation_id": cancellation.id, "serial": cancellation.serial_from, "reason": reason,
              "record_serial": record.serial if record else None,
              "record_beneficiary": record.beneficiary if record else None,
              "other_cancellation_id": other_cancellation_id}
    same = hashlib.sha256(f"{record.serial}|{record.beneficiary}".encode()).hexdigest()[:16] if record else None
    key = f"registry-conflict:{cancellation.id}:{same or f'c{other_cancellation_id}'}"
    notify(department_users(department_id) if department_id else [], K.REGISTRY_CONFLICT, event=event,
           params=params, dedupe_key=key)


def connect_subscribers() -> None:
    """Subscribe to the domain signals (idempotent: connecting twice keeps one subscription)."""
    signals.task_created.connect(_on_task_created)
    signals.task_reassigned.connect(_on_task_reassigned)
    signals.plan_returned.connect(_on_plan_returned)
    signals.plan_published.connect(_on_plan_published)
    signals.deadline_passed.connect(_on_deadline_passed)
    signals.evaluation_concluded.connect(_on_evaluation_concluded)
    signals.event_disclosed.connect(_on_event_disclosed)
    signals.registry_conflict.connect(_on_registry_conflict)


# --------------------------------------------------------------------------- reading
def unread_count(user: User) -> int:
    """The bell's count: usually loaded with the signed-in user (`User.unread_notifications`)."""
    return user.unread_notifications


def notifications_query(user: User):  # noqa: ANN201 - a SQLAlchemy Select
    """The user's notifications, newest first."""
    return select(Notification).where(Notification.user_id == user.id).order_by(Notification.id.desc())


def mark_read(user: User, notification_id: int) -> Notification:
    """Mark one of the user's notifications read. :raises NotFound: not theirs (404, ids cannot be probed)."""
    notification = db.session.get(Notification, notification_id)
    if notification is None or notification.user_id != user.id:
        raise NotFound(_l("No such notification."))
    if notification.read_at is None:
        notification.read_at = utcnow()
        db.session.expire(user, ["unread_notifications"])
    return notification


def mark_all_read(user: User) -> int:
    """Mark every unread notification of the user read; return how many."""
    result = db.session.execute(update(Notification).where(
        Notification.user_id == user.id, Notification.read_at.is_(None)).values(read_at=utcnow()))
    db.session.expire(user, ["unread_notifications"])
    return result.rowcount or 0


def kinds_for(user: User) -> tuple[NotificationKind, ...]:
    return KINDS_BY_ROLE.get(user.role, ())


def email_choices(user: User) -> dict[NotificationKind, bool]:
    """The user's email choice for every kind they can receive."""
    return {kind: email_wanted(user, kind) for kind in kinds_for(user)}


def set_email_choices(user: User, choices: dict[NotificationKind, bool]) -> None:
    """Store which kinds also go by email (kinds the role cannot receive are ignored)."""
    existing = {p.kind: p for p in db.session.execute(select(NotificationPreference).where(
        NotificationPreference.user_id == user.id)).scalars()}
    for kind in kinds_for(user):
        wanted = bool(choices.get(kind, False))
        if kind in existing:
            existing[kind].email = wanted
        else:
            db.session.add(NotificationPreference(user_id=user.id, kind=kind, email=wanted))
