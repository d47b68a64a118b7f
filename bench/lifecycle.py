"""Complete event lifecycles through the services, and the same steps on the bare engine (issue #3).

The path is tier >= 500 with units: register (starts the process) -> prepare_plan -> sector and
EEB approval -> `deadlines tick` past the event's end -> report_reductions -> account_emissions ->
cancel_units (a distinct serial range per event) -> third_party_evaluation -> disclosed.

Service side: each completion is `workflow.complete_task(...)` followed by `db.session.commit()`,
as a request does; the session is removed between completions (a request starts with an empty
identity map) and the actor is loaded before the clock starts (Flask-Login does that before the
view). Form data is built with the test helpers of `tests.lifecycle` (the shapes the tests use)
before the clock starts; uploads the forms refer to are committed first, as their own request.

Bare side: `processes.engine` in memory with no-op services, completing the same user tasks with
the routing variables only (what the handlers return to the diagram) and ticking the same clock.
"""

from __future__ import annotations

import cProfile
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from time import perf_counter
from types import SimpleNamespace
from typing import Any

from flask import current_app
from sqlalchemy import select

from models import Event, HumanTask, ProcessInstance, db
from models.event import EventStatus
from processes import audit, engine, events, workflow
from processes.accounting import emissions_summary
from processes.task_handlers import HANDLERS
from tests.lifecycle import account_data, after_event, cancellation, evaluation, plan_data, registration, user

PARTICIPANTS = 600  # tier >= 500: third-party evaluation
UNITS_PER_EVENT = 14  # covers the 13.552 t that account_data() accounts
SERIAL_PREFIX = "SDPH-2026-"
SERIAL_STRIDE = 100  # event k cancels serials k*100+1 .. k*100+14: never overlapping

# The user tasks of the path in order, who completes them, and the routing variables the
# handlers hand to the diagram (all the bare engine gets).
STEPS: list[tuple[str, str, dict[str, Any]]] = [
    ("prepare_plan", "organizer", {"uses_units": True, "uses_new_sink": False}),
    ("review_plan_sector", "commerce", {"sector_decision": "approve"}),
    ("review_plan_eeb", "eeb_rencheng", {"eeb_decision": "approve"}),
    ("report_reductions", "organizer", {}),
    ("account_emissions", "organizer", {}),
    ("cancel_units", "organizer", {}),
    ("third_party_evaluation", "verifier", {"conclusion": "neutral"}),
]
TICK_AFTER = "review_plan_eeb"  # the process then waits for the event to end


@dataclass
class ServiceRun:
    """Timings (seconds) of the service lifecycles; `steps` is per task name."""

    steps: dict[str, list[float]] = field(default_factory=lambda: {name: [] for name, _u, _d in STEPS})
    completions: list[float] = field(default_factory=list)  # complete_task + commit
    commits: list[float] = field(default_factory=list)  # the commit part alone
    ticks: list[float] = field(default_factory=list)  # workflow.tick + commit (one instance due)
    registrations: list[float] = field(default_factory=list)  # register_event (starts the process) + commit
    state_sizes: list[int] = field(default_factory=list)  # bytes of state_json after the lifecycle
    wall: float = 0.0


@dataclass
class BareRun:
    steps: dict[str, list[float]] = field(default_factory=lambda: {name: [] for name, _u, _d in STEPS})
    completions: list[float] = field(default_factory=list)  # engine.complete_task in memory
    round_trips: list[float] = field(default_factory=list)  # deserialize + complete_task + serialize
    ticks: list[float] = field(default_factory=list)
    starts: list[float] = field(default_factory=list)
    state_sizes: list[int] = field(default_factory=list)


# --------------------------------------------------------------------------- where the time goes
# Parts of a service completion, timed by wrapping the functions `workflow.complete_task` calls.
# "save" includes "serialize"; "load" includes "deserialize"; audit entries are written inside
# the handler, the save and the completion itself, so "audit.record" overlaps the other parts.
PARTS = {
    "handler": "task handler (validation, domain rows)",
    "load": "load the instance (workflow._load)",
    "deserialize": "  of which engine.deserialize",
    "engine": "engine step (engine.complete_task)",
    "save": "save and project (workflow._save)",
    "serialize": "  of which engine.serialize",
    "audit": "audit.record, all calls (overlaps)",
}


class Breakdown:
    """Accumulates, per completion, the wall time spent in each part of `PARTS`."""

    def __init__(self) -> None:
        self.current: dict[str, float] = defaultdict(float)
        self.completions: list[dict[str, float]] = []

    def timed(self, part: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            started = perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                self.current[part] += perf_counter() - started

        return wrapper

    @contextmanager
    def installed(self) -> Iterator[dict[str, Any]]:
        """Wrap the engine, load/save and audit functions; yield the wrapped handlers."""
        targets = [(workflow, "_load", "load"), (workflow, "_save", "save"), (engine, "complete_task", "engine"),
                   (engine, "deserialize", "deserialize"), (engine, "serialize", "serialize"),
                   (audit, "record", "audit")]
        originals = [(module, name, getattr(module, name)) for module, name, _part in targets]
        for module, name, part in targets:
            setattr(module, name, self.timed(part, getattr(module, name)))
        try:
            yield {name: self.timed("handler", handler) for name, handler in HANDLERS.items()}
        finally:
            for module, name, original in originals:
                setattr(module, name, original)

    def close(self, total: float, commit: float) -> None:
        self.current["total"], self.current["commit"] = total, commit
        self.completions.append(dict(self.current))
        self.current.clear()

    def means(self) -> dict[str, float]:
        count = len(self.completions) or 1
        parts = list(PARTS) + ["total", "commit"]
        means = {part: sum(c.get(part, 0.0) for c in self.completions) / count for part in parts}
        accounted = means["handler"] + means["load"] + means["engine"] + means["save"] + means["commit"]
        means["rest"] = means["total"] - accounted
        return means


# --------------------------------------------------------------------------- services
class _Clock:
    """Times the completions; optionally profiles exactly the timed regions."""

    def __init__(self, profiler: cProfile.Profile | None) -> None:
        self.profiler = profiler

    def __enter__(self) -> _Clock:
        if self.profiler is not None:
            self.profiler.enable()
        self.start = perf_counter()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.elapsed = perf_counter() - self.start
        if self.profiler is not None:
            self.profiler.disable()


def _open_task_id(event_id: int, name: str) -> int:
    task_id = db.session.execute(select(HumanTask.id).where(
        HumanTask.event_id == event_id, HumanTask.name == name, HumanTask.status == "open")).scalar()
    if task_id is None:
        open_names = db.session.execute(select(HumanTask.name).where(
            HumanTask.event_id == event_id, HumanTask.status == "open")).scalars().all()
        raise RuntimeError(f"event {event_id}: {name} is not open (open: {sorted(open_names)})")
    return task_id


def _complete(run: ServiceRun | None, profiler: cProfile.Profile | None, event_id: int, name: str,
              username: str, data: dict[str, Any], now: datetime | None, breakdown: Breakdown | None) -> None:
    """One task completion as a request does it: load actor and task, complete, commit (timed)."""
    actor = user(username)
    task_id = _open_task_id(event_id, name)
    if breakdown is not None:
        breakdown.current.clear()
    with (breakdown.installed() if breakdown is not None else _nothing()) as handlers:
        with _Clock(profiler) as clock:
            workflow.complete_task(actor, task_id, data, handlers or HANDLERS, now=now)
            before_commit = perf_counter()
            db.session.commit()
    commit = perf_counter() - before_commit
    db.session.remove()
    if run is not None:
        run.steps[name].append(clock.elapsed)
        run.completions.append(clock.elapsed)
        run.commits.append(commit)
        if breakdown is not None:
            breakdown.close(clock.elapsed, commit)


@contextmanager
def _nothing() -> Iterator[None]:
    yield None


def _event(event_id: int) -> Event:
    return db.session.get(Event, event_id)


def service_lifecycle(serial_no: int, run: ServiceRun | None, profiler: cProfile.Profile | None = None,
                      breakdown: Breakdown | None = None) -> int:
    """Walk one event through the whole path; return its event id. `run=None` is a warm-up.

    :raises RuntimeError: the event did not end disclosed with its process completed.
    """
    organizer = user("organizer")
    with _Clock(None) as clock:
        event = events.register_event(organizer, registration(PARTICIPANTS, name=f"碳中基准展会 {serial_no}"))
        db.session.commit()
    event_id = event.id
    db.session.remove()
    if run is not None:
        run.registrations.append(clock.elapsed)

    for name, username, _routing in STEPS:
        event = _event(event_id)
        now: datetime | None = None
        if name == "prepare_plan":
            data = plan_data()
        elif name in ("review_plan_sector", "review_plan_eeb"):
            data = {"decision": "approve"}
        elif name == "report_reductions":
            data = {"measures": [{"measure_id": m["id"], "achieved_tco2e": Decimal("0"), "evidence": None}
                                 for m in emissions_summary(event)["measures"]]}
            now = after_event(event)
        elif name == "account_emissions":
            data, now = account_data(), after_event(event, 2)
        elif name == "cancel_units":
            first = serial_no * SERIAL_STRIDE + 1
            data = cancellation(event, quantity=UNITS_PER_EVENT, serial_from=f"{SERIAL_PREFIX}{first:06d}")
            now = after_event(event, 3)
        else:  # third_party_evaluation
            data, now = evaluation(event), after_event(event, 10)
        db.session.commit()  # the uploads the form refers to were their own request
        db.session.remove()
        _complete(run, profiler, event_id, name, username, data, now, breakdown)

        if name == TICK_AFTER:
            at = after_event(_event(event_id))
            with _Clock(None) as clock:
                fired = workflow.tick(at)
                db.session.commit()
            db.session.remove()
            if [fired_event for fired_event, _timers in fired] != [event_id]:
                raise RuntimeError(f"tick at {at} fired {fired}, expected only event {event_id}")
            if run is not None:
                run.ticks.append(clock.elapsed)

    event = _event(event_id)
    instance = db.session.execute(select(ProcessInstance).where(ProcessInstance.event_id == event_id)).scalar_one()
    if event.status != EventStatus.CONFIRMED or instance.status != "completed" or event.disclosed_at is None:
        raise RuntimeError(f"event {event_id} ended as {event.status} / process {instance.status}")
    if run is not None:
        run.state_sizes.append(len(instance.state_json.encode("utf-8")))
    db.session.remove()
    return event_id


# --------------------------------------------------------------------------- bare engine
_NO_SERVICES: engine.Services = {"publish_plan": lambda _data: None, "disclose": lambda _data: None,
                                "check_coverage": lambda _data: True}


def _bare_start_variables(event_id: int) -> tuple[dict[str, Any], SimpleNamespace]:
    """The start variables the service computes for the same event (same dates, same tier)."""
    form = registration(PARTICIPANTS)
    stand_in = SimpleNamespace(id=event_id, tier=SimpleNamespace(value="third_party"),
                               fiscal_funding_requested=form["fiscal_funding_requested"], ends_on=form["ends_on"])
    return workflow.start_variables(stand_in), stand_in


def _ready_id(wf: engine.Workflow, name: str) -> str:
    view = next((v for v in engine.ready_user_tasks(wf) if v.name == name), None)
    if view is None:
        raise RuntimeError(f"bare engine: {name} is not ready")
    return view.id


def bare_lifecycle(specs: engine.ProcessSpecs, event_id: int, run: BareRun | None, *, round_trip: bool) -> None:
    """The same steps on the bare engine in memory; with `round_trip`, load and store the JSON state
    around every step as the service does (timed as `round_trips`)."""
    variables, stand_in = _bare_start_variables(event_id)
    started = perf_counter()
    wf = engine.start(specs, variables, _NO_SERVICES)
    if run is not None and not round_trip:
        run.starts.append(perf_counter() - started)
    state = engine.serialize(wf)
    for name, _username, routing in STEPS:
        task_id = _ready_id(wf, name)  # the service reads it from the human_task row
        if round_trip:
            started = perf_counter()
            wf = engine.deserialize(specs.spec_json, state)
            engine.complete_task(wf, task_id, routing, _NO_SERVICES)
            state = engine.serialize(wf)
            elapsed = perf_counter() - started
        else:
            started = perf_counter()
            engine.complete_task(wf, task_id, routing, _NO_SERVICES)
            elapsed = perf_counter() - started
        if run is not None:
            (run.round_trips if round_trip else run.completions).append(elapsed)
            if not round_trip:
                run.steps[name].append(elapsed)
        if name == TICK_AFTER:
            if round_trip:
                wf = engine.deserialize(specs.spec_json, state)
            started = perf_counter()
            fired = engine.tick(wf, after_event(stand_in), _NO_SERVICES)
            elapsed = perf_counter() - started
            if round_trip:
                state = engine.serialize(wf)
            elif run is not None:
                run.ticks.append(elapsed)
            if not fired:
                raise RuntimeError("bare engine: no timer fired after the event's end")
    if round_trip:
        wf = engine.deserialize(specs.spec_json, state)
    if not engine.is_completed(wf) or engine.end_event_reached(wf) != "end_disclosed":
        raise RuntimeError(f"bare engine ended at {engine.end_event_reached(wf)}")
    if run is not None and not round_trip:
        run.state_sizes.append(len(engine.serialize(wf).encode("utf-8")))


def run(n: int, warmup: int, *, profile: bool = False, breakdown: Breakdown | None = None,
        progress: Callable[[str], None] = lambda _msg: None) -> tuple[ServiceRun, BareRun, cProfile.Profile | None]:
    """`warmup` unrecorded lifecycles (spec loading, deployment, SQL compile caches), then `n` timed
    ones through the services, each followed by the same lifecycle on the bare engine in memory and
    once more with a JSON load/save per step. Interleaving them exposes both sides to the same load
    of the machine, so the ratio stays meaningful on a busy one. With `breakdown`, the parts of each
    service completion are timed too (by wrapping functions); with `profile`, they are profiled."""
    specs = engine.load_specs(Path(current_app.config["BPMN_DIR"]))
    services, bare = ServiceRun(), BareRun()
    profiler = cProfile.Profile() if profile else None
    for k in range(warmup):
        service_lifecycle(k, None)
        bare_lifecycle(specs, k, None, round_trip=False)
        bare_lifecycle(specs, k, None, round_trip=True)
    started = perf_counter()
    for k in range(warmup, warmup + n):
        event_id = service_lifecycle(k, services, profiler, breakdown)
        bare_lifecycle(specs, event_id, bare, round_trip=False)
        bare_lifecycle(specs, event_id, bare, round_trip=True)
        done = k - warmup + 1
        if done % 50 == 0 or done == n:
            progress(f"  {done}/{n} lifecycles")
    services.wall = perf_counter() - started
    return services, bare, profiler
