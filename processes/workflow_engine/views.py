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
