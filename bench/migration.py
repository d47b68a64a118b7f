"""Migrating 1,000 running events to a new diagram version (issue #10): dry run and real run.

Version "from" is bpmn/ as deployed (a copy with a comment added, so that it is a version of its
own holding only these events); version "to" is tests/bpmn/fixtures/v2 (a review step added after
`account_emissions`, the offset deadline moved to 12 months). The events are spread over the
stages a running event can be in (planning, review, waiting for the event's end, reporting,
accounting, offsetting, evaluation); each stage's state is run once on the engine and copied with
fresh task ids, and the rows a real event has (event, instance, open inbox rows, deadlines) are
bulk-inserted. Then `migration.dry_run` and `migration.migrate` (one transaction per event, as in
production) are timed; the figure is the wall time divided by the number of events.

Run alone with `python -m bench.migration [--events N]`, or as part of `python -m bench`.
"""

from __future__ import annotations

import argparse
import re
import shutil
import tempfile
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from pathlib import Path
from time import perf_counter
from typing import Any

from flask import current_app
from sqlalchemy import event, func, insert, select

from models import Department, Event, EventDeadline, HumanTask, ProcessInstance, ProcessMigration, ProcessVersion, db
from models.db import utcnow
from models.event import DeadlineKind, EventKind, EventStatus, Sector, Tier
from models.org import DepartmentKind, OrganizerType
from processes import engine, migration, workflow
from processes.dates import end_of_day, offset_due, sink_application_due, sink_validation_due
from tests.lifecycle import user

TARGET = 0.020  # seconds per event, SQLite
ROOT = Path(__file__).resolve().parents[1]
V2_DIR = ROOT / "tests" / "bpmn" / "fixtures" / "v2"
UUID_RE = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
ROUTING = {
    "prepare_plan": {"uses_units": True, "uses_new_sink": False},
    "review_plan_sector": {"sector_decision": "approve"},
    "review_plan_eeb": {"eeb_decision": "approve"},
}
# stage -> (event status, user tasks completed in order, whether the event's end has passed)
STAGES: dict[str, tuple[EventStatus, list[str], bool]] = {
    "planning": (EventStatus.PLANNING, [], False),
    "review": (EventStatus.PLAN_REVIEW, ["prepare_plan"], False),
    "waiting": (EventStatus.REDUCING, ["prepare_plan", "review_plan_sector", "review_plan_eeb"], False),
    "reporting": (EventStatus.REDUCING, ["prepare_plan", "review_plan_sector", "review_plan_eeb"], True),
    "accounting": (EventStatus.ACCOUNTING, ["prepare_plan", "review_plan_sector", "review_plan_eeb",
                                            "report_reductions"], True),
    "offsetting": (EventStatus.OFFSETTING, ["prepare_plan", "review_plan_sector", "review_plan_eeb",
                                            "report_reductions", "account_emissions"], True),
    "confirming": (EventStatus.CONFIRMING, ["prepare_plan", "review_plan_sector", "review_plan_eeb",
                                            "report_reductions", "account_emissions", "cancel_units"], True),
}

Row = tuple[str, str, str, bool | None]


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.2f} ms"


def _deploy(directory: Path, note: str) -> ProcessVersion:
    current_app.config["BPMN_DIR"] = str(directory)
    version = workflow.deploy(user("admin"), note=note)
    db.session.commit()
    return version


def _template(specs: engine.ProcessSpecs, stage: str, ends_on: date) -> str:
    """The state of an event at `stage`, run on the engine (no-op services)."""
    _status, steps, ended = STAGES[stage]
    services = {"publish_plan": lambda _data: None, "disclose": lambda _data: None}
    variables = {
        "event_id": 0, "tier": "third_party", "fiscal_funding_requested": False,
        "event_end_at": end_of_day(ends_on).isoformat(),
        "offset_deadline": end_of_day(offset_due(ends_on)).isoformat(),
        "sink_application_deadline": end_of_day(sink_application_due(ends_on)).isoformat(),
        "sink_validation_deadline": end_of_day(sink_validation_due(ends_on)).isoformat(),
    }
    wf = engine.start(specs, variables, services)
    after_end = end_of_day(ends_on) + timedelta(hours=1)
    for name in steps:
        if name == "report_reductions":  # the event has ended
            engine.tick(wf, after_end, services)
        view = next(v for v in engine.ready_user_tasks(wf) if v.name == name)
        engine.complete_task(wf, view.id, ROUTING.get(name, {}), services)
    if ended and "report_reductions" not in steps:
        engine.tick(wf, after_end, services)
    return engine.serialize(wf)


def _copy(state: str, event_id: int) -> tuple[str, dict[str, str]]:
    """The template state with fresh task ids (and the event's id); returns the id mapping too."""
    ids = {old: str(uuid.uuid4()) for old in set(UUID_RE.findall(state))}
    copied = UUID_RE.sub(lambda m: ids[m.group(0)], state).replace('"event_id":0', f'"event_id":{event_id}')
    return copied, ids


def seed(version: ProcessVersion, n: int) -> dict[str, int]:
    """Bulk-insert `n` running events on `version`, spread over the stages; return count per stage."""
    specs = engine.specs_from_json(version.spec_json)
    organizer = user("organizer")
    body = user("verifier").verifier_body_id
    departments = {d.kind: d.id for d in db.session.execute(
        select(Department).where(Department.county.is_(None))).scalars()}
    branch = db.session.execute(select(Department.id).where(
        Department.kind == DepartmentKind.EEB, Department.county == "任城区")).scalar()
    holders = {"Organizer": {"organization_id": organizer.organization_id},
               "SectorBureau": {"department_id": departments[DepartmentKind.COMMERCE]},
               "EEB": {"department_id": branch or departments[DepartmentKind.EEB]},
               "Verifier": {"verifier_body_id": body}}
    ends_on = date.today() - timedelta(days=10)
    templates = {stage: _template(specs, stage, ends_on) for stage in STAGES}
    views = {stage: engine.ready_user_tasks(engine.deserialize(version.spec_json, state))
             for stage, state in templates.items()}
    next_event = (db.session.execute(select(func.max(Event.id))).scalar() or 0) + 1
    next_instance = (db.session.execute(select(func.max(ProcessInstance.id))).scalar() or 0) + 1
    events, instances, tasks, deadlines = [], [], [], []
    counts = dict.fromkeys(STAGES, 0)
    stages = list(STAGES)
    for k in range(n):
        stage = stages[k % len(stages)]
        counts[stage] += 1
        event_id, instance_id = next_event + k, next_instance + k
        state, ids = _copy(templates[stage], event_id)
        events.append({
            "id": event_id, "name": f"迁移基准活动 {k}", "kind": EventKind.EXHIBITION, "sector": Sector.COMMERCE,
            "organizers": [organizer.organization.name], "organizer_type": OrganizerType.ENTERPRISE,
            "participants": 800, "starts_on": ends_on - timedelta(days=1), "ends_on": ends_on,
            "venue": "济宁国际会展中心", "county": "任城区", "fiscal_funding_requested": False,
            "tier": Tier.THIRD_PARTY, "status": STAGES[stage][0], "organization_id": organizer.organization_id,
            "created_by_id": organizer.id, "verifier_body_id": body})
        instances.append({"id": instance_id, "event_id": event_id, "process_version_id": version.id,
                          "state_json": state, "status": "running", "version": 1})
        for view in views[stage]:
            tasks.append({"instance_id": instance_id, "event_id": event_id, "spiff_task_id": ids[view.id],
                          "name": view.name, "title": view.title, "lane": view.lane, "status": "open",
                          **holders[view.lane]})
        if stage in ("offsetting", "confirming"):
            deadlines.append({"event_id": event_id, "kind": DeadlineKind.OFFSET, "due_on": offset_due(ends_on),
                              "met_at": None if stage == "offsetting" else utcnow()})
    for model, rows in ((Event, events), (ProcessInstance, instances), (HumanTask, tasks),
                        (EventDeadline, deadlines)):
        for start in range(0, len(rows), 2000):
            db.session.execute(insert(model), rows[start:start + 2000])
    db.session.commit()
    return counts


@contextmanager
def _timed_commits(times: list[float]) -> Iterator[None]:
    """Time every commit of the session inside (from `before_commit` to `after_commit`)."""
    session = db.session()
    started: list[float] = []

    def before(_session: Any) -> None:
        started.append(perf_counter())

    def after(_session: Any) -> None:
        if started:
            times.append(perf_counter() - started.pop())

    event.listen(session, "before_commit", before)
    event.listen(session, "after_commit", after)
    try:
        yield
    finally:
        event.remove(session, "before_commit", before)
        event.remove(session, "after_commit", after)


def run(events: int = 1000, progress: Callable[[str], Any] = print) -> list[Row]:
    """Seed `events` running events on their own version, dry-run and migrate them all to the
    version-2 fixture, revert a tenth; return (figure, value, target, ok) rows."""
    original_dir = current_app.config["BPMN_DIR"]
    scratch = Path(tempfile.mkdtemp(prefix="tanzhong-bench-bpmn-"))
    try:
        for path in (ROOT / "bpmn").glob("*.bpmn"):
            shutil.copy(path, scratch / path.name)
        with (scratch / "event_lifecycle.bpmn").open("a", encoding="utf-8") as handle:
            handle.write("\n<!-- migration benchmark: version of its own -->\n")
        old = _deploy(scratch, "migration benchmark: from")
        progress(f"\nMigration: seeding {events} running events on v{old.number} ...")
        started = perf_counter()
        counts = seed(old, events)
        progress(f"  {', '.join(f'{stage} {count}' for stage, count in counts.items())} "
                 f"in {perf_counter() - started:.1f} s")
        new = _deploy(V2_DIR, "migration benchmark: to (review step, 12-month offsetting)")
        old_number, new_number, new_id, new_specs = old.number, new.number, new.id, new.spec_json
        current_app.config["BPMN_DIR"] = original_dir
        db.session.remove()

        started = perf_counter()
        dry = migration.dry_run(old_number, new_number)
        dry_seconds = perf_counter() - started
        db.session.remove()
        progress(f"  dry run: {len(dry.movable)} of {len(dry.events)} can move, {dry_seconds:.1f} s")

        commits: list[float] = []
        started = perf_counter()
        with _timed_commits(commits):
            real = migration.migrate(user("admin"), old_number, new_number, "migration benchmark")
        real_seconds = perf_counter() - started
        db.session.remove()
        progress(f"  migration: {len(real.movable)} moved, {len(real.blocked)} stayed, {real_seconds:.1f} s")
        on_new = db.session.execute(select(func.count(ProcessInstance.id)).where(
            ProcessInstance.process_version_id == new_id)).scalar_one()
        if on_new != len(real.movable) or len(real.movable) != len(dry.movable):
            raise RuntimeError(f"{on_new} instances on v{new_number}, {len(real.movable)} reported moved")
        sample = db.session.execute(select(ProcessInstance).where(
            ProcessInstance.process_version_id == new_id).limit(20)).scalars()
        for instance in sample:  # each moved state restores on the new version's specs
            engine.deserialize(new_specs, instance.state_json)

        rows = db.session.execute(select(ProcessMigration.id).order_by(ProcessMigration.id)
                                  .limit(max(events // 10, 1))).scalars().all()
        started = perf_counter()
        for migration_id in rows:
            migration.revert(user("admin"), migration_id, "migration benchmark: revert")
            db.session.commit()
        revert_seconds = perf_counter() - started
        db.session.remove()
    finally:
        current_app.config["BPMN_DIR"] = original_dir
        shutil.rmtree(scratch, ignore_errors=True)

    n = max(len(dry.events), 1)
    dry_each, real_each = dry_seconds / n, real_seconds / max(len(real.events), 1)
    return [
        (f"migration: events on v{old_number} (all stages)", str(len(dry.events)), "-", None),
        ("migration dry run: time per event", _ms(dry_each), f"<= {TARGET * 1000:.0f} ms", dry_each <= TARGET),
        ("migration (own transaction each): time per event", _ms(real_each), f"<= {TARGET * 1000:.0f} ms",
         real_each <= TARGET),
        ("  of which its commit (SQLite, per event): mean", _ms(sum(commits) / max(len(commits), 1)), "-", None),
        ("  events moved / stayed", f"{len(real.movable)} / {len(real.blocked)}", "-", None),
        ("revert of a migration: time per event", _ms(revert_seconds / max(len(rows), 1)), "-", None),
    ]


def _standalone(argv: list[str] | None = None) -> None:
    """`python -m bench.migration`: a temporary SQLite file with the demo data, then `run`."""
    from bench.report import Figure, table
    from config import TestConfig
    from processes.demo import load_demo_data
    from webapp import create_app

    parser = argparse.ArgumentParser(prog="python -m bench.migration", description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1000, help="running events to migrate (1000)")
    parser.add_argument("--wal", action="store_true", help="put the SQLite file in WAL mode (cheaper commits)")
    args = parser.parse_args(argv)
    directory = Path(tempfile.mkdtemp(prefix="tanzhong-bench-"))

    class BenchConfig(TestConfig):
        SQLALCHEMY_DATABASE_URI = f"sqlite:///{directory / 'bench.sqlite'}"
        UPLOAD_DIR = str(directory / "uploads")

    try:
        app = create_app(BenchConfig)
        with app.app_context():
            if args.wal:
                with db.engine.connect() as connection:
                    connection.exec_driver_sql("PRAGMA journal_mode=WAL")
            db.create_all()
            load_demo_data()
            db.session.commit()
            workflow.deploy()
            db.session.commit()
            figures = [Figure(*row) for row in run(args.events)]
            db.session.remove()
            db.engine.dispose()
        print()
        print(table(figures))
    finally:
        shutil.rmtree(directory, ignore_errors=True)


if __name__ == "__main__":
    _standalone()
