"""Move running events to another diagram version, and undo it (issue #10).

`dry_run` says per event whether it can move and what would change; `migrate` moves each movable
event in its own transaction (the previous state is kept in a `ProcessMigration` row, the inbox
rows and deadlines are re-projected, and the move is audited); `revert` puts an event back on its
old version exactly as it was, as long as nothing happened to it since.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from models import Event, EventDeadline, HumanTask, ProcessInstance, ProcessMigration, ProcessVersion, Role, User, db
from models.db import utcnow
from processes import audit, engine, localtime, versions, workflow
from processes.errors import Conflict, Forbidden, Invalid, NotFound

log = logging.getLogger(__name__)
BATCH = 200  # instances read per query in a dry run


@dataclass
class EventMove:
    """One event of a migration run: whether it can move (or moved) and what changes."""

    event_id: int
    event_name: str
    instance_id: int
    check: engine.MigrationCheck
    to_number: int
    migration_id: int | None = None
    error: str | None = None  # the real run failed for this event (rolled back)

    @property
    def movable(self) -> bool:
        return self.check.movable and self.error is None

    def reasons(self) -> list[str]:
        """Why the event cannot move (empty when it can)."""
        texts = [_blocker_text(b, self.to_number) for b in self.check.blockers]
        if self.error:
            texts.append(str(_l("The migration failed and was rolled back: %(error)s", error=self.error)))
        return texts

    def changes(self) -> list[str]:
        """What moving changes for the event, in words."""
        return change_texts(self.check) if self.check.movable else []


@dataclass
class MigrationRun:
    old: ProcessVersion
    new: ProcessVersion
    dry_run: bool
    run_id: str | None = None
    events: list[EventMove] = field(default_factory=list)

    @property
    def movable(self) -> list[EventMove]:
        return [e for e in self.events if e.movable]

    @property
    def blocked(self) -> list[EventMove]:
        return [e for e in self.events if not e.movable]


# --------------------------------------------------------------------------- texts
def _names(names: tuple[str, ...]) -> str:
    return ", ".join(names)


def _blocker_text(blocker: engine.Blocker, to_number: int) -> str:
    texts = {
        "completed": _l("The process has ended; there is nothing to move."),
        "failed_step": _l("An automatic step failed (%(names)s): retry or skip it first.",
                          names=_names(blocker.names)),
        "removed": _l("Tasks of this event do not exist in version %(number)s: %(names)s.",
                      number=to_number, names=_names(blocker.names)),
        "missing_process": _l("Processes this event uses do not exist in version %(number)s: %(names)s.",
                              number=to_number, names=_names(blocker.names)),
        "not_on_version": _l("The event no longer runs on the version being migrated."),
    }
    return str(texts.get(blocker.code, blocker.code))


def _local(moment: datetime | None) -> str:
    return f"{localtime.format_local(moment)} {localtime.zone_label()}" if moment else "—"


def change_texts(check: engine.MigrationCheck) -> list[str]:
    """What moving changes, in words: new and changed steps ahead, deadlines recomputed, open tasks."""
    texts = [str(_l("%(unchanged)s task(s) unchanged, %(changed)s changed in the new version.",
                    unchanged=check.unchanged, changed=len(check.changed)))]
    if check.added_ahead:
        texts.append(str(_l("New step(s) ahead: %(names)s.", names=_names(check.added_ahead))))
    if check.changed_ahead:
        texts.append(str(_l("Changed step(s) or deadline(s) ahead: %(names)s.", names=_names(check.changed_ahead))))
    for timer in check.timers:
        texts.append(str(_l("Deadline %(name)s recomputed: %(before)s → %(after)s.", name=timer.name,
                            before=_local(timer.before), after=_local(timer.after))))
    if check.ready_before != check.ready_after:
        texts.append(str(_l("Open tasks: %(before)s → %(after)s.", before=_names(check.ready_before) or "—",
                            after=_names(check.ready_after) or "—")))
    if check.ran:
        texts.append(str(_l("Runs at once: %(names)s.", names=_names(check.ran))))
    if check.failed_step:
        texts.append(str(_l("The step %(name)s fails: %(error)s", name=check.failed_step.name,
                            error=check.failed_step.error)))
    return texts


def _check_json(check: engine.MigrationCheck) -> dict[str, Any]:
    return json.loads(json.dumps(asdict(check), default=str, ensure_ascii=False))


# --------------------------------------------------------------------------- selection
def _instances(old: ProcessVersion, event_id: int | None) -> Iterator[tuple[ProcessInstance, Event]]:
    """The instances on `old` (or the one of `event_id`), in batches, oldest first."""
    last = 0
    while True:
        query = (select(ProcessInstance, Event).join(Event, Event.id == ProcessInstance.event_id)
                 .where(ProcessInstance.process_version_id == old.id, ProcessInstance.id > last)
                 .order_by(ProcessInstance.id).limit(BATCH))
        if event_id is not None:
            query = query.where(ProcessInstance.event_id == event_id)
        rows = db.session.execute(query).all()
        if not rows:
            return
        yield from rows
        last = rows[-1][0].id


def _require_admin(actor: User | None) -> User:
    if actor is None or actor.role != Role.ADMIN:
        raise Forbidden(_l("Only an administrator may do this."))
    return actor


def _required_reason(reason: str | None) -> str:
    text = (reason or "").strip()
    if not text:
        raise Invalid(_l("Give a reason; it is kept in the audit trail."), {"reason": [_l("Required.")]})
    return text


def _check_event(event_id: int | None, old: ProcessVersion) -> None:
    if event_id is None:
        return
    instance = db.session.execute(select(ProcessInstance).where(ProcessInstance.event_id == event_id)).scalar()
    if instance is None:
        raise NotFound(_l("This event has no process."))
    if instance.process_version_id != old.id:
        raise Invalid(_l("This event does not run on version %(number)s.", number=old.number),
                      {"event": [_l("This event does not run on version %(number)s.", number=old.number)]})


def _noop_services(event: Event, now: datetime) -> engine.Services:
    return {name: _ignore for name in workflow.services_for(event, now)}


def _ignore(_data: dict[str, Any]) -> None:
    return None


# --------------------------------------------------------------------------- dry run
def dry_run(from_number: int, to_number: int, event_id: int | None = None,
            now: datetime | None = None) -> MigrationRun:
    """Per event on version `from_number`: can it move to `to_number`, and what would change.
    Nothing is written (the moves are tried in memory, automatic steps are not called).

    :raises Invalid: the same version twice, or the event is not on `from_number`.
    :raises NotFound: an unknown version or event.
    """
    now = now or utcnow()
    old, new = versions.pair(from_number, to_number)
    _check_event(event_id, old)
    diff = versions.diff_of(old, new)
    run = MigrationRun(old, new, dry_run=True)
    for instance, event in _instances(old, event_id):
        wf = engine.restore(diff.old, instance.state_json)
        check = diff.migrate(wf, _noop_services(event, now))
        run.events.append(EventMove(event.id, event.name, instance.id, check, new.number))
    return run


# --------------------------------------------------------------------------- real run
def migrate(actor: User, from_number: int, to_number: int, reason: str, event_id: int | None = None,
            now: datetime | None = None) -> MigrationRun:
    """Move every movable event on `from_number` (or just `event_id`) to `to_number`.

    Each event moves in its own transaction, committed here; an event that cannot move, or whose
    move fails, is reported and left untouched.
    :raises Forbidden: not an administrator. :raises Invalid: no reason, or bad versions/event.
    """
    _require_admin(actor)
    reason = _required_reason(reason)
    now = now or utcnow()
    old, new = versions.pair(from_number, to_number)
    _check_event(event_id, old)
    diff = versions.diff_of(old, new)
    run = MigrationRun(old, new, dry_run=False, run_id=uuid.uuid4().hex)
    query = (select(ProcessInstance.id, Event.id, Event.name).join(Event, Event.id == ProcessInstance.event_id)
             .where(ProcessInstance.process_version_id == old.id).order_by(ProcessInstance.id))
    if event_id is not None:
        query = query.where(ProcessInstance.event_id == event_id)
    targets = db.session.execute(query).all()
    versions_ = _Versions(old.id, old.number, new.id, new.number)
    refresh = _relabels(diff)
    session = db.session()
    expire_on_commit, session.expire_on_commit = session.expire_on_commit, False  # each event's rows are read
    try:  # afresh (populate_existing); keeping the actor and versions loaded saves a query per event
        for instance_id, event_id_, event_name in targets:
            try:
                move = _migrate_one(actor, diff, versions_, instance_id, reason, run.run_id, now, refresh)
                session.commit()
            except Exception as exc:  # one event's failure must not stop the others
                session.rollback()
                log.exception("migrating event %s from version %s to %s failed", event_id_,
                              versions_.old_number, versions_.new_number)
                move = EventMove(event_id_, event_name, instance_id, engine.MigrationCheck(()),
                                 versions_.new_number, error=f"{type(exc).__name__}: {exc}")
            run.events.append(move)
    finally:
        session.expire_on_commit = expire_on_commit
        session.expire_all()
    return run


@dataclass(frozen=True)
class _Versions:
    old_id: int
    old_number: int
    new_id: int
    new_number: int


def _relabels(diff: engine.VersionDiff) -> bool:
    """Whether the new version renames or re-lanes a user task (then open rows are re-labelled)."""
    return any(c.kind == "user_task" and c.change == "changed" and {"name", "lane", "id", "type"} & set(c.details)
               for c in diff.changes())


def _migrate_one(actor: User, diff: engine.VersionDiff, versions_: _Versions, instance_id: int, reason: str,
                 run_id: str, now: datetime, refresh: bool) -> EventMove:
    instance, event = db.session.execute(
        select(ProcessInstance, Event).join(Event, Event.id == ProcessInstance.event_id)
        .where(ProcessInstance.id == instance_id).with_for_update(of=ProcessInstance)
        .execution_options(populate_existing=True)).one()
    if instance.process_version_id != versions_.old_id:
        return EventMove(event.id, event.name, instance.id,
                         engine.MigrationCheck((engine.Blocker("not_on_version"),)), versions_.new_number)
    wf = engine.restore(diff.old, instance.state_json)
    check = diff.migrate(wf, workflow.services_for(event, now))
    move = EventMove(event.id, event.name, instance.id, check, versions_.new_number)
    if not check.movable:
        return move
    previous_state, previous_counter = instance.state_json, instance.version
    projection = _projection(event, instance)
    instance.process_version_id = versions_.new_id  # (not the relationship: loading the row costs its specs)
    workflow.save_state(instance, event, wf, actor, now, refresh_rows=refresh)
    db.session.flush()  # the instance's version counter moves on
    migration = ProcessMigration(
        instance_id=instance.id, event_id=event.id, from_version_id=versions_.old_id,
        to_version_id=versions_.new_id, run_id=run_id, previous_state_json=previous_state,
        previous_version_counter=previous_counter, migrated_version_counter=instance.version,
        previous_projection=projection, changes=_check_json(check), migrated_by_id=actor.id, reason=reason,
    )
    db.session.add(migration)
    db.session.flush()
    audit.record(actor, "process.migrated", event=event, reason=reason, data={
        "migration_id": migration.id, "run_id": run_id, "from": versions_.old_number, "to": versions_.new_number,
        "added_ahead": list(check.added_ahead), "changed_ahead": list(check.changed_ahead),
        "deadlines": {t.name: [str(t.before), str(t.after)] for t in check.timers},
        "open_tasks": [list(check.ready_before), list(check.ready_after)],
    })
    move.migration_id = migration.id
    return move


def _projection(event: Event, instance: ProcessInstance) -> dict[str, Any]:
    """The rows a migration may change: deadline days and open inbox rows, as they are now."""
    deadlines = db.session.execute(select(EventDeadline.kind, EventDeadline.due_on).where(
        EventDeadline.event_id == event.id)).all()
    rows = db.session.execute(select(
        HumanTask.id, HumanTask.status, HumanTask.name, HumanTask.title, HumanTask.lane, HumanTask.organization_id,
        HumanTask.department_id, HumanTask.verifier_body_id, HumanTask.claimed_by_id, HumanTask.due_on,
    ).where(HumanTask.instance_id == instance.id)).all()
    return {
        "deadlines": {kind.value: due_on.isoformat() for kind, due_on in deadlines},
        "open_tasks": {str(r.id): {
            "name": r.name, "title": r.title, "lane": r.lane, "organization_id": r.organization_id,
            "department_id": r.department_id, "verifier_body_id": r.verifier_body_id,
            "claimed_by_id": r.claimed_by_id, "due_on": r.due_on.isoformat() if r.due_on else None,
        } for r in rows if r.status == "open"},
        "last_task_id": max((r.id for r in rows), default=0),
    }


# --------------------------------------------------------------------------- revert
def revert_refusal(migration: ProcessMigration) -> str | None:
    """Why the migration cannot be undone any more, or None when it can."""
    if migration.reverted_at is not None:
        return str(_l("This migration was already reverted."))
    instance = migration.instance
    later = db.session.execute(select(ProcessMigration.id).where(
        ProcessMigration.instance_id == instance.id, ProcessMigration.id > migration.id,
        ProcessMigration.reverted_at.is_(None))).first()
    if later is not None or instance.process_version_id != migration.to_version_id:
        return str(_l("The event was migrated again since; revert the later migration first."))
    projection = migration.previous_projection or {}
    open_before = [int(key) for key in projection.get("open_tasks", {})]
    completed = db.session.execute(select(HumanTask.name).where(
        HumanTask.instance_id == instance.id, HumanTask.status == "completed",
        HumanTask.id.in_(open_before) | (HumanTask.id > projection.get("last_task_id", 0)))).scalars().all()
    if completed:
        return str(_l("A task of this event was completed since the migration (%(names)s).",
                      names=", ".join(sorted(set(completed)))))
    if instance.version != migration.migrated_version_counter:
        return str(_l("The process of this event has moved on since the migration (a deadline passed or "
                      "a step ran)."))
    return None


def revert(actor: User, migration_id: int, reason: str, now: datetime | None = None) -> ProcessMigration:
    """Put the event back on its previous version, in the state it had before the migration
    (the caller commits).

    :raises Forbidden: not an administrator. :raises Invalid: no reason.
    :raises NotFound: no such migration. :raises Conflict: it can no longer be reverted (see
        `revert_refusal`).
    """
    _require_admin(actor)
    reason = _required_reason(reason)
    now = now or utcnow()
    migration = db.session.get(ProcessMigration, migration_id)
    if migration is None:
        raise NotFound(_l("No such migration."))
    instance = workflow.locked_instance(migration.event_id)
    db.session.refresh(instance)
    if (refusal := revert_refusal(migration)) is not None:
        raise Conflict(refusal)
    event = db.session.get(Event, migration.event_id)
    lanes_before = dict(db.session.execute(select(HumanTask.id, HumanTask.lane).where(
        HumanTask.instance_id == instance.id, HumanTask.status == "open")).all())
    instance.state_json = migration.previous_state_json
    instance.process_version_id, instance.process_version = migration.from_version_id, migration.from_version
    wf = engine.restore(workflow.specs_for(migration.from_version), instance.state_json)
    workflow.save_state(instance, event, wf, actor, now)
    _restore_projection(event, instance, migration.previous_projection or {}, lanes_before)
    migration.reverted_at, migration.reverted_by_id, migration.revert_reason = now, actor.id, reason
    audit.record(actor, "process.migration_reverted", event=event, reason=reason, data={
        "migration_id": migration.id, "from": migration.to_version.number, "to": migration.from_version.number,
        "previous_version_counter": migration.previous_version_counter,
    })
    return migration


def _restore_projection(event: Event, instance: ProcessInstance, projection: dict[str, Any],
                        lanes_before: dict[int, str]) -> None:
    """Deadline days and open rows as before the migration. A row's holder is restored only when
    the revert re-routed it (its lane changed back): a reassignment made since stays."""
    before = projection.get("deadlines", {})
    for deadline in db.session.execute(select(EventDeadline).where(EventDeadline.event_id == event.id)).scalars():
        if deadline.kind.value in before:
            deadline.due_on = date.fromisoformat(before[deadline.kind.value])
        elif deadline.met_at is None and deadline.overdue_at is None:
            db.session.delete(deadline)  # armed by the migration only
    rows = projection.get("open_tasks", {})
    for row in db.session.execute(select(HumanTask).where(
            HumanTask.instance_id == instance.id, HumanTask.status == "open",
            HumanTask.id.in_([int(key) for key in rows]))).scalars():
        values = dict(rows[str(row.id)])
        values["due_on"] = date.fromisoformat(values["due_on"]) if values["due_on"] else None
        if lanes_before.get(row.id) == row.lane:
            for name in ("organization_id", "department_id", "verifier_body_id", "claimed_by_id"):
                del values[name]
        for name, value in values.items():
            setattr(row, name, value)


# --------------------------------------------------------------------------- listing
def recent(limit: int = 50, event_id: int | None = None) -> list[ProcessMigration]:
    query = select(ProcessMigration).order_by(ProcessMigration.id.desc()).limit(limit)
    if event_id is not None:
        query = query.where(ProcessMigration.event_id == event_id)
    return list(db.session.execute(query).scalars())

