"""What the organizer does next, and when (issue #18): the event page's "what happens next" says not
only who acts now but the organizer's own next step and its date, and what a waiting process waits for.

Read from the projection the page already has (open `human_task` rows and the diagram's current
elements), never from the workflow itself.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from models import Event, HumanTask
from models.event import EventStatus, Tier
from processes.dates import task_due

EVENT_END_TIMER = "event_ended"  # the diagram's timer on event_end_at (R-ACC-1)
ENDED = {EventStatus.CONFIRMED, EventStatus.OUT_OF_SCOPE, EventStatus.VOLUNTARY}
SIGN_OFF = {"review_plan_sector", "review_plan_eeb", "review_funding"}


@dataclass(frozen=True)
class OwnStep:
    """The organizer's next step.

    `task`: the BPMN task name, or None when nothing is left for the organizer after `after`;
    `after`: what it waits for — None (open now), "event_end", "sign_off", "validation", "evaluation";
    `opens_on`: the day it opens (None: open now or not known yet); `due_on`: by when it is due, or for
    a step that waits on someone else, by when that someone is due.
    """

    task: str | None
    after: str | None = None
    opens_on: date | None = None
    due_on: date | None = None


def reduction_report_opens(event: Event) -> date:
    """The day the reduction report opens: the event-end timer fires as the last day ends (Beijing time)."""
    return event.ends_on + timedelta(days=1)


def organizer_next(event: Event, open_tasks: Iterable[HumanTask], current: Iterable[str]) -> OwnStep | None:
    """The organizer's next step given the open tasks and the diagram's current elements; None once the
    process has ended."""
    if event.status in ENDED:
        return None
    tasks = list(open_tasks)
    own = sorted((t for t in tasks if t.organization_id is not None),
                 key=lambda t: (t.due_on is None, t.due_on or date.max, t.id))
    if own:
        return OwnStep(own[0].name, due_on=own[0].due_on)
    names = {t.name: t for t in tasks}
    if EVENT_END_TIMER in set(current) or SIGN_OFF & set(names):
        opens = reduction_report_opens(event)
        return OwnStep("report_reductions", after="event_end" if EVENT_END_TIMER in set(current) else "sign_off",
                       opens_on=opens, due_on=task_due("report_reductions", event, opens))
    if "validate_sink_project" in names:
        after_validation = "sign_commitment" if event.tier == Tier.SELF_COMMITMENT else None
        return OwnStep(after_validation, after="validation", due_on=names["validate_sink_project"].due_on)
    if "third_party_evaluation" in names:
        return OwnStep(None, after="evaluation", due_on=names["third_party_evaluation"].due_on)
    return None
