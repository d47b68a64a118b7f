"""In-app notifications rendered in the reader's language from their stored parameters."""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext as _

from models import Notification, NotificationKind
from models.event import DeadlineKind
from webapp.tasks.titles import TASK_TITLES

K = NotificationKind


@dataclass(frozen=True)
class Rendered:
    title: str
    body: str
    lines: list[str]  # reviewers' comments and the like


def step_title(name: str | None) -> str:
    return str(TASK_TITLES.get(name, name)) if name else ""


def deadline_title(value: str | None) -> str:
    try:
        return DeadlineKind(value).title
    except ValueError:
        return value or ""


def decision_title(value: str | None) -> str:
    return {"approve": _("approved"), "return": _("returned"), "neutral": _("carbon neutral"),
            "not_neutral": _("not carbon neutral")}.get(value or "", value or "")


def render(notification: Notification) -> Rendered:
    """Title, body and detail lines of a notification, in the current language."""
    p = notification.params or {}
    event, step, due = p.get("event_name") or "", step_title(p.get("step")), p.get("due") or "—"
    kind, lines = notification.kind, []
    if kind == K.TASK_CREATED:
        title, body = _("New task: %(step)s", step=step), _("%(event)s — due %(due)s", event=event, due=due)
    elif kind == K.TASK_REASSIGNED:
        title = _("%(name)s gave you a task: %(step)s", name=p.get("by") or "", step=step)
        body = _("%(event)s — due %(due)s", event=event, due=due)
    elif kind == K.TASK_DUE:
        title = _("Due in %(days)s days: %(step)s", days=p.get("days_left"), step=step)
        body = _("%(event)s — due %(due)s", event=event, due=due)
    elif kind == K.TASK_OVERDUE:
        title, body = _("Overdue: %(step)s", step=step), _("%(event)s — was due %(due)s", event=event, due=due)
    elif kind == K.PLAN_RETURNED:
        title = _("Your plan was returned: %(event)s", event=event)
        body = _("Revise the plan and submit it again by %(due)s.", due=due)
        lines = [f"{step_title(c.get('step'))} ({decision_title(c.get('decision'))}): {c.get('comment') or '—'}"
                 for c in p.get("comments") or []]
    elif kind == K.PLAN_PUBLISHED:
        title = _("Your plan is approved and published: %(event)s", event=event)
        body = _("Every reviewer approved the plan; it is public now.")  # R-PLAN-1
    elif kind == K.DEADLINE_APPROACHING:
        title = _("Deadline in %(days)s days: %(deadline)s", days=p.get("days_left"),
                  deadline=deadline_title(p.get("deadline")))
        body = _("%(event)s — due %(due)s", event=event, due=due)
    elif kind == K.DEADLINE_PASSED:
        title = _("Deadline passed: %(deadline)s", deadline=deadline_title(p.get("deadline")))
        body = _("%(event)s — was due %(due)s", event=event, due=due)
    elif kind == K.EVALUATION_CONCLUDED:
        title = _("Third-party evaluation concluded: %(event)s", event=event)
        body = _("Conclusion: %(conclusion)s", conclusion=decision_title(p.get("conclusion")))
        lines = [p["comment"]] if p.get("comment") else []
    elif kind == K.EVENT_DISCLOSED:
        title = _("Confirmed carbon neutral and disclosed: %(event)s", event=event)
        body = _("The neutrality statement and cancellation records are public.")  # R-DIS-1
    elif kind == K.REGISTRY_CONFLICT:
        title = _("A cancellation conflicts with the registry's data: %(event)s", event=event)
        if p.get("reason") == "two_ledger_lines":
            body = _("Serial %(serial)s: the same units stand in another ledger line (no. %(other)s).",
                     serial=p.get("serial") or "", other=p.get("other_cancellation_id") or "—")
        else:
            body = _("Serial %(serial)s: the registry records these units as retired for “%(beneficiary)s”.",
                     serial=p.get("serial") or "", beneficiary=p.get("record_beneficiary") or "—")
        lines = [p["record_serial"]] if p.get("record_serial") else []
    else:
        title, body = kind.title, event
    return Rendered(title=title, body=body, lines=lines)
