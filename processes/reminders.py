"""Reminders before deadlines (R-TIME-1, R-TIME-2) and of tasks' due dates, and the daily digest
of department leads. Both are idempotent: a reminder or digest is written once, however often
`flask deadlines tick` / `flask notifications digest` run (dedupe keys)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

from flask import current_app
from sqlalchemy import Row, select

from models import EmailOutbox, Event, EventDeadline, HumanTask, Notification, NotificationKind, Role, User, db
from models.db import utcnow
from models.event import DeadlineKind
from models.org import DepartmentKind
from processes import events, mailer, notifications
from processes.dates import local_today

K = NotificationKind
# Which overdue deadlines a department lead's digest lists.
SUPERVISED_DEADLINES: dict[DepartmentKind, tuple[DeadlineKind, ...]] = {
    DepartmentKind.EEB: (DeadlineKind.OFFSET,),
    DepartmentKind.NATURAL_RESOURCES: (DeadlineKind.SINK_APPLICATION, DeadlineKind.SINK_VALIDATION),
}


def lead_time(days_left: int, leads: tuple[int, ...]) -> int | None:
    """The reminder a deadline `days_left` away is due for: the smallest lead time that reached it."""
    reached = [lead for lead in leads if 0 <= days_left <= lead]
    return min(reached) if reached else None


def send_reminders(now: datetime | None = None) -> int:
    """Write the reminders that are due (once each); return how many notifications were written.

    Deadlines of the plan: REMINDER_DEADLINE_DAYS before (default 30 and 7) to the organizer and
    the supervising department. Tasks: REMINDER_TASK_DAYS before their due date (default 3) and
    once when overdue, to their holder. The caller commits, then runs `mailer.send_pending`.
    """
    today = local_today(now or utcnow())
    written = 0
    deadline_leads = tuple(current_app.config.get("REMINDER_DEADLINE_DAYS", (30, 7)))
    task_leads = tuple(current_app.config.get("REMINDER_TASK_DAYS", (3,)))
    if deadline_leads:
        upcoming = db.session.execute(select(EventDeadline.id, EventDeadline.due_on, Event.organization_id)
                                      .join(Event, Event.id == EventDeadline.event_id).where(
            EventDeadline.met_at.is_(None), EventDeadline.overdue_at.is_(None), EventDeadline.due_on >= today,
            EventDeadline.due_on <= today + timedelta(days=max(deadline_leads))).order_by(EventDeadline.id)).all()
        keys = {row.id: _deadline_key(row.id, (row.due_on - today).days, deadline_leads) for row in upcoming}
        # The organizer's accounts stand for all recipients: one notify() writes to all of them at once.
        pending = _unsent([(row.id, keys[row.id], ("o", row.organization_id)) for row in upcoming if keys[row.id]],
                          nobody_is_pending=True)  # without organizer accounts, the department still gets it
        for deadline_id in pending:
            written += _deadline_reminder(db.session.get(EventDeadline, deadline_id), today, deadline_leads)
    if task_leads:
        due_tasks = db.session.execute(select(
            HumanTask.id, HumanTask.due_on, HumanTask.claimed_by_id, HumanTask.department_id,
            HumanTask.organization_id, HumanTask.verifier_body_id).where(
            HumanTask.status == "open", HumanTask.due_on.is_not(None),
            HumanTask.due_on <= today + timedelta(days=max(task_leads))).order_by(HumanTask.id)).all()
        keys = {row.id: _task_key(row.id, (row.due_on - today).days, task_leads) for row in due_tasks}
        pending = _unsent([(row.id, keys[row.id], _holder(row)) for row in due_tasks if keys[row.id]])
        for task_id in pending:
            written += _task_reminder(db.session.get(HumanTask, task_id), today, task_leads)
    return written


# --------------------------------------------------------------------------- what is still to send
# The tick runs every few minutes over a history of years: most due reminders were written by an earlier
# run. Which ones are still missing is found in bulk — the recipients of all candidates in a few queries,
# then their reminders' keys looked up a thousand at a time — and only those are composed one by one
# (issue #19: a tick that writes nothing costs a handful of queries, not several per overdue task).
def _deadline_key(deadline_id: int, days_left: int, leads: tuple[int, ...]) -> str | None:
    lead = lead_time(days_left, leads)
    return None if lead is None else f"deadline:{deadline_id}:{lead}d"


def _task_key(task_id: int, days_left: int, leads: tuple[int, ...]) -> str | None:
    if days_left < 0:
        return f"task:{task_id}:overdue"
    lead = lead_time(days_left, leads)
    return None if lead is None else f"task:{task_id}:{lead}d"


def _holder(row: Row) -> tuple[str, int | None]:
    """Who receives a task's reminder, as `notifications.task_holders` resolves it."""
    if row.claimed_by_id is not None:
        return "u", row.claimed_by_id
    if row.department_id is not None:
        return "d", row.department_id
    if row.organization_id is not None:
        return "o", row.organization_id
    return ("v", row.verifier_body_id) if row.verifier_body_id is not None else ("-", None)


_HOLDER_USERS = {
    "u": (User.id, None),
    "d": (User.department_id, User.role.in_(notifications.DEPARTMENT_ROLES)),
    "o": (User.organization_id, User.role.not_in(notifications.DEPARTMENT_ROLES)),
    "v": (User.verifier_body_id, User.role == Role.VERIFIER),
}


def _recipients(holders: set[tuple[str, int | None]]) -> dict[tuple[str, int | None], list[int]]:
    """The active users of each holder (a person, a department, an organisation, a verification body)."""
    result: dict[tuple[str, int | None], list[int]] = {holder: [] for holder in holders}
    for kind, (column, condition) in _HOLDER_USERS.items():
        ids = sorted(value for k, value in holders if k == kind and value is not None)
        for chunk in _chunks(ids):
            query = select(column, User.id).where(User.active.is_(True), column.in_(chunk))
            for holder_id, user_id in db.session.execute(query if condition is None else query.where(condition)):
                result[(kind, holder_id)].append(user_id)
    return result


def _unsent(candidates: list[tuple[int, str | None, tuple[str, int | None]]], *,
            nobody_is_pending: bool = False) -> list[int]:
    """The candidates (id, reminder key, holder) of which some recipient has not had the reminder yet
    (and, with `nobody_is_pending`, those whose holder has no active user to tell by)."""
    recipients = _recipients({holder for _id, _key, holder in candidates})
    wanted = {(item_id, f"{key}:u{user_id}") for item_id, key, holder in candidates for user_id in recipients[holder]}
    sent: set[str] = set()
    for chunk in _chunks(sorted({key for _id, key in wanted})):
        sent.update(db.session.execute(select(Notification.dedupe_key).where(
            Notification.dedupe_key.in_(chunk))).scalars())
    pending = {item_id for item_id, key in wanted if key not in sent}
    if nobody_is_pending:
        pending |= {item_id for item_id, _key, holder in candidates if not recipients[holder]}
    return sorted(pending)


def _chunks(values: list, size: int = 1000) -> Iterator[list]:
    for start in range(0, len(values), size):
        yield values[start:start + size]


def _deadline_reminder(deadline: EventDeadline, today: date, leads: tuple[int, ...]) -> int:
    days_left = (deadline.due_on - today).days
    lead = lead_time(days_left, leads)
    if lead is None:
        return 0
    event = db.session.get(Event, deadline.event_id)
    return len(notifications.notify(
        notifications.deadline_recipients(event, deadline.kind), K.DEADLINE_APPROACHING, event=event,
        task=notifications.open_task_among(event, notifications.DEADLINE_TASKS[deadline.kind]),
        params={"deadline": deadline.kind.value, "due": deadline.due_on.isoformat(), "days_left": days_left},
        dedupe_key=f"deadline:{deadline.id}:{lead}d"))


def _task_reminder(task: HumanTask, today: date, leads: tuple[int, ...]) -> int:
    days_left = (task.due_on - today).days
    if days_left < 0:
        kind, key = K.TASK_OVERDUE, f"task:{task.id}:overdue"
    else:
        lead = lead_time(days_left, leads)
        if lead is None:
            return 0
        kind, key = K.TASK_DUE, f"task:{task.id}:{lead}d"
    event = db.session.get(Event, task.event_id)
    return len(notifications.notify(
        notifications.task_holders(task), kind, event=event, task=task,
        params={"step": task.name, "due": task.due_on.isoformat(), "days_left": days_left}, dedupe_key=key))


# --------------------------------------------------------------------------- digest
def digest_for(lead: User, now: datetime) -> dict:
    """What a department lead's digest lists: open and overdue tasks, overdue deadlines, new events."""
    today = local_today(now)
    tasks = db.session.execute(select(HumanTask).where(
        HumanTask.department_id == lead.department_id, HumanTask.status == "open")
        .order_by(HumanTask.due_on.is_(None), HumanTask.due_on, HumanTask.id)).scalars().all()
    visible = events.visible_events_query(lead).subquery()
    kinds = SUPERVISED_DEADLINES.get(lead.department.kind, ()) if lead.department else ()
    deadlines = db.session.execute(select(EventDeadline).where(
        EventDeadline.event_id.in_(select(visible.c.id)), EventDeadline.kind.in_(kinds),
        EventDeadline.is_overdue)
        .order_by(EventDeadline.due_on)).scalars().all() if kinds else []
    new_events = db.session.execute(events.visible_events_query(lead).where(
        Event.created_at >= (now - timedelta(days=1)).astimezone(UTC)).order_by(Event.id)).scalars().all()
    names = {e.id: e.name for e in db.session.execute(select(Event).where(
        Event.id.in_({t.event_id for t in tasks} | {d.event_id for d in deadlines}))).scalars()}
    return {
        "open_tasks": [t for t in tasks if not (t.due_on and t.due_on < today)],
        "overdue_tasks": [t for t in tasks if t.due_on and t.due_on < today],
        "overdue_deadlines": deadlines,
        "new_events": new_events,
        "event_names": names,
        "today": today,
    }


def send_digests(now: datetime | None = None) -> int:
    """Queue the daily digest of every department lead who chose it (once per local day, only when
    something is listed); return how many were queued. The caller commits, then sends."""
    now = now or utcnow()
    if not mailer.enabled():
        return 0
    today = local_today(now)
    leads = db.session.execute(select(User).where(
        User.role == Role.DEPARTMENT_LEAD, User.active.is_(True), User.email.is_not(None), User.email != "")
        .order_by(User.id)).scalars().all()
    queued = 0
    for lead in leads:
        key = f"digest:{lead.id}:{today.isoformat()}"
        if not notifications.email_wanted(lead, K.DIGEST) or db.session.execute(
                select(EmailOutbox.id).where(EmailOutbox.dedupe_key == key)).first():
            continue
        content = digest_for(lead, now)
        if not any(content[part] for part in ("open_tasks", "overdue_tasks", "overdue_deadlines", "new_events")):
            continue
        subject, body = notifications.compose(
            lead, "digest", d=content, link=notifications.absolute_url("tasks.inbox"),
            task_link=lambda task_id: notifications.absolute_url("tasks.show", task_id=task_id),
            event_link=lambda event_id: notifications.absolute_url("events.show", event_id=event_id))
        notifications.queue_email(lead, K.DIGEST, subject, body, dedupe_key=key)
        queued += 1
    return queued
