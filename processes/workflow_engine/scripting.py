"""Restricted BPMN expressions, service tasks dispatched by name, and timers on an injected clock."""

from __future__ import annotations

import ast
import builtins
from copy import deepcopy
from functools import lru_cache
from types import CodeType
from typing import Any

from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
from SpiffWorkflow.bpmn.script_engine.python_environment import BasePythonScriptEngineEnvironment
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimeDateEventDefinition
from SpiffWorkflow.task import Task

from .views import Services, SpecError

SERVICE_PREFIX = "tanzhong."  # a service task's spiffworkflow:serviceTaskOperator id is tanzhong.<service>
_SAFE_BUILTINS = {
    name: getattr(builtins, name)
    for name in "abs all any bool dict float int len list max min round set sorted str sum tuple".split()
}
_FORBIDDEN_ATTRIBUTES = frozenset({"format", "format_map"})  # str.format can walk attributes


@lru_cache(maxsize=1024)
def compile_expression(source: str, mode: str) -> CodeType:
    """Compile a BPMN condition (mode "eval") or script ("exec"), rejecting imports and private names.

    :raises SpecError: the source imports, declares globals, or names something starting with "_".
    """
    tree = ast.parse(source, mode=mode)
    for node in ast.walk(tree):
        if isinstance(node, ast.Import | ast.ImportFrom | ast.Global | ast.Nonlocal):
            raise SpecError(f"imports and global statements are not allowed: {source!r}")
        name = node.id if isinstance(node, ast.Name) else node.attr if isinstance(node, ast.Attribute) else ""
        if name.startswith("_") or (isinstance(node, ast.Attribute) and name in _FORBIDDEN_ATTRIBUTES):
            raise SpecError(f"name {name!r} is not allowed: {source!r}")
    return compile(tree, "<bpmn>", mode)


class RestrictedEnvironment(BasePythonScriptEngineEnvironment):
    """Evaluates vetted diagram expressions over task data, with a handful of harmless builtins."""

    @staticmethod
    def _namespace(context: dict, external_context: dict | None) -> dict:
        return {**context, **(external_context or {}), "__builtins__": _SAFE_BUILTINS}

    def evaluate(self, expression: str, context: dict, external_context: dict | None = None) -> Any:
        code = compile_expression(expression, "eval")
        return eval(code, self._namespace(context, external_context))  # noqa: S307 - vetted, no builtins

    def execute(self, script: str, context: dict, external_context: dict | None = None) -> bool:
        namespace = self._namespace(context, external_context)
        exec(compile_expression(script, "exec"), namespace)  # noqa: S102 - vetted, no builtins
        hidden = {"__builtins__", *(external_context or {})}
        context.clear()
        context.update({key: value for key, value in namespace.items() if key not in hidden})
        return True


class ScriptEngine(PythonScriptEngine):
    """Restricted expressions plus service tasks dispatched to the callables the caller supplies."""

    def __init__(self, services: Services) -> None:
        super().__init__(environment=RestrictedEnvironment())
        self._services = services

    def call_service(self, task: Task, operation_name: str, operation_params: dict) -> str:
        """Call services[<name>] with a copy of the task data for operator id tanzhong.<name>."""
        service = self._services.get(operation_name.removeprefix(SERVICE_PREFIX))
        if not operation_name.startswith(SERVICE_PREFIX) or service is None:
            raise WorkflowTaskException(f"no service registered for {operation_name!r}", task=task)
        try:
            service(deepcopy(task.data))
        except Exception as exc:
            raise WorkflowTaskException(f"{operation_name}: {exc}", task=task, exception=exc) from exc
        return "true"


class InjectedClockTimer(TimeDateEventDefinition):
    """A timeDate timer that fires only when `tick` marks it, never on the real clock.

    The class name is stored in every spec_json: do not rename it.
    """

    def has_fired(self, my_task: Task) -> bool:
        if my_task.internal_data.get("event_value") is None:
            my_task.internal_data["event_value"] = my_task.workflow.script_engine.evaluate(my_task, self.expression)
        return bool(my_task.internal_data.get("event_fired", False))
