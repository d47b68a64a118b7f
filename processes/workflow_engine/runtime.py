"""Operations on a process instance: start, complete, retry, tick, and what it looks like now."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import datetime
from typing import Any

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.specs import BpmnProcessSpec
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.bpmn.specs.mixins import BoundaryEventMixin, CallActivityMixin, EndEventMixin, UserTaskMixin
from SpiffWorkflow.bpmn.util.event import BpmnEvent
from SpiffWorkflow.spiff.specs.event_definitions import SignalEventDefinition
from SpiffWorkflow.task import Task
from SpiffWorkflow.util.task import TaskState

from .scripting import InjectedClockTimer, ScriptEngine
from .variables import START_VARIABLES, TASK_OUTPUTS, checked
from .views import (
    FailedStep,
    HistoryEntry,
    ProcessSpecs,
    Services,
    StepResult,
    TaskNotReady,
    TimerView,
    UserTaskView,
    Workflow,
)


def start(specs: ProcessSpecs, data: Mapping[str, Any], services: Services) -> Workflow:
    """Start the process with the event's variables and run it up to the first wait.

    :raises ValueError: a start variable is missing or invalid.
    """
    initial = checked(data, START_VARIABLES)
    wf = BpmnWorkflow(specs.top, specs.subprocesses, script_engine=ScriptEngine(services))
    wf.get_next_task(state=TaskState.READY).data.update(initial)
    _run(wf)
    return wf


def complete_task(wf: Workflow, task_id: str, data: Mapping[str, Any], services: Services) -> StepResult:
    """Merge `data` into the ready user task `task_id`, complete it and run the engine.

    :raises TaskNotReady: no ready user task has that id.
    :raises ValueError: the data is not plain JSON, or a routing variable is missing or invalid.
    """
    task = next((t for t in _ready_tasks(wf) if str(t.id) == task_id), None)
    if task is None:
        raise TaskNotReady(task_id)
    task.data.update(checked(data, TASK_OUTPUTS.get(task.task_spec.bpmn_id, ())))
    wf.script_engine = ScriptEngine(services)
    task.run()
    return _result(wf, _run(wf))


def update_variables(wf: Workflow, data: Mapping[str, Any]) -> None:
    """Change process variables on every task at the frontier (ready, waiting, started), so the
    gateways still ahead read the new values (e.g. `tier` after the participant count changed).

    :raises ValueError: the data is not plain JSON or a value is not allowed.
    """
    values = checked(data)
    for state in (TaskState.READY, TaskState.WAITING, TaskState.STARTED):
        for task in _tasks(wf, state):
            task.data.update(values)
            if state == TaskState.WAITING and task.parent is not None:
                # A waiting event (e.g. a boundary event) inherits its parent's data when it fires.
                task.parent.data.update(values)


def signal(wf: Workflow, name: str, services: Services) -> bool:
    """Throw the BPMN signal `name` at the instance and run the engine; whether anything caught it.

    Boundary events and event sub-processes waiting for the signal fire (an interrupting one
    withdraws the task or process it is attached to); with nobody waiting, nothing happens.
    """
    wf.script_engine = ScriptEngine(services)
    caught = wf.event_manager.catch(BpmnEvent(SignalEventDefinition(name)), internal=False)
    if caught:
        _run(wf)
    return bool(caught)


def retry_failed(wf: Workflow, services: Services) -> StepResult:
    """Reset every automatic step left in error and run the engine again."""
    wf.script_engine = ScriptEngine(services)
    for task in list(_tasks(wf, TaskState.ERROR)):
        wf.reset_from_task_id(task.id)
    return _result(wf, _run(wf))


def skip_failed(wf: Workflow, services: Services) -> tuple[FailedStep, StepResult]:
    """Mark the automatic step left in error as done without running it, and run the engine on.

    For an administrator who did by hand what the step does (or decided it need not be done); the
    step's result variable stays unset. Returns the skipped step and what happened next.
    :raises TaskNotReady: no automatic step is in error.
    """
    task = next(_tasks(wf, TaskState.ERROR), None)
    if task is None:
        raise TaskNotReady("no failed step")
    skipped = FailedStep(str(task.id), task.task_spec.bpmn_id or task.task_spec.name,
                         task.internal_data.pop("error", ""))
    task.internal_data["skipped"] = True
    wf.script_engine = ScriptEngine(services)
    task.complete()
    return skipped, _result(wf, _run(wf))


def tick(wf: Workflow, now: datetime, services: Services) -> list[str]:
    """Fire every waiting timer whose target is at or before `now`; return their BPMN ids.

    Timers never look at the real clock (`InjectedClockTimer`), so a second tick at the same `now`
    fires nothing. A step failing afterwards is left for `failed_step` and `retry_failed`.
    :raises ValueError: `now` has no time zone.
    """
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    wf.script_engine = ScriptEngine(services)
    fired: list[str] = []
    while due := [task for task in _timer_tasks(wf) if _timer_target(task) <= now]:
        for task in due:
            task.internal_data["event_fired"] = True
            fired.append(task.task_spec.bpmn_id)
        wf.refresh_timers()
        _run(wf)
    return fired


def ready_user_tasks(wf: Workflow) -> list[UserTaskView]:
    """The user tasks waiting for a person, with their canonical lane."""
    return [
        UserTaskView(str(t.id), t.task_spec.bpmn_id, _title(t), t.task_spec.lane, _process_of(t))
        for t in _ready_tasks(wf)
    ]


def waiting_timers(wf: Workflow) -> list[TimerView]:
    """Timers armed now, with the time they will fire."""
    return [TimerView(t.task_spec.bpmn_id, _title(t), _timer_target(t), _process_of(t)) for t in _timer_tasks(wf)]


def failed_step(wf: Workflow) -> FailedStep | None:
    """The automatic step left in error by a failed run, if any."""
    task = next(_tasks(wf, TaskState.ERROR), None)
    if task is None:
        return None
    return FailedStep(str(task.id), task.task_spec.bpmn_id or task.task_spec.name, task.internal_data.get("error", ""))


def history(wf: Workflow) -> list[HistoryEntry]:
    """Completed diagram elements (tasks, events, gateways) of every process, oldest first."""
    done = sorted(
        (t for t in _tasks(wf, TaskState.COMPLETED) if t.task_spec.bpmn_id), key=lambda t: t.last_state_change
    )
    return [HistoryEntry(t.task_spec.bpmn_id, _process_of(t)) for t in done]


def is_completed(wf: Workflow) -> bool:
    return wf.is_completed()


def end_event_reached(wf: Workflow) -> str | None:
    """The main process's outcome end event, ignoring the ends of boundary (deadline) branches."""
    follow_up_ends = set(_ends_after_boundary_events(wf.spec))
    ends = [
        t
        for t in wf.tasks.values()
        if t.state == TaskState.COMPLETED
        and isinstance(t.task_spec, EndEventMixin)
        and t.task_spec.name not in follow_up_ends
    ]
    return max(ends, key=lambda t: t.last_state_change).task_spec.bpmn_id if ends else None


def _run(wf: Workflow) -> FailedStep | None:
    """Run engine steps; a failing automatic step stays in ERROR state and is reported, not raised."""
    try:
        wf.do_engine_steps()
    except Exception as exc:
        task = next(_tasks(wf, TaskState.ERROR), None)
        if task is None:
            raise
        cause = exc.__cause__ or exc.__context__
        message = str(exc)
        if cause is not None and str(cause) not in message:
            message += f" ({type(cause).__name__}: {cause})"
        task.internal_data["error"] = message
        return failed_step(wf)
    return None


def _result(wf: Workflow, failed: FailedStep | None) -> StepResult:
    return StepResult(failed, ready_user_tasks(wf), wf.is_completed())


def _tasks(wf: Workflow, state: int) -> Iterator[Task]:
    for workflow in (wf, *wf.subprocesses.values()):
        yield from (t for t in workflow.tasks.values() if t.state == state)


def _ready_tasks(wf: Workflow) -> list[Task]:
    return [t for t in wf.get_tasks(state=TaskState.READY) if isinstance(t.task_spec, UserTaskMixin)]


def _timer_tasks(wf: Workflow) -> list[Task]:
    return [
        t
        for t in _tasks(wf, TaskState.WAITING)
        if isinstance(getattr(t.task_spec, "event_definition", None), InjectedClockTimer)
    ]


def _timer_target(task: Task) -> datetime:
    task.task_spec.event_definition.has_fired(task)  # evaluates the target once if not yet known
    return TimerEventDefinition.get_datetime(task.internal_data["event_value"])


def _title(task: Task) -> str:
    return task.task_spec.bpmn_name or task.task_spec.bpmn_id


def _process_of(task: Task) -> str:
    """The process (main or called) a task belongs to, looking through embedded sub-processes."""
    workflow = task.workflow
    while workflow.parent_task_id is not None:
        parent = workflow.top_workflow.get_task_from_id(workflow.parent_task_id)
        if isinstance(parent.task_spec, CallActivityMixin):
            break
        workflow = parent.workflow
    return workflow.spec.name


def _ends_after_boundary_events(spec: BpmnProcessSpec) -> Iterator[str]:
    seen: set[str] = set()
    # Non-interrupting boundary events start side branches (deadline follow-ups); an interrupting
    # one (e.g. a changed participant count) re-routes the main path itself.
    stack = [ts for ts in spec.task_specs.values()
             if isinstance(ts, BoundaryEventMixin) and not getattr(ts, "cancel_activity", True)]
    while stack:
        task_spec = stack.pop()
        if task_spec.name not in seen:
            seen.add(task_spec.name)
            stack.extend(task_spec.outputs)
            if isinstance(task_spec, EndEventMixin):
                yield task_spec.name
