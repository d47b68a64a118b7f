"""What the engine hands back: plain, frozen values in the project's own terms."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.specs import BpmnProcessSpec

Workflow = BpmnWorkflow
Services = Mapping[str, Callable[[dict[str, Any]], None]]


class TaskNotReady(LookupError):
    """The task id is unknown, not a user task, or not ready to be completed."""


class SpecError(ValueError):
    """A diagram the engine cannot run safely (missing lane, unsafe expression, real-clock timer)."""


@dataclass(frozen=True)
class ProcessSpecs:
    """Parsed diagrams of one version: the main process, the processes it uses, and their JSON."""

    top: BpmnProcessSpec
    subprocesses: dict[str, BpmnProcessSpec]
    content_hash: str
    spec_json: str


@dataclass(frozen=True)
class UserTaskView:
    id: str  # Spiff task UUID
    name: str  # BPMN id, e.g. "review_plan_eeb"
    title: str  # the diagram label
    lane: str  # canonical lane key, e.g. "EEB"
    process: str  # "event_lifecycle" or "sink_project"


@dataclass(frozen=True)
class TimerView:
    name: str
    title: str
    target: datetime
    process: str


@dataclass(frozen=True)
class HistoryEntry:
    name: str
    process: str


@dataclass(frozen=True)
class FailedStep:
    task_id: str
    name: str
    error: str


@dataclass(frozen=True)
class StepResult:
    failed_step: FailedStep | None
    ready: list[UserTaskView]
    completed: bool


@dataclass(frozen=True)
class ElementChange:
    """A diagram element added, removed or changed between two versions."""

    process: str  # process id, e.g. "event_lifecycle" or the embedded "offsetting"
    element: str  # BPMN id (of the old version when changed)
    title: str
    kind: str  # user_task | automatic_task | subprocess | call_activity | gateway | timer | event
    change: str  # added | removed | changed
    details: tuple[str, ...] = ()  # what changed: flows, timer, name, lane, conditions, service, script, type, id
    before: str | None = None  # timer expression (or name) before
    after: str | None = None


@dataclass(frozen=True)
class TimerChange:
    """A timer armed on the instance whose target moves with the new version."""

    name: str
    process: str
    before: datetime | None
    after: datetime | None


@dataclass(frozen=True)
class Blocker:
    """Why an instance cannot move: code is completed | failed_step | removed | missing_process."""

    code: str
    names: tuple[str, ...] = ()


@dataclass(frozen=True)
class MigrationCheck:
    """What moving one instance to another version does (or why it cannot).

    `unchanged`/`changed`/`removed` count the instance's own tasks (finished and definite, not the
    engine's predictions) by what Spiff's diff says of their spec in the new version.
    """

    blockers: tuple[Blocker, ...]
    unchanged: int = 0
    changed: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    added_ahead: tuple[str, ...] = ()  # elements new in the target version still ahead of the instance
    changed_ahead: tuple[str, ...] = ()  # user tasks and timers ahead whose definition changed
    timers: tuple[TimerChange, ...] = ()
    ready_before: tuple[str, ...] = ()
    ready_after: tuple[str, ...] = ()
    ran: tuple[str, ...] = ()  # automatic steps the engine ran right after moving
    failed_step: FailedStep | None = None

    @property
    def movable(self) -> bool:
        return not self.blockers
