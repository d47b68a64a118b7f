"""JSON for specs and instances; an instance's state never contains the specs."""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import lru_cache

from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.serializer.default.event_definition import TimerConditionalEventDefinitionConverter
from SpiffWorkflow.bpmn.specs import BpmnProcessSpec
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG

from . import upstream
from .scripting import InjectedClockTimer, ScriptEngine
from .views import ProcessSpecs, Workflow

_REGISTRY = BpmnWorkflowSerializer.configure(SPIFF_CONFIG)
TimerConditionalEventDefinitionConverter(InjectedClockTimer, _REGISTRY)
_SERIALIZER = BpmnWorkflowSerializer(_REGISTRY)
_VERSION_KEY = _SERIALIZER.VERSION_KEY
# Task fields left out of the stored state while they hold Spiff's default value.
_TASK_DEFAULTS = {
    "typename": "Task",
    "triggered": False,
    "internal_data": {},
    "data": {},
    "delta": {"updates": {}, "deletions": []},
}
# The same defaults as fresh objects (a deepcopy per task and key costs a third of a restore).
_TASK_DEFAULT_VALUES: dict[str, Callable[[], object]] = {
    "typename": lambda: "Task",
    "triggered": lambda: False,
    "internal_data": dict,
    "data": dict,
    "delta": lambda: {"updates": {}, "deletions": []},
}


def specs_to_json(top: BpmnProcessSpec, subprocesses: dict[str, BpmnProcessSpec], content_hash: str) -> str:
    return json.dumps(
        {
            _VERSION_KEY: _SERIALIZER.VERSION,
            "content_hash": content_hash,
            "spec": _SERIALIZER.to_dict(top),
            "subprocess_specs": {name: _SERIALIZER.to_dict(spec) for name, spec in subprocesses.items()},
        },
        ensure_ascii=False,
    )


@lru_cache(maxsize=8)
def specs_from_json(spec_json: str) -> ProcessSpecs:
    """The specs of a stored version, to start instances on it after the files on disk changed.

    :raises ValueError: the specs were written by another serializer version.
    """
    specs = json.loads(spec_json)
    if specs[_VERSION_KEY] != _SERIALIZER.VERSION:
        raise ValueError(f"specs were serialized by SpiffWorkflow serializer {specs[_VERSION_KEY]}")
    subprocesses = {name: _SERIALIZER.from_dict(spec) for name, spec in specs["subprocess_specs"].items()}
    return ProcessSpecs(_SERIALIZER.from_dict(specs["spec"]), subprocesses, specs["content_hash"], spec_json)


def serialize(wf: Workflow) -> str:
    """The instance state as compact JSON, without the specs (they live in `ProcessSpecs.spec_json`)."""
    state = _SERIALIZER.to_dict(wf)
    del state["spec"], state["subprocess_specs"]
    state[_VERSION_KEY] = _SERIALIZER.VERSION
    for workflow in (state, *state["subprocesses"].values()):
        for task in workflow["tasks"].values():
            del task["parent"]  # derivable from the parent's children
            for key, default in _TASK_DEFAULTS.items():
                if task.get(key) == default:
                    del task[key]
    return json.dumps(state, separators=(",", ":"), ensure_ascii=False)


def deserialize(spec_json: str, state_json: str) -> Workflow:
    """Restore an instance on the specs of the version it started on.

    :raises ValueError: specs and state were written by different serializer versions.
    """
    specs, state = json.loads(spec_json), json.loads(state_json)
    if specs[_VERSION_KEY] != state[_VERSION_KEY]:
        raise ValueError("specs and state were serialized by different SpiffWorkflow serializer versions")
    state["spec"], state["subprocess_specs"] = specs["spec"], specs["subprocess_specs"]
    _expand(state)
    _SERIALIZER.migrate(state)
    wf = _SERIALIZER.from_dict(state)
    wf.script_engine = ScriptEngine({})
    return wf


def restore(specs: ProcessSpecs, state_json: str) -> Workflow:
    """Like `deserialize`, but on already parsed specs shared by every instance of a version.

    Restoring the specs is most of `deserialize`'s time; migrating many instances does it once per
    version and compares the same spec objects (Spiff's diff aligns specs by identity).
    :raises ValueError: the state was written by another serializer version.
    """
    state = json.loads(state_json)
    if state.pop(_VERSION_KEY) != _SERIALIZER.VERSION:
        raise ValueError("the state was serialized by another SpiffWorkflow serializer version")
    _expand(state)
    wf = upstream.restore_instance(_REGISTRY, specs.top, specs.subprocesses, state)
    wf.script_engine = ScriptEngine({})
    return wf


def _expand(state: dict) -> None:
    """Put back what `serialize` left out: parent links and the task fields at their defaults."""
    for workflow in (state, *state["subprocesses"].values()):
        tasks = workflow["tasks"]
        for task in tasks.values():
            task.setdefault("parent", None)
            for key, fresh in _TASK_DEFAULT_VALUES.items():
                if key not in task:
                    task[key] = fresh()
        for task_id, task in tasks.items():
            for child in task["children"]:
                tasks[child]["parent"] = task_id
