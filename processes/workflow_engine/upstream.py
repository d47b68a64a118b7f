"""The few SpiffWorkflow 3.2 internals the engine needs, in one place (pyproject pins SpiffWorkflow
to >=3.2,<3.3; tests/bpmn/test_engine_guard.py fails loudly when any of them changes).

What upstream lacks (spiff-arena#1973 asks for it): a public way to
- restore an instance on specs already parsed and shared by many instances (`restore_instance`: the
  steps of `BpmnWorkflowConverter.from_dict` after it restored the specs — restoring the specs is
  most of a restore's time);
- rebuild the predicted branch of a task after its spec's outputs changed in a new diagram version
  (`repredict`: `Task._drop_children` and `TaskSpec._predict`), and drop a predicted task whose spec
  the new version no longer has (`remove_task`: `Workflow._remove_task`); `migrate_workflow` resets
  only ready and waiting tasks.

When upgrading SpiffWorkflow: run the guard tests first, compare these steps with the new
`BpmnWorkflowConverter.from_dict` and `Task`/`TaskSpec`, then widen the pin (docs/architecture.md,
"Upgrading SpiffWorkflow").
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.task import Task
from SpiffWorkflow.util.task import TaskState

PREDICT_MASK = TaskState.PREDICTED_MASK | TaskState.FUTURE | TaskState.STARTED


def restore_instance(registry: Any, top: Any, subprocesses: dict, state: dict) -> BpmnWorkflow:
    """An instance from its serialized `state` (no specs inside) on parsed specs."""
    converter = registry.convert_from_dict["BpmnWorkflow"].args[0].__self__
    wf = BpmnWorkflow(top, subprocesses, deserializing=True)
    wf.tasks = converter.mapping_from_dict(state["tasks"], UUID, workflow=wf)
    wf.task_tree = wf.tasks.get(UUID(state["root"]))
    converter.set_default_attributes(wf, state)
    converter.subprocesses_from_dict(state["subprocesses"], wf)
    wf.bpmn_events = registry.restore(state.pop("bpmn_events", []))
    return wf


def repredict(task: Task) -> None:
    """Drop the task's predicted children and predict them again from its (new) spec."""
    task._drop_children(force=True)  # noqa: SLF001 - see the module docstring
    task.task_spec._predict(task, mask=PREDICT_MASK)  # noqa: SLF001


def remove_task(workflow: BpmnWorkflow, task_id: UUID) -> None:
    """Remove a predicted task (and its branch) from the workflow's task tree."""
    workflow._remove_task(task_id)  # noqa: SLF001
