"""Load the diagrams: parse, validate, assign canonical lanes, arm injected-clock timers."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from lxml import etree
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimeDateEventDefinition, TimerEventDefinition
from SpiffWorkflow.bpmn.specs.mixins import UserTaskMixin
from SpiffWorkflow.spiff.parser.process import VALIDATOR, SpiffBpmnParser

from .scripting import InjectedClockTimer, compile_expression
from .state import specs_to_json
from .views import ProcessSpecs, SpecError

MAIN_PROCESS = "event_lifecycle"
LANES = frozenset({"Organizer", "SectorBureau", "EEB", "Finance", "NaturalResources", "Verifier"})
_BPMN = "{http://www.omg.org/spec/BPMN/20100524/MODEL}"
_CACHE: dict[tuple[Path, str], ProcessSpecs] = {}


def load_specs(bpmn_dir: Path, process_id: str = MAIN_PROCESS) -> ProcessSpecs:
    """Parse, validate and prepare the diagrams in `bpmn_dir` (cached per directory and content).

    :raises SpecError: a diagram the engine cannot run (see `SpecError`).
    :raises SpiffWorkflow.bpmn.parser.ValidationException: invalid BPMN.
    """
    files = [(path.name, path.read_bytes()) for path in sorted(bpmn_dir.glob("*.bpmn"))]
    digest = hashlib.sha256()
    for _name, content in files:
        digest.update(content)
    key = (bpmn_dir.resolve(), digest.hexdigest())
    if key not in _CACHE:
        _CACHE[key] = _parse(files, process_id, digest.hexdigest())
    return _CACHE[key]


def _parse(files: list[tuple[str, bytes]], process_id: str, content_hash: str) -> ProcessSpecs:
    parser = SpiffBpmnParser(validator=VALIDATOR)
    for name, content in files:
        parser.add_bpmn_xml(etree.fromstring(content), filename=name)
    top = parser.get_spec(process_id)
    subprocesses = parser.get_subprocess_specs(process_id)
    for spec in (top, *subprocesses.values()):
        lanes = _lane_keys(parser.get_process_parser(spec.name).document_root)
        for task_spec in spec.task_specs.values():
            _prepare(task_spec, lanes)
    return ProcessSpecs(top, subprocesses, content_hash, specs_to_json(top, subprocesses, content_hash))


def _lane_keys(root: etree._Element) -> dict[str, str]:
    """Map element ids to lane keys (the lane id without "Lane_"); unlisted nested elements inherit.

    Spiff's own `task_spec.lane` is the lane *name*, and inside an embedded sub-process the
    sub-process's lane, so the engine reads the flowNodeRefs itself.
    """
    refs = {
        ref.text.strip(): lane.get("id", "").removeprefix("Lane_")
        for lane in root.iter(f"{_BPMN}lane")
        for ref in lane.iter(f"{_BPMN}flowNodeRef")
        if ref.text
    }
    keys: dict[str, str] = {}

    def walk(node: etree._Element, inherited: str | None) -> None:
        for child in node:
            node_id = child.get("id")
            lane = refs.get(node_id, inherited) if node_id else inherited
            if node_id and lane:
                keys[node_id] = lane
            walk(child, lane)

    for process in root.iter(f"{_BPMN}process"):
        walk(process, None)
    return keys


def _prepare(task_spec: Any, lanes: dict[str, str]) -> None:
    """Set the canonical lane, swap timers for injected-clock ones and vet every expression."""
    task_spec.lane = lanes.get(task_spec.bpmn_id)
    if isinstance(task_spec, UserTaskMixin) and task_spec.lane not in LANES:
        raise SpecError(f"user task {task_spec.bpmn_id!r} is in no known lane ({task_spec.lane!r})")
    event = getattr(task_spec, "event_definition", None)
    if isinstance(event, TimerEventDefinition):
        if type(event) is not TimeDateEventDefinition:
            raise SpecError(f"timer {task_spec.bpmn_id!r} must be a timeDate (the clock is injected)")
        task_spec.event_definition = InjectedClockTimer(event.name, event.expression, description=event.description)
    expressions = [condition.args[0] for condition, _ in getattr(task_spec, "cond_task_specs", ()) if condition]
    expressions.append(getattr(event, "expression", None))
    expressions += [param["value"] for param in getattr(task_spec, "operation_params", {}).values()]
    for expression in filter(None, expressions):
        compile_expression(expression, "eval")
    for name in ("script", "prescript", "postscript"):
        if script := getattr(task_spec, name, None):
            compile_expression(script, "exec")
