"""Compare diagram versions and move running instances between them (SpiffWorkflow.bpmn.util.diff).

`VersionDiff(old, new)` aligns the specs of two versions once — Spiff's `SpecDiff` for the main
process and `diff_dependencies` for the processes it uses — and then, per instance, does what
`diff_workflow` does with those spec diffs (a `WorkflowDiff` per workflow): which of the instance's
tasks exist unchanged, changed or not at all in the new version. `migrate` moves an instance with
`migrate_workflow` (ready and waiting tasks are reset, so a timer recomputes its target), and then
repairs what that leaves stale (see `_repredict`).

Specs are compared by identity, so instances must be restored on the very `ProcessSpecs` objects
given here (`state.restore`), which is also what makes migrating many instances cheap.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime

from SpiffWorkflow.bpmn.specs import BpmnProcessSpec
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.bpmn.specs.mixins import (
    CallActivityMixin,
    ExclusiveGatewayMixin,
    InclusiveGatewayMixin,
    ParallelGatewayMixin,
    ScriptTaskMixin,
    ServiceTaskMixin,
    SubWorkflowTaskMixin,
    UserTaskMixin,
)
from SpiffWorkflow.bpmn.specs.mixins.events.event_types import CatchingEvent, ThrowingEvent
from SpiffWorkflow.bpmn.specs.mixins.events.intermediate_event import EventBasedGateway
from SpiffWorkflow.bpmn.util.diff import SpecDiff, WorkflowDiff, diff_dependencies, migrate_workflow
from SpiffWorkflow.specs.base import TaskSpec
from SpiffWorkflow.task import Task
from SpiffWorkflow.util.task import TaskState

from . import upstream
from .runtime import _run, failed_step, waiting_timers
from .scripting import ScriptEngine
from .state import _REGISTRY
from .views import Blocker, ElementChange, MigrationCheck, ProcessSpecs, Services, TimerChange, Workflow

# Spiff's attribute names (of the serialized spec) in the project's terms.
_DETAILS = {
    "inputs": "flows",
    "outputs": "flows",
    "event_definition": "timer",
    "bpmn_name": "name",
    "documentation": "documentation",
    "lane": "lane",
    "cond_task_specs": "conditions",
    "default_task_spec": "conditions",
    "choice": "conditions",
    "operation_name": "service",
    "operation_params": "service",
    "result_variable": "service",
    "script": "script",
    "prescript": "script",
    "postscript": "script",
    "typename": "type",
}
_RESET = TaskState.READY | TaskState.WAITING  # what migrate_workflow resets (its default mask)
_LIVE = TaskState.READY | TaskState.WAITING | TaskState.STARTED


def kind_of(spec: TaskSpec) -> str:
    """The kind of a diagram element, as the diff view and the dry run name it."""
    if isinstance(spec, UserTaskMixin):
        return "user_task"
    if isinstance(spec, ServiceTaskMixin | ScriptTaskMixin):
        return "automatic_task"
    if isinstance(spec, CallActivityMixin):
        return "call_activity"
    if isinstance(spec, SubWorkflowTaskMixin):
        return "subprocess"
    if isinstance(spec, ExclusiveGatewayMixin | ParallelGatewayMixin | InclusiveGatewayMixin | EventBasedGateway):
        return "gateway"
    if isinstance(getattr(spec, "event_definition", None), TimerEventDefinition):
        return "timer"
    if isinstance(spec, CatchingEvent | ThrowingEvent):
        return "event"
    return "task"


def _is_element(spec: TaskSpec) -> bool:
    """A spec drawn in the diagram (Spiff adds unnamed ones: start/end joins, boundary splits)."""
    return bool(getattr(spec, "bpmn_id", None))


def _title(spec: TaskSpec) -> str:
    return getattr(spec, "bpmn_name", None) or spec.bpmn_id


def _expression(spec: TaskSpec) -> str | None:
    return getattr(getattr(spec, "event_definition", None), "expression", None)


class VersionDiff:
    """The alignment of two versions' specs, computed once and applied to any number of instances."""

    def __init__(self, old: ProcessSpecs, new: ProcessSpecs) -> None:
        self.old, self.new = old, new
        self._diffs: dict[str, SpecDiff | None] = {old.top.name: SpecDiff(_REGISTRY, old.top, new.top)}
        dependencies, self._new_processes = diff_dependencies(_REGISTRY, old.subprocesses, new.subprocesses)
        self._diffs.update(dependencies)
        self._added = {spec for diff in self._diffs.values() if diff for spec in diff.added}
        self._added |= {spec for name in self._new_processes for spec in new.subprocesses[name].task_specs.values()}
        self._changed = {  # new spec -> changed attributes
            diff.alignment[spec]: attributes
            for diff in self._diffs.values() if diff for spec, attributes in diff.changed.items()
        }
        # SpecDiff.changed and .removed are properties computed on every access, and WorkflowDiff
        # reads them once per task: hand it the values computed once.
        self._frozen = {name: _FrozenSpecDiff(diff) for name, diff in self._diffs.items() if diff is not None}

    # ----------------------------------------------------------------------- the versions
    def changes(self) -> list[ElementChange]:
        """Elements added, removed or changed, per process, in diagram order of the old version."""
        result: list[ElementChange] = []
        for process, diff in self._diffs.items():
            if diff is None:
                old_process = self.old.subprocesses[process]
                result += [self._element(process, spec, "removed") for spec in _elements(old_process)]
                continue
            result += [self._element(process, spec, "removed") for spec in diff.removed if _is_element(spec)]
            for old_spec, attributes in diff.changed.items():
                if _is_element(old_spec):
                    result.append(self._changed_element(process, old_spec, diff.alignment[old_spec], attributes))
            result += [self._element(process, spec, "added") for spec in diff.added if _is_element(spec)]
        for process in self._new_processes:
            result += [self._element(process, spec, "added") for spec in _elements(self.new.subprocesses[process])]
        return result

    @staticmethod
    def _element(process: str, spec: TaskSpec, change: str) -> ElementChange:
        expression = _expression(spec)
        return ElementChange(process, spec.bpmn_id, _title(spec), kind_of(spec), change,
                             before=expression if change == "removed" else None,
                             after=expression if change == "added" else None)

    @staticmethod
    def _changed_element(process: str, old: TaskSpec, new: TaskSpec, attributes: list[str]) -> ElementChange:
        details = sorted({_DETAILS.get(name, name) for name in attributes})
        if old.name != new.name:
            details.append("id")
        before = after = None
        if "timer" in details:
            before, after = _expression(old), _expression(new)
        elif "name" in details:
            before, after = _title(old), _title(new)
        return ElementChange(process, old.bpmn_id, _title(new), kind_of(new), "changed", tuple(details),
                             before, after)

    # ----------------------------------------------------------------------- an instance
    def check(self, wf: Workflow) -> MigrationCheck:
        """What the diff says of the instance's tasks, without changing anything."""
        return self._check(wf)[0]

    def _check(self, wf: Workflow) -> tuple[MigrationCheck, list[tuple[Workflow, WorkflowDiff]]]:
        blockers: list[Blocker] = []
        if wf.is_completed():
            blockers.append(Blocker("completed"))
        failed = failed_step(wf)
        if failed is not None:
            blockers.append(Blocker("failed_step", (failed.name,)))
        missing = sorted({sp.spec.name for sp in wf.subprocesses.values() if self._diffs.get(sp.spec.name) is None})
        if missing:
            blockers.append(Blocker("missing_process", tuple(missing)))
            return MigrationCheck(tuple(blockers)), []
        unchanged, changed, removed = 0, [], []
        workflows = list(self._workflow_diffs(wf))
        for workflow, diff in workflows:
            removed_ids = {task.id for task in diff.removed}
            changed_ids = {task.id for task in diff.changed}
            for task in workflow.tasks.values():
                if task.has_state(TaskState.PREDICTED_MASK) or not _is_element(task.task_spec):
                    continue
                if task.id in removed_ids:
                    if not _dropped_by_reset(task):
                        removed.append(task.task_spec.bpmn_id)
                elif task.id in changed_ids:
                    changed.append(task.task_spec.bpmn_id)
                else:
                    unchanged += 1
        if removed:
            blockers.append(Blocker("removed", tuple(sorted(set(removed)))))
        check = MigrationCheck(tuple(blockers), unchanged, tuple(sorted(set(changed))), tuple(sorted(set(removed))))
        return check, workflows

    def migrate(self, wf: Workflow, services: Services) -> MigrationCheck:
        """Move the instance to the new version in place, when `check` finds nothing in the way, and
        run the engine on (an automatic step may have become ready). A blocked instance is untouched.

        :raises RuntimeError: the moved instance is inconsistent (a bug; discard `wf`).
        """
        check, workflows = self._check(wf)
        if not check.movable:
            return check
        ready_before = _ready_names(wf)
        timers_before = {(t.process, t.name): t.target for t in waiting_timers(wf)}
        done_before = {task.id for task in _all_tasks(wf) if task.has_state(TaskState.COMPLETED)}
        frontier_data = {task.id: task.data for task in _all_tasks(wf) if task.has_state(_RESET)}
        for workflow, diff in workflows:
            migrate_workflow(diff, workflow, self._new_spec(workflow.spec.name))
        wf.subprocess_specs = self.new.subprocesses
        for workflow, _diff in workflows:
            _repredict(workflow)
            _prune(workflow)
        for task in _all_tasks(wf):  # keep variables changed on the frontier only (e.g. a re-evaluated tier)
            if task.id in frontier_data and task.has_state(_RESET):
                task.data = frontier_data[task.id]
        wf.script_engine = ScriptEngine(services)
        failed = _run(wf) if _engine_step_ready(wf) else None
        ran = tuple(task.task_spec.bpmn_id for task in _all_tasks(wf) if task.has_state(TaskState.COMPLETED)
                    and task.id not in done_before and _is_element(task.task_spec))
        timers_after = {(t.process, t.name): t.target for t in waiting_timers(wf)}
        ahead = self._ahead(wf)
        return MigrationCheck(
            (), check.unchanged, check.changed, check.removed,
            added_ahead=tuple(sorted({s.bpmn_id for s in ahead & self._added if _is_element(s)})),
            changed_ahead=tuple(sorted({s.bpmn_id for s in ahead if s in self._changed and _is_element(s)
                                        and kind_of(s) in ("user_task", "timer", "automatic_task")})),
            timers=_timer_changes(timers_before, timers_after),
            ready_before=ready_before,
            ready_after=_ready_names(wf),
            ran=ran,
            failed_step=failed,
        )

    def _new_spec(self, name: str) -> BpmnProcessSpec:
        return self.new.top if name == self.old.top.name else self.new.subprocesses[name]

    def _workflow_diffs(self, wf: Workflow) -> Iterator[tuple[Workflow, WorkflowDiff]]:
        """`diff_workflow`, with the spec diffs computed once for all instances."""
        yield wf, WorkflowDiff(wf, self._frozen[wf.spec.name])
        for subprocess in list(wf.subprocesses.values()):
            yield subprocess, WorkflowDiff(subprocess, self._frozen[subprocess.spec.name])

    def _ahead(self, wf: Workflow) -> set[TaskSpec]:
        """Specs of the new version reachable from the instance's running, ready and waiting tasks."""
        live = [task.task_spec for task in _all_tasks(wf) if task.has_state(_LIVE)]
        seen: set[TaskSpec] = set()
        stack = [output for spec in live for output in spec.outputs]
        while stack:
            spec = stack.pop()
            if spec in seen:
                continue
            seen.add(spec)
            stack.extend(spec.outputs)
            if isinstance(spec, SubWorkflowTaskMixin) and spec.spec in self.new.subprocesses:
                stack.append(self.new.subprocesses[spec.spec].start)
        return seen


class _FrozenSpecDiff:
    """What WorkflowDiff reads of a SpecDiff, computed once."""

    def __init__(self, diff: SpecDiff) -> None:
        self.alignment = diff.alignment
        self.changed = diff.changed
        self.removed = frozenset(diff.removed)


def _elements(spec: BpmnProcessSpec) -> list[TaskSpec]:
    return [task_spec for task_spec in spec.task_specs.values() if _is_element(task_spec)]


def _all_tasks(wf: Workflow) -> Iterator[Task]:
    for workflow in (wf, *wf.subprocesses.values()):
        yield from workflow.tasks.values()


def _ready_names(wf: Workflow) -> tuple[str, ...]:
    return tuple(sorted(task.task_spec.bpmn_id for task in _all_tasks(wf)
                        if task.state == TaskState.READY and isinstance(task.task_spec, UserTaskMixin)))


def _engine_step_ready(wf: Workflow) -> bool:
    """Whether an automatic step became ready (a reset join, say): then the engine runs on."""
    return any(task.state == TaskState.READY and not isinstance(task.task_spec, UserTaskMixin)
               for task in _all_tasks(wf))


def _dropped_by_reset(task: Task) -> bool:
    """Whether `migrate_workflow` drops the task (a descendant of a ready or waiting task)."""
    parent = task.parent
    while parent is not None:
        if parent.has_state(_RESET):
            return True
        parent = parent.parent
    return False


def _repredict(workflow: Workflow) -> None:
    """Re-predict the branches below running and future tasks whose outputs changed.

    `migrate_workflow` resets only ready and waiting tasks. A future task (definite, e.g. the task
    after a running sub-process) keeps the children predicted from the old version and would, when
    reached, follow the old flow — past a task the new version added. Its branch is rebuilt.
    """
    for task in list(workflow.tasks.values()):
        if task.id not in workflow.tasks or not task.has_state(TaskState.FUTURE | TaskState.STARTED):
            continue
        children = [child for child in task.children if not child.triggered]
        if len(children) != len(task.children):
            continue
        if {child.task_spec for child in children} == set(task.task_spec.outputs):
            continue
        upstream.repredict(task)


def _prune(workflow: Workflow) -> None:
    """Drop predicted tasks whose spec the new version no longer has; the engine predicts again."""
    specs = workflow.spec.task_specs
    for task in list(workflow.tasks.values()):
        if task.id not in workflow.tasks or specs.get(task.task_spec.name) is task.task_spec:
            continue
        if not task.has_state(TaskState.PREDICTED_MASK):
            raise RuntimeError(f"task {task.task_spec.name} ({TaskState.get_name(task.state)}) has no spec "
                               f"in the new version of {workflow.spec.name}")
        upstream.remove_task(workflow, task.id)


def _timer_changes(before: dict[tuple[str, str], datetime],
                   after: dict[tuple[str, str], datetime]) -> tuple[TimerChange, ...]:
    keys: Iterable[tuple[str, str]] = sorted(before.keys() | after.keys())
    return tuple(TimerChange(name, process, before.get((process, name)), after.get((process, name)))
                 for process, name in keys if before.get((process, name)) != after.get((process, name)))
