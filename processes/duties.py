"""Separation of duties (issue #10): nobody decides on an event their own organisation organizes,
and a verification body never evaluates an organizer it declared a conflict with."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from models import Event, HumanTask, User, VerifierBody, VerifierConflict, db
from processes import audit
from processes.errors import Forbidden

DECIDING_LANES = {"SectorBureau", "EEB", "Finance", "NaturalResources", "Verifier"}


def own_event(user: User, event: Event) -> bool:
    """Whether the user's department is the organizing organisation of the event."""
    own_department = event.organization.department_id
    return own_department is not None and user.department_id == own_department


def check_may_decide(user: User, task: HumanTask, event: Event) -> None:
    """:raises Forbidden: the user would review, fund, validate, evaluate or follow up their own event."""
    if task.lane in DECIDING_LANES and own_event(user, event):
        audit.record(user, "duties.refused", event=event, task=task.name,
                     data={"rule": "separation of duties", "human_task_id": task.id})
        db.session.commit()  # the refusal stays on record; nothing else was written
        raise Forbidden(_l("Your own organisation organizes this event, so you may not decide on it "
                           "(separation of duties)."))


def conflict_of(body: VerifierBody, event: Event) -> VerifierConflict | None:
    """The body's declared conflict with the event's organizer, if any."""
    return db.session.execute(select(VerifierConflict).where(
        VerifierConflict.verifier_body_id == body.id,
        VerifierConflict.organization_id == event.organization_id)).scalar()
