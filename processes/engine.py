"""The workflow engine, in the project's terms: start an event's process, list and complete its user
tasks, fire its timers on an injected clock, and store it as JSON.

The implementation lives in `processes.workflow_engine`, the only package that imports
SpiffWorkflow; nothing else in the project should. Service tasks of the diagrams call the
callables passed as `services` ('publish_plan', 'disclose', 'check_coverage'), each as
`fn(data: dict) -> JSON | None`: a value becomes the task's result variable (None: `true`).
`signal` throws a BPMN signal (e.g. `tier_changed` when the participant count changes).
`VersionDiff` compares two diagram versions and moves running instances between them (issue #10).
"""

from processes.workflow_engine.migration import VersionDiff, kind_of
from processes.workflow_engine.runtime import (
    complete_task,
    end_event_reached,
    failed_step,
    history,
    is_completed,
    ready_user_tasks,
    retry_failed,
    signal,
    skip_failed,
    start,
    tick,
    update_variables,
    waiting_timers,
)
from processes.workflow_engine.specs import LANES, MAIN_PROCESS, load_specs
from processes.workflow_engine.state import deserialize, restore, serialize, specs_from_json
from processes.workflow_engine.variables import DEADLINES, START_VARIABLES, TASK_OUTPUTS
from processes.workflow_engine.views import (
    Blocker,
    ElementChange,
    FailedStep,
    HistoryEntry,
    MigrationCheck,
    ProcessSpecs,
    Services,
    SpecError,
    StepResult,
    TaskNotReady,
    TimerChange,
    TimerView,
    UserTaskView,
    Workflow,
)

__all__ = [
    "DEADLINES",
    "LANES",
    "MAIN_PROCESS",
    "START_VARIABLES",
    "TASK_OUTPUTS",
    "Blocker",
    "ElementChange",
    "FailedStep",
    "HistoryEntry",
    "MigrationCheck",
    "ProcessSpecs",
    "Services",
    "SpecError",
    "StepResult",
    "TaskNotReady",
    "TimerChange",
    "TimerView",
    "UserTaskView",
    "VersionDiff",
    "Workflow",
    "complete_task",
    "deserialize",
    "end_event_reached",
    "failed_step",
    "history",
    "is_completed",
    "kind_of",
    "load_specs",
    "ready_user_tasks",
    "restore",
    "retry_failed",
    "serialize",
    "signal",
    "skip_failed",
    "specs_from_json",
    "start",
    "tick",
    "update_variables",
    "waiting_timers",
]
