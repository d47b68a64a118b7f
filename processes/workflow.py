"""Run events' processes: deploy diagram versions, start, complete tasks in one transaction,
keep the `human_task` inbox in step, fire deadline timers.

The diagram (bpmn/) decides who does what next; this module persists the engine's state and
projects it into rows people can query. Only `processes.engine` touches SpiffWorkflow.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from functools import partial
from pathlib import Path
from typing import Any

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload
from sqlalchemy.orm.exc import StaleDataError

from models import Decision, Event, EventDeadline, HumanTask, ProcessInstance, ProcessVersion, User, db
from models.db import utcnow
from models.event import DeadlineKind, EventStatus
from processes import audit, duties, engine, lanes, signals
from processes.dates import (
    LOCAL_TZ,
    TASK_DUE_RULES,
    end_of_day,
    local_today,
    offset_due,
    sink_application_due,
    sink_validation_due,
    task_due,
)
from processes.errors import Conflict, Forbidden, NotFound

# Deadline timers of the diagrams (boundary events) → the deadline they watch.
TIMER_DEADLINES = {
    "offset_deadline_passed": DeadlineKind.OFFSET,  # R-TIME-1
    "application_deadline_passed": DeadlineKind.SINK_APPLICATION,  # R-TIME-2
    "validation_deadline_passed": DeadlineKind.SINK_VALIDATION,  # R-TIME-2
}
# Where an event stands while one of these tasks is open (first match in this order wins).
STATUS_BY_TASK: list[tuple[str, EventStatus]] = [
    ("prepare_plan", EventStatus.PLANNING),
    ("review_plan_sector", EventStatus.PLAN_REVIEW),
    ("review_plan_eeb", EventStatus.PLAN_REVIEW),
    ("review_funding", EventStatus.PLAN_REVIEW),
    ("report_reductions", EventStatus.REDUCING),
    ("account_emissions", EventStatus.ACCOUNTING),
    ("cancel_units", EventStatus.OFFSETTING),
    ("cancel_remainder", EventStatus.OFFSETTING),
    ("register_sink_project", EventStatus.OFFSETTING),
    ("validate_sink_project", EventStatus.OFFSETTING),
    ("third_party_evaluation", EventStatus.CONFIRMING),
    ("sign_commitment", EventStatus.CONFIRMING),
    ("review_correction", EventStatus.ACCOUNTING),  # a correction asked at confirmation holds it
    ("correct_account", EventStatus.ACCOUNTING),
]
END_STATUS = {
    "end_out_of_scope": EventStatus.OUT_OF_SCOPE,
    "end_voluntary": EventStatus.VOLUNTARY,
    "end_left_scope": EventStatus.VOLUNTARY,
    "end_disclosed": EventStatus.CONFIRMED,
}
OFFSETTING_TASKS = {"cancel_units", "cancel_remainder", "register_sink_project", "validate_sink_project"}
REVIEW_TASKS = ("review_plan_sector", "review_plan_eeb", "review_funding")

TaskHandler = Callable[[Event, HumanTask, User, dict[str, Any], datetime], dict[str, Any]]


# --------------------------------------------------------------------------- versions
def _bpmn_dir() -> Path:
    return Path(current_app.config["BPMN_DIR"])


def deploy(actor: User | None = None, note: str | None = None) -> ProcessVersion:
    """Register the diagrams on disk as a new numbered version unless that content is deployed;
    `note` says what changed and why (shown with the version)."""
    specs = engine.load_specs(_bpmn_dir())
    version = db.session.execute(
        select(ProcessVersion).where(ProcessVersion.content_hash == specs.content_hash)
    ).scalar()
    if version is not None:
        return version
    last = db.session.execute(select(ProcessVersion.number).order_by(ProcessVersion.number.desc())).scalar()
    version = ProcessVersion(
        number=(last or 0) + 1,
        content_hash=specs.content_hash,
        spec_json=specs.spec_json,
        files={path.name: path.read_text(encoding="utf-8") for path in sorted(_bpmn_dir().glob("*.bpmn"))},
        deployed_by_id=actor.id if actor else None,
        note=(note or "").strip() or None,
    )
    db.session.add(version)
    db.session.flush()
    audit.record(actor, "process.deployed", reason=version.note,
                 data={"number": version.number, "hash": specs.content_hash})
    return version


def newest_version() -> ProcessVersion:
    """The newest deployed version (deploying the files on disk if nothing is deployed yet)."""
    version = db.session.execute(select(ProcessVersion).order_by(ProcessVersion.number.desc())).scalar()
    return version or deploy()


def _specs_for(version: ProcessVersion) -> engine.ProcessSpecs:
    """The parsed specs of a version: from disk when unchanged (cached), else from its stored JSON."""
    specs = engine.load_specs(_bpmn_dir())
    if specs.content_hash == version.content_hash:
        return specs
    return engine.specs_from_json(version.spec_json)


# --------------------------------------------------------------------------- services for the diagram
def _services(event: Event, now: datetime) -> engine.Services:
    return {
        "publish_plan": partial(_publish_plan, event, now),
        "disclose": partial(_disclose, event, now),
        "check_coverage": partial(_check_coverage, event),
    }


def _publish_plan(event: Event, now: datetime, _data: dict[str, Any]) -> None:
    """R-PLAN-1: every reviewer approved; the plan becomes public."""
    event.plan_published_at = now
    audit.record(None, "plan.published", event=event, data={"requirement": "R-PLAN-1"})
    signals.plan_published.send(event)


def _disclose(event: Event, now: datetime, _data: dict[str, Any]) -> None:
    """R-DIS-1: the neutrality statement and cancellation records become public."""
    event.disclosed_at = now
    audit.record(None, "event.disclosed", event=event, data={"requirement": "R-DIS-1"})
    signals.event_disclosed.send(event)


def _check_coverage(event: Event, _data: dict[str, Any]) -> bool:
    """R-OFF-1, R-ACC-1: whether active cancellations and the validated sink cover the account; a
    shortfall is audited with its size (the diagram then asks the organizer to cancel the rest)."""
    from processes import accounting, offsets

    accounted = Decimal(accounting.emissions_summary(event)["actual_tco2e"] or "0")
    missing = offsets.shortfall_tco2e(event, accounted)
    if missing > 0:
        audit.record(None, "offsets.shortfall", event=event, reason="R-OFF-1",
                     data={"accounted_tco2e": offsets.tco2e(accounted), "missing_tco2e": offsets.tco2e(missing)})
    return missing == 0


# --------------------------------------------------------------------------- start
def start_variables(event: Event) -> dict[str, Any]:
    """The process variables of an event: its tier, funding flag and the plan's deadlines."""
    return {
        "event_id": event.id,
        "tier": event.tier.value,
        "fiscal_funding_requested": bool(event.fiscal_funding_requested),
        "event_end_at": end_of_day(event.ends_on).isoformat(),
        "offset_deadline": end_of_day(offset_due(event.ends_on)).isoformat(),
        "sink_application_deadline": end_of_day(sink_application_due(event.ends_on)).isoformat(),
        "sink_validation_deadline": end_of_day(sink_validation_due(event.ends_on)).isoformat(),
    }


def start_process(event: Event, actor: User, now: datetime | None = None) -> ProcessInstance:
    """Start the event's process on the newest diagram version (the caller commits)."""
    now = now or utcnow()
    version = newest_version()
    wf = engine.start(_specs_for(version), start_variables(event), _services(event, now))
    instance = ProcessInstance(event_id=event.id, process_version_id=version.id, state_json="{}")
    instance.process_version = version
    db.session.add(instance)
    db.session.flush()
    audit.record(actor, "process.started", event=event, data={"version": version.number})
    _save(instance, event, wf, actor, now)
    return instance


# --------------------------------------------------------------------------- load / save
def _load(instance: ProcessInstance, event: Event | None = None) -> engine.Workflow:
    """Restore the instance on the (cached) specs of its version. With the event, hand the gateways
    ahead its current tier (R-TIER-X), so a re-evaluated tier also reaches steps not yet armed."""
    wf = engine.restore(_specs_for(instance.process_version), instance.state_json)
    if event is not None:
        engine.update_variables(wf, {"tier": event.tier.value})
    return wf


@dataclass(frozen=True)
class _Views:
    """What a save projects, read from the workflow once (each read walks the task tree)."""

    ready: list[engine.UserTaskView]
    timers: list[engine.TimerView]
    done: set[str]
    completed: bool

    @classmethod
    def of(cls, wf: engine.Workflow) -> _Views:
        return cls(engine.ready_user_tasks(wf), engine.waiting_timers(wf),
                   {entry.name for entry in engine.history(wf)}, engine.is_completed(wf))

    @property
    def open_names(self) -> set[str]:
        return {view.name for view in self.ready}

    def diagram(self) -> dict[str, list[str]]:
        """The diagram's completed and current elements (open tasks, armed timers)."""
        return {"completed": sorted(self.done),
                "current": sorted(self.open_names | {timer.name for timer in self.timers})}


def _save(instance: ProcessInstance, event: Event, wf: engine.Workflow, actor: User | None, now: datetime) -> None:
    """Persist the state and project it: inbox rows, deadlines, event status, attention flag, diagram."""
    instance.state_json = engine.serialize(wf)
    views = _Views.of(wf)
    instance.next_timer_at = min((t.target for t in views.timers), default=None)
    instance.diagram_json = views.diagram()
    failed = engine.failed_step(wf)
    if failed is not None:
        if instance.status != "needs_attention":
            audit.record(None, "process.step_failed", event=event, task=failed.name, data={"error": failed.error})
        instance.status, instance.error = "needs_attention", f"{failed.name}: {failed.error}"
    elif views.completed:
        instance.status, instance.error = "completed", None
    else:
        instance.status, instance.error = "running", None
    _sync_tasks(instance, event, views, actor, now)
    if moved := _sync_deadlines(event, views):
        _align_task_dues(event, moved)
    event.status = _status(event, wf, views)


def _sync_tasks(instance: ProcessInstance, event: Event, views: _Views, actor: User | None,
                now: datetime) -> None:
    ready = {view.id: view for view in views.ready}
    open_rows = db.session.execute(
        select(HumanTask).where(HumanTask.instance_id == instance.id, HumanTask.status == "open")
    ).scalars().all()
    for row in open_rows:
        if row.spiff_task_id not in ready:  # withdrawn by the diagram (e.g. a cancelled branch)
            row.status = "cancelled"
            audit.record(actor, "task.withdrawn", event=event, task=row.name, data={"human_task_id": row.id})
    known = {row.spiff_task_id for row in open_rows}
    for view in ready.values():
        if view.id in known:
            continue
        assignment = lanes.resolve(event, view.lane)
        row = HumanTask(
            instance_id=instance.id,
            event_id=event.id,
            spiff_task_id=view.id,
            name=view.name,
            title=view.title,
            lane=view.lane,
            organization_id=assignment.organization_id,
            department_id=assignment.department_id,
            verifier_body_id=assignment.verifier_body_id,
            due_on=task_due(view.name, event, local_today(now)),
        )
        db.session.add(row)
        db.session.flush()
        audit.record(actor, "task.created", event=event, task=view.name,
                     data={"human_task_id": row.id, "lane": view.lane, "department_id": row.department_id,
                           "routing": assignment.note})
        signals.task_created.send(row, event=event)
        if view.name == "prepare_plan":
            _announce_return(event)


def _announce_return(event: Event) -> None:
    """A re-opened plan means the last review round returned it: send every reviewer's comment."""
    last_round = db.session.execute(select(func.max(Decision.round)).where(
        Decision.event_id == event.id, Decision.task.in_(REVIEW_TASKS))).scalar()
    if last_round is None:
        return
    returns = db.session.execute(select(Decision).where(
        Decision.event_id == event.id, Decision.round == last_round, Decision.task.in_(REVIEW_TASKS))
        .order_by(Decision.id)).scalars().all()
    signals.plan_returned.send(event, comments=[(d.task, d.decision, d.comment) for d in returns])


def _sync_deadlines(event: Event, views: _Views) -> dict[DeadlineKind, date]:
    """Create the deadlines that apply now; mark them met when their work is done.

    A deadline whose timer is armed falls on the timer's day, so a diagram version that moves the
    timer moves the deadline. Returns the deadlines not on the plan's usual day (for the inbox).
    """
    done, open_names, timers = views.done, views.open_names, views.timers
    armed = {timer.name for timer in timers}
    armed_days = {TIMER_DEADLINES[t.name]: _deadline_day(t.target) for t in timers if t.name in TIMER_DEADLINES}
    existing = {d.kind: d for d in db.session.execute(
        select(EventDeadline).where(EventDeadline.event_id == event.id)).scalars()}
    moved: dict[DeadlineKind, date] = {}

    def ensure(kind: DeadlineKind, due: Any) -> EventDeadline:
        if kind not in existing:
            existing[kind] = EventDeadline(event_id=event.id, kind=kind, due_on=armed_days.get(kind, due))
            db.session.add(existing[kind])
        deadline = existing[kind]
        if kind in armed_days and deadline.due_on != armed_days[kind] and deadline.overdue_at is None:
            deadline.due_on = armed_days[kind]
        if deadline.due_on != due:
            moved[kind] = deadline.due_on
        return deadline

    if "offset_deadline_passed" in armed or DeadlineKind.OFFSET in existing or "offset_deadline_passed" in done:
        offset = ensure(DeadlineKind.OFFSET, offset_due(event.ends_on))
        offsetting_open = open_names & OFFSETTING_TASKS
        # Met when offsetting itself completed — never by a path that left it (a count below 200).
        if offset.met_at is None and not offsetting_open and "offsetting_done" in done:
            offset.met_at = utcnow()
            if offset.overdue_at is None and _offset_late(event):
                offset.overdue_at = offset.met_at  # R-TIME-1: met after its last day reads "met late"
    if "register_sink_project" in open_names or DeadlineKind.SINK_APPLICATION in existing:
        application = ensure(DeadlineKind.SINK_APPLICATION, sink_application_due(event.ends_on))
        validation = ensure(DeadlineKind.SINK_VALIDATION, sink_validation_due(event.ends_on))
        if application.met_at is None and "register_sink_project" in done:
            application.met_at = utcnow()
        if validation.met_at is None and "sink_development_done" in done:
            validation.met_at = utcnow()
    return moved


def _offset_late(event: Event) -> bool:
    """R-TIME-1: a unit counted for the event was cancelled after the 6-month deadline."""
    from processes import offsets

    return any(row.overdue for row in offsets.active_cancellations(event))


def _deadline_day(target: datetime) -> date:
    """The last local day before a timer fires (timers fire at the end of the deadline's day)."""
    return (target - timedelta(microseconds=1)).astimezone(LOCAL_TZ).date()


def _align_task_dues(event: Event, moved: dict[DeadlineKind, date]) -> None:
    """Open tasks due on a deadline of the plan are due on the day it moved to."""
    anchors = {"offset_due": DeadlineKind.OFFSET, "sink_application_due": DeadlineKind.SINK_APPLICATION,
               "sink_validation_due": DeadlineKind.SINK_VALIDATION}
    names = {name: anchors[anchor] for name, (anchor, _days) in TASK_DUE_RULES.items()
             if anchor in anchors and anchors[anchor] in moved}
    if not names:
        return
    for row in db.session.execute(select(HumanTask).where(
            HumanTask.event_id == event.id, HumanTask.status == "open", HumanTask.name.in_(names))).scalars():
        created = row.created_at or utcnow()
        created_on = local_today(created if created.tzinfo else created.replace(tzinfo=UTC))
        row.due_on = max(moved[names[row.name]] + timedelta(days=TASK_DUE_RULES[row.name][1]), created_on)


def _status(event: Event, wf: engine.Workflow, views: _Views) -> EventStatus:
    if views.completed:
        return END_STATUS.get(engine.end_event_reached(wf) or "", EventStatus.CONFIRMED)
    open_names = views.open_names
    for name, status in STATUS_BY_TASK:
        if name in open_names:
            return status
    return EventStatus.REDUCING if event.plan_published_at else EventStatus.PLANNING


def _locked_instance(event_id: int) -> ProcessInstance:
    """Load the event's instance for update (row lock on PostgreSQL; the version column guards SQLite)."""
    instance = db.session.execute(
        select(ProcessInstance).where(ProcessInstance.event_id == event_id).with_for_update()
    ).scalar()
    if instance is None:
        raise NotFound(_l("This event has no process."))
    return instance


# --------------------------------------------------------------------------- acting on tasks
def may_act(user: User, task: HumanTask) -> bool:
    """Return whether the user holds the task's lane for this event (not yet claim-checked)."""
    if task.organization_id is not None:
        return user.organization_id == task.organization_id
    if task.department_id is not None:  # its staff, or the lead of the bureau it is a branch of
        return lanes.oversees(user, task.department)
    if task.verifier_body_id is not None:
        return user.verifier_body_id == task.verifier_body_id
    return False


def get_task_for(user: User, human_task_id: int) -> HumanTask:
    """Return a task the user may see as assignee.

    :raises NotFound: unknown, or not the user's (404, so others cannot probe ids).
    """
    # The task's event (and its third-party body) in the same query: every caller needs them next.
    task = db.session.get(HumanTask, human_task_id,
                          options=[joinedload(HumanTask.event).joinedload(Event.verifier_body)])
    if task is None or not may_act(user, task):
        raise NotFound(_l("No such task in your inbox."))
    return task


def complete_task(actor: User, human_task_id: int, data: dict[str, Any], handlers: dict[str, TaskHandler],
                  now: datetime | None = None) -> Event:
    """Complete a task: domain writes, engine step, inbox and audit, all in the caller's transaction.

    :raises NotFound: not the actor's task. :raises Forbidden: claimed by someone else.
    :raises Conflict: already completed (or completed concurrently). :raises Invalid: bad data.
    """
    now = now or utcnow()
    task = get_task_for(actor, human_task_id)
    instance = _locked_instance(task.event_id)
    db.session.refresh(task)
    if task.status != "open":
        raise Conflict(_l("This task has already been completed."))
    if task.claimed_by_id not in (None, actor.id):
        raise Forbidden(_l("%(name)s has claimed this task.", name=task.claimed_by.display_name))
    event = db.session.get(Event, task.event_id)
    duties.check_may_decide(actor, task, event)
    routing = handlers[task.name](event, task, actor, data, now)
    wf = _load(instance, event)
    try:
        engine.complete_task(wf, task.spiff_task_id, routing, _services(event, now))
    except engine.TaskNotReady as exc:
        raise Conflict(_l("This task is no longer open.")) from exc
    except ValueError as exc:  # the handler returned no valid routing variable: a code/diagram mismatch
        raise RuntimeError(f"{task.name}: {exc}") from exc
    task.status, task.completed_at, task.completed_by_id, task.draft = "completed", now, actor.id, None
    audit.record(actor, "task.completed", event=event, task=task.name,
                 data={"human_task_id": task.id, "routing": routing})
    # A failed automatic step does not undo the actor's work: _save marks the instance
    # "needs attention" and an admin retries it once the cause is fixed.
    _save(instance, event, wf, actor, now)
    try:
        db.session.flush()
    except StaleDataError as exc:
        raise Conflict(_l("Someone else changed this event at the same moment; reload and try again.")) from exc
    return event


def claim(actor: User, human_task_id: int) -> HumanTask:
    """Take a department task for oneself. :raises Conflict: someone else holds it."""
    task = get_task_for(actor, human_task_id)
    if task.department_id is None:
        raise Forbidden(_l("Only department tasks are claimed."))
    if task.status != "open":
        raise Conflict(_l("This task has already been completed."))
    if task.claimed_by_id not in (None, actor.id):
        raise Conflict(_l("%(name)s has already claimed this task.", name=task.claimed_by.display_name))
    duties.check_may_decide(actor, task, db.session.get(Event, task.event_id))
    task.claimed_by_id = actor.id
    audit.record(actor, "task.claimed", event=task.event_id, task=task.name, data={"human_task_id": task.id})
    return task


def unclaim(actor: User, human_task_id: int) -> HumanTask:
    """Give a claimed task back to the department (its holder or a department lead)."""
    from models import Role

    task = get_task_for(actor, human_task_id)
    if task.claimed_by_id is None:
        return task
    if task.claimed_by_id != actor.id and actor.role != Role.DEPARTMENT_LEAD:
        raise Forbidden(_l("Only the holder or a department lead can give this task back."))
    audit.record(actor, "task.unclaimed", event=task.event_id, task=task.name,
                 data={"human_task_id": task.id, "was": task.claimed_by_id})
    task.claimed_by_id = None
    return task


def reassign(actor: User, human_task_id: int, to_user: User, reason: str | None = None) -> HumanTask:
    """A department lead hands a task to a colleague of the same department (audited)."""
    from models import Role

    task = get_task_for(actor, human_task_id)
    if actor.role != Role.DEPARTMENT_LEAD:
        raise Forbidden(_l("Only a department lead can reassign tasks."))
    if to_user not in lanes.reassign_targets(actor, task):
        raise Forbidden(_l("%(name)s is not in the department holding this task.", name=to_user.display_name))
    data = {"human_task_id": task.id, "from": task.claimed_by_id, "to": to_user.id}
    if to_user.department_id != task.department_id:  # a branch's task taken over by the city bureau
        data["department"] = {"from": task.department_id, "to": to_user.department_id}
        task.department_id = to_user.department_id
    audit.record(actor, "task.reassigned", event=task.event_id, task=task.name, reason=reason, data=data)
    task.claimed_by_id = to_user.id
    signals.task_reassigned.send(task, event=db.session.get(Event, task.event_id), actor=actor, to_user=to_user)
    return task


def save_draft(actor: User, human_task_id: int, data: dict[str, Any]) -> HumanTask:
    """Keep an unfinished form on the task (only its current holder may)."""
    task = get_task_for(actor, human_task_id)
    if task.status != "open":
        raise Conflict(_l("This task has already been completed."))
    task.draft = data
    return task


# --------------------------------------------------------------------------- inbox
def inbox_query(user: User):  # noqa: ANN201 - a SQLAlchemy Select
    """Open tasks the user may act on: their own, or their department's unclaimed ones; a lead sees
    every task of the department and of its branches (the city EEB lead: every county's, R-DEPT-EEB)."""
    from models import Role

    query = select(HumanTask).where(HumanTask.status == "open")
    if user.organization_id is not None and not user.is_department:
        query = query.where(HumanTask.organization_id == user.organization_id)
    elif user.role == Role.DEPARTMENT_LEAD:
        query = query.where(HumanTask.department_id.in_(lanes.overseen_department_ids(user)))
    elif user.is_department:
        query = query.where(
            HumanTask.department_id == user.department_id,
            (HumanTask.claimed_by_id.is_(None)) | (HumanTask.claimed_by_id == user.id),
        )
    elif user.verifier_body_id is not None:
        query = query.where(HumanTask.verifier_body_id == user.verifier_body_id)
    else:
        return query.where(False)
    return query.order_by(HumanTask.due_on.is_(None), HumanTask.due_on, HumanTask.id)


def with_holders(query):  # noqa: ANN001,ANN201 - a SQLAlchemy Select of HumanTask
    """The same tasks with who holds them (person, department, organisation, body) in the same query,
    for lists that show `HumanTask.holder_name` on every row."""
    return query.options(joinedload(HumanTask.claimed_by), joinedload(HumanTask.department),
                         joinedload(HumanTask.organization), joinedload(HumanTask.verifier_body))


# --------------------------------------------------------------------------- timers and repair
def tick(now: datetime | None = None, *, commit_each: bool = False) -> list[tuple[int, list[str]]]:
    """Fire every due timer of every running instance (idempotent); return (event id, timers).

    `commit_each` (the deadline tick): one transaction per instance, so an instance that fails is rolled
    back, logged and tried again at the next tick while the others stay advanced (issue #19).
    """
    now = now or utcnow()
    due = db.session.execute(
        select(ProcessInstance.id).where(ProcessInstance.status != "completed",
                                         ProcessInstance.next_timer_at <= now)
    ).scalars().all()
    fired_all: list[tuple[int, list[str]]] = []
    for instance_id in due:
        try:
            fired = _tick_instance(instance_id, now)
            if commit_each:
                db.session.commit()
        except Exception:
            if not commit_each:
                raise
            db.session.rollback()
            current_app.logger.exception("timers of process instance %s failed; tried again at the next tick",
                                         instance_id)
            continue
        if fired is not None:
            fired_all.append(fired)
    return fired_all


def _tick_instance(instance_id: int, now: datetime) -> tuple[int, list[str]] | None:
    instance = db.session.execute(
        select(ProcessInstance).where(ProcessInstance.id == instance_id).with_for_update()
    ).scalar_one()
    event = db.session.get(Event, instance.event_id)
    wf = _load(instance, event)
    fired = engine.tick(wf, now, _services(event, now))
    if not fired:
        return None
    for name in fired:
        kind = TIMER_DEADLINES.get(name)
        audit.record(None, "deadline.passed" if kind else "timer.fired", event=event, task=name,
                     data={"deadline": kind.value if kind else None})
    _save(instance, event, wf, None, now)
    for name in fired:
        kind = TIMER_DEADLINES.get(name)
        if kind is not None:
            deadline = db.session.execute(select(EventDeadline).where(
                EventDeadline.event_id == event.id, EventDeadline.kind == kind)).scalar()
            if deadline is not None and deadline.overdue_at is None:
                deadline.overdue_at = now
                signals.deadline_passed.send(event, kind=kind)
    return event.id, fired


def retry(actor: User, event: Event, now: datetime | None = None, reason: str | None = None) -> ProcessInstance:
    """Re-run a failed automatic step after its cause was fixed (admins; audited with the reason)."""
    now = now or utcnow()
    instance = _locked_instance(event.id)
    if instance.status != "needs_attention":
        raise Conflict(_l("Nothing to retry: the process is not waiting for attention."))
    wf = _load(instance)
    engine.retry_failed(wf, _services(event, now))
    audit.record(actor, "process.retried", event=event, reason=(reason or "").strip() or None,
                 data={"previous_error": instance.error})
    _save(instance, event, wf, actor, now)
    return instance


# --------------------------------------------------------------------------- diagram display
def diagram_xml(event: Event, file_name: str = "event_lifecycle.bpmn") -> str:
    """The BPMN XML of the version the event runs on. :raises NotFound: no such file."""
    instance = db.session.execute(select(ProcessInstance).where(ProcessInstance.event_id == event.id)).scalar()
    if instance is None or file_name not in (instance.process_version.files or {}):
        raise NotFound(_l("No diagram."))
    return instance.process_version.files[file_name]


def diagram_state(event: Event, deadlines: list[EventDeadline] | None = None) -> dict[str, Any]:
    """Element ids to highlight: completed, current (open tasks, armed timers) and overdue.

    Completed and current come from the projection written at each save (read without the state and
    the version's specs and files, which are large); an instance saved before that column existed is
    restored once to compute them. `deadlines`: all of the event's, when the caller has read them.
    """
    row = db.session.execute(
        select(ProcessInstance.id, ProcessInstance.diagram_json, ProcessInstance.status, ProcessInstance.error,
               ProcessVersion.number)
        .join(ProcessVersion, ProcessVersion.id == ProcessInstance.process_version_id)
        .where(ProcessInstance.event_id == event.id)).first()
    if row is None:
        return {"completed": [], "current": [], "overdue": [], "version": None, "status": None}
    projected = row.diagram_json or _Views.of(_load(db.session.get(ProcessInstance, row.id))).diagram()
    if deadlines is None:
        overdue_kinds = set(db.session.execute(select(EventDeadline.kind).where(
            EventDeadline.event_id == event.id, EventDeadline.is_overdue)).scalars())
    else:
        overdue_kinds = {d.kind for d in deadlines if d.is_overdue}
    return {
        "completed": projected["completed"],
        "current": projected["current"],
        "overdue": sorted(name for name, kind in TIMER_DEADLINES.items() if kind in overdue_kinds),
        "version": row.number,
        "status": row.status,
        "error": row.error,
    }


def update_tier(event: Event, actor: User, now: datetime | None = None) -> None:
    """Hand the event's re-evaluated tier to its process (R-TIER-X): the gateways ahead read it, and
    the diagram's signal events act on it — `tier_changed` withdraws an open confirmation task and
    routes confirmation by the new tier; `out_of_scope` (below 200) ends the plan's path as a
    voluntary record (R-TIER-0)."""
    now = now or utcnow()
    instance = _locked_instance(event.id)
    wf = _load(instance)
    engine.update_variables(wf, {"tier": event.tier.value})
    names = ("out_of_scope", "tier_changed") if event.tier.value == "out_of_scope" else ("tier_changed",)
    for name in names:  # at confirmation, a fall below 200 re-routes like any change (to the voluntary end)
        if engine.signal(wf, name, _services(event, now)):
            audit.record(actor, "process.signalled", event=event, reason="R-TIER-X",
                         data={"signal": name, "tier": event.tier.value})
            break
    _save(instance, event, wf, actor, now)


def throw_signal(event: Event, name: str, actor: User, now: datetime | None = None) -> bool:
    """Throw the BPMN signal `name` at the event's process (e.g. `correction_requested`); whether
    the diagram was waiting for it where the event stands. Audited when caught."""
    now = now or utcnow()
    instance = _locked_instance(event.id)
    wf = _load(instance)
    if not engine.signal(wf, name, _services(event, now)):
        return False
    audit.record(actor, "process.signalled", event=event, data={"signal": name})
    _save(instance, event, wf, actor, now)
    return True


# --------------------------------------------------------------------------- process governance
# For processes/migration.py and processes/overrides.py (issue #10): a workflow changed outside
# the task flow (moved to another version, a failed step skipped) is saved and re-projected here.
def specs_for(version: ProcessVersion) -> engine.ProcessSpecs:
    return _specs_for(version)


def services_for(event: Event, now: datetime) -> engine.Services:
    return _services(event, now)


def locked_instance(event_id: int) -> ProcessInstance:
    return _locked_instance(event_id)


def load_state(instance: ProcessInstance) -> engine.Workflow:
    return _load(instance)


def save_state(instance: ProcessInstance, event: Event, wf: engine.Workflow, actor: User | None,
               now: datetime, refresh_rows: bool = True) -> None:
    """Persist and re-project like a completion does; with `refresh_rows`, open rows also follow
    their task's name, title and lane when the diagram version changed them (a new lane re-routes
    the task)."""
    _save(instance, event, wf, actor, now)
    if not refresh_rows:
        return
    ready = {view.id: view for view in engine.ready_user_tasks(wf)}
    for row in db.session.execute(select(HumanTask).where(
            HumanTask.instance_id == instance.id, HumanTask.status == "open")).scalars():
        view = ready.get(row.spiff_task_id)
        if view is None or (row.name, row.title, row.lane) == (view.name, view.title, view.lane):
            continue
        if row.lane != view.lane:
            assignment = lanes.resolve(event, view.lane)
            row.organization_id, row.department_id = assignment.organization_id, assignment.department_id
            row.verifier_body_id, row.claimed_by_id = assignment.verifier_body_id, None
        row.name, row.title, row.lane = view.name, view.title, view.lane
