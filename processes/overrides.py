"""Administrator overrides (issue #10), each with a mandatory reason and audited:

- reassign any open task to a person who may act in its lane, or to a fitting department
  (`override.reassigned`);
- retry (`process.retried`) or skip (`override.step_skipped`) an automatic step that failed;
- correct the saved draft data of a task not yet completed (`override.data_corrected`).

`listing` returns them for the event page and the compliance report (#7).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from models import AuditEntry, Department, Event, HumanTask, ProcessInstance, Role, User, db
from models.db import utcnow
from models.org import DepartmentKind
from processes import audit, duties, engine, lanes, signals, workflow
from processes.errors import Conflict, Forbidden, Invalid, NotFound

OVERRIDE_ACTIONS = ("override.reassigned", "override.step_skipped", "override.data_corrected", "process.retried")
# Overrides and the moves between diagram versions: what the compliance report lists as governance.
GOVERNANCE_ACTIONS = (*OVERRIDE_ACTIONS, "process.migrated", "process.migration_reverted")
LANE_DEPARTMENTS: dict[str, frozenset[DepartmentKind]] = {
    "SectorBureau": frozenset({*lanes.SECTOR_DEPARTMENT.values(), DepartmentKind.EEB}),  # EEB: the fallback
    "EEB": frozenset({DepartmentKind.EEB}),
    "Finance": frozenset({DepartmentKind.FINANCE}),
    "NaturalResources": frozenset({DepartmentKind.NATURAL_RESOURCES}),
}


def _require_admin(actor: User) -> None:
    if actor.role != Role.ADMIN:
        raise Forbidden(_l("Only an administrator may override the process."))


def _reason(reason: str | None) -> str:
    text = (reason or "").strip()
    if not text:
        raise Invalid(_l("Give a reason; it is kept in the audit trail."), {"reason": [_l("Required.")]})
    return text


def _open_task(human_task_id: int) -> tuple[HumanTask, Event]:
    task = db.session.get(HumanTask, human_task_id)
    if task is None:
        raise NotFound(_l("No such task."))
    if task.status != "open":
        raise Conflict(_l("This task has already been completed."))
    return task, db.session.get(Event, task.event_id)


# --------------------------------------------------------------------------- who may hold a task
def refusal(user: User, task: HumanTask, event: Event) -> str | None:
    """Why `user` may not hold `task` of `event`, or None when they may act in its lane."""
    if not user.active:
        return str(_l("%(name)s's account is disabled.", name=user.display_name))
    if task.lane == "Organizer":
        if user.role == Role.ORGANIZER and user.organization_id == event.organization_id:
            return None
        return str(_l("%(name)s is not with the organizing organisation.", name=user.display_name))
    if task.lane in LANE_DEPARTMENTS:
        if not (user.is_department and user.department and user.department.kind in LANE_DEPARTMENTS[task.lane]):
            return str(_l("%(name)s is not in a department that acts in this lane.", name=user.display_name))
        if duties.own_event(user, event):
            return str(_l("%(name)s's department organizes this event (separation of duties).",
                          name=user.display_name))
        return None
    if task.lane == "Verifier":
        body = user.verifier_body
        if user.role != Role.VERIFIER or body is None:
            return str(_l("%(name)s is not with a verification body.", name=user.display_name))
        if not body.is_accredited_between(event.starts_on, event.ends_on):
            return str(_l("The accreditation of %(body)s does not cover the event's dates.", body=body.name))
        if duties.conflict_of(body, event) is not None:
            return str(_l("%(body)s declared a conflict of interest with the organizer.", body=body.name))
        return None
    return str(_l("Nobody may take over a task of lane %(lane)s.", lane=task.lane))


def department_refusal(department: Department, task: HumanTask, event: Event) -> str | None:
    """Why the task cannot go to `department`, or None when it can."""
    if department.kind not in LANE_DEPARTMENTS.get(task.lane, frozenset()):
        return str(_l("This department does not act in the task's lane."))
    if event.organization.department_id == department.id:
        return str(_l("This department organizes the event (separation of duties)."))
    return None


def candidates(task: HumanTask, event: Event) -> tuple[list[User], list[Department]]:
    """The people and departments an administrator may hand the task to."""
    users = db.session.execute(select(User).where(User.active.is_(True)).order_by(User.display_name)).scalars()
    departments = db.session.execute(select(Department).order_by(Department.id)).scalars()
    return ([u for u in users if refusal(u, task, event) is None],
            [d for d in departments if department_refusal(d, task, event) is None])


# --------------------------------------------------------------------------- overrides
def _holder(task: HumanTask) -> dict[str, int | None]:
    return {"organization_id": task.organization_id, "department_id": task.department_id,
            "verifier_body_id": task.verifier_body_id, "claimed_by_id": task.claimed_by_id}


def reassign(actor: User, human_task_id: int, reason: str, *, to_user: User | None = None,
             to_department: Department | None = None) -> HumanTask:
    """Hand an open task to a person of its lane (who then holds it) or to a department (its
    staff may claim it). The caller commits.

    :raises Forbidden: not an admin, or the person/department may not act in the task's lane.
    :raises Invalid: no reason, or neither/both targets. :raises Conflict: the task is closed.
    """
    _require_admin(actor)
    reason = _reason(reason)
    if (to_user is None) == (to_department is None):
        raise Invalid(_l("Choose a person or a department."), {"to": [_l("Choose a person or a department.")]})
    task, event = _open_task(human_task_id)
    before = _holder(task)
    if to_user is not None:
        if (why := refusal(to_user, task, event)) is not None:
            raise Forbidden(why)
        if task.lane in LANE_DEPARTMENTS:
            task.department_id = to_user.department_id
        elif task.lane == "Verifier":
            task.verifier_body_id = to_user.verifier_body_id
        task.claimed_by_id = to_user.id
    else:
        if (why := department_refusal(to_department, task, event)) is not None:
            raise Forbidden(why)
        task.department_id, task.claimed_by_id = to_department.id, None
    audit.record(actor, "override.reassigned", event=event, task=task.name, reason=reason,
                 data={"human_task_id": task.id, "from": before, "to": _holder(task)})
    db.session.flush()
    if to_user is not None:
        signals.task_reassigned.send(task, event=event, actor=actor, to_user=to_user)
    else:
        signals.task_created.send(task, event=event)
    return task


def retry_step(actor: User, event: Event, reason: str, now: datetime | None = None) -> ProcessInstance:
    """Re-run the failed automatic step after its cause was fixed (audited `process.retried`)."""
    _require_admin(actor)
    return workflow.retry(actor, event, now, reason=_reason(reason))


def skip_step(actor: User, event: Event, reason: str, now: datetime | None = None) -> ProcessInstance:
    """Mark the failed automatic step done without running it (its work was done by hand, or is
    not needed) and let the process go on. The caller commits.

    :raises Conflict: no step failed.
    """
    _require_admin(actor)
    reason = _reason(reason)
    now = now or utcnow()
    instance = workflow.locked_instance(event.id)
    if instance.status != "needs_attention":
        raise Conflict(_l("Nothing to skip: the process is not waiting for attention."))
    wf = workflow.load_state(instance)
    try:
        skipped, _result = engine.skip_failed(wf, workflow.services_for(event, now))
    except engine.TaskNotReady as exc:
        raise Conflict(_l("Nothing to skip: the process is not waiting for attention.")) from exc
    audit.record(actor, "override.step_skipped", event=event, task=skipped.name, reason=reason,
                 data={"error": skipped.error})
    workflow.save_state(instance, event, wf, actor, now)
    return instance


def correct_data(actor: User, human_task_id: int, data: dict[str, Any], reason: str) -> HumanTask:
    """Replace the saved draft of a task not yet completed (its holder will submit it). The caller
    commits; the audit entry keeps the changed fields before and after.

    :raises Invalid: no reason, not a JSON object, or nothing changed. :raises Conflict: completed.
    """
    _require_admin(actor)
    reason = _reason(reason)
    task, event = _open_task(human_task_id)
    if not isinstance(data, dict):
        raise Invalid(_l("The data must be a JSON object."), {"data": [_l("The data must be a JSON object.")]})
    try:
        clean = json.loads(json.dumps(data, allow_nan=False, ensure_ascii=False))
    except (TypeError, ValueError) as exc:
        raise Invalid(_l("The data must be plain JSON."), {"data": [str(exc)]}) from exc
    before = task.draft or {}
    changed = sorted(key for key in before.keys() | clean.keys() if before.get(key) != clean.get(key))
    if not changed:
        raise Invalid(_l("Nothing changed."), {"data": [_l("Nothing changed.")]})
    task.draft = clean
    audit.record(actor, "override.data_corrected", event=event, task=task.name, reason=reason, data={
        "human_task_id": task.id, "fields": changed,
        "before": {key: before.get(key) for key in changed}, "after": {key: clean.get(key) for key in changed},
    })
    return task


# --------------------------------------------------------------------------- reading
def listing(*, event_ids: Iterable[int] | None = None, since: datetime | None = None,
            until: datetime | None = None, actions: Iterable[str] = OVERRIDE_ACTIONS) -> list[AuditEntry]:
    """Overrides (or, with `actions=GOVERNANCE_ACTIONS`, also version migrations), oldest first,
    optionally of some events and within [since, until) — for the event page and the compliance
    report."""
    query = select(AuditEntry).where(AuditEntry.action.in_(tuple(actions))).order_by(AuditEntry.seq)
    if event_ids is not None:
        query = query.where(AuditEntry.event_id.in_(list(event_ids)))
    if since is not None:
        query = query.where(AuditEntry.at >= since)
    if until is not None:
        query = query.where(AuditEntry.at < until)
    return list(db.session.execute(query).scalars())
