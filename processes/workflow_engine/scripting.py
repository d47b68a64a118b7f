"""Restricted BPMN expressions, service tasks dispatched by name, and timers on an injected clock."""

from __future__ import annotations

import ast
import builtins
import json
import operator
from collections.abc import Callable
from copy import deepcopy
from functools import lru_cache
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

# The diagrams' conditions and scripts are interpreted here, node by node, over the task data: nothing is
# handed to Python's eval/exec, and only the node types below exist. Names are task-data variables or the
# harmless builtins above; there is no attribute access, so no way to reach an object's internals.
_COMPARE: dict[type, Callable[[Any, Any], Any]] = {
    ast.Eq: operator.eq, ast.NotEq: operator.ne, ast.Lt: operator.lt, ast.LtE: operator.le,
    ast.Gt: operator.gt, ast.GtE: operator.ge, ast.In: lambda a, b: a in b, ast.NotIn: lambda a, b: a not in b,
    ast.Is: operator.is_, ast.IsNot: operator.is_not,
}
_BINARY: dict[type, Callable[[Any, Any], Any]] = {
    ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv, ast.Mod: operator.mod,
}
_UNARY: dict[type, Callable[[Any], Any]] = {ast.Not: operator.not_, ast.USub: operator.neg, ast.UAdd: operator.pos}
_ALLOWED = (
    ast.Expression, ast.Module, ast.Expr, ast.Assign, ast.AugAssign, ast.Delete, ast.If, ast.Pass,
    ast.Constant, ast.Name, ast.Load, ast.Store, ast.Del, ast.BoolOp, ast.And, ast.Or, ast.UnaryOp, ast.BinOp,
    ast.Compare, ast.IfExp, ast.Tuple, ast.List, ast.Set, ast.Dict, ast.Subscript, ast.Call,
    *_COMPARE, *_BINARY, *_UNARY,
)


@lru_cache(maxsize=1024)
def compile_expression(source: str, mode: str) -> ast.AST:
    """Parse and vet a BPMN condition (mode "eval") or script ("exec") for `RestrictedEnvironment`.

    :raises SpecError: the source uses anything but literals, task-data names, comparisons, boolean and
        arithmetic operators, subscripts, calls of the harmless builtins, assignments, `del` and `if`; or a name
        starting with "_".
    """
    try:
        tree = ast.parse(source, mode=mode)
    except SyntaxError as exc:
        raise SpecError(f"not a valid expression: {source!r} ({exc.msg})") from exc
    for node in ast.walk(tree):
        if not isinstance(node, _ALLOWED):
            raise SpecError(f"{type(node).__name__} is not allowed in a diagram expression: {source!r}")
        if isinstance(node, ast.Name) and node.id.startswith("_"):
            raise SpecError(f"name {node.id!r} is not allowed: {source!r}")
        if isinstance(node, ast.Call) and not (
                isinstance(node.func, ast.Name) and node.func.id in _SAFE_BUILTINS and not node.keywords):
            raise SpecError(f"only {', '.join(sorted(_SAFE_BUILTINS))} may be called: {source!r}")
        if isinstance(node, ast.Dict) and None in node.keys:  # {**other}: unpacking, not a literal
            raise SpecError(f"dictionary unpacking is not allowed: {source!r}")
        if isinstance(node, ast.Assign | ast.AugAssign | ast.Delete):
            targets = node.targets if isinstance(node, ast.Assign | ast.Delete) else [node.target]
            if not all(isinstance(target, ast.Name) for target in targets):
                raise SpecError(f"only variables may be assigned: {source!r}")
    return tree


def _value(node: ast.AST, names: dict[str, Any]) -> Any:  # noqa: C901, PLR0911, PLR0912 - one case per node type
    """The value of a vetted expression node over `names` (task data first, then the safe builtins)."""
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.Name):
        if node.id in names:
            return names[node.id]
        if node.id in _SAFE_BUILTINS:
            return _SAFE_BUILTINS[node.id]
        raise NameError(f"name {node.id!r} is not defined")
    if isinstance(node, ast.BoolOp):
        result: Any = None
        for operand in node.values:
            result = _value(operand, names)
            if bool(result) is isinstance(node.op, ast.Or):  # and: stop at a false value; or: at a true one
                return result
        return result
    if isinstance(node, ast.UnaryOp):
        return _UNARY[type(node.op)](_value(node.operand, names))
    if isinstance(node, ast.BinOp):
        return _BINARY[type(node.op)](_value(node.left, names), _value(node.right, names))
    if isinstance(node, ast.Compare):
        left = _value(node.left, names)
        for op, comparator in zip(node.ops, node.comparators, strict=True):
            right = _value(comparator, names)
            if not _COMPARE[type(op)](left, right):
                return False
            left = right
        return True
    if isinstance(node, ast.IfExp):
        return _value(node.body if _value(node.test, names) else node.orelse, names)
    if isinstance(node, ast.Tuple):
        return tuple(_value(item, names) for item in node.elts)
    if isinstance(node, ast.List):
        return [_value(item, names) for item in node.elts]
    if isinstance(node, ast.Set):
        return {_value(item, names) for item in node.elts}
    if isinstance(node, ast.Dict):
        return {_value(k, names): _value(v, names) for k, v in zip(node.keys, node.values, strict=True)}
    if isinstance(node, ast.Subscript):
        return _value(node.value, names)[_value(node.slice, names)]
    if isinstance(node, ast.Call):
        return _SAFE_BUILTINS[node.func.id](*(_value(arg, names) for arg in node.args))  # type: ignore[attr-defined]
    raise SpecError(f"{type(node).__name__} is not allowed in a diagram expression")


def _run(statements: list[ast.stmt], names: dict[str, Any]) -> None:
    """Run vetted script statements, assigning into `names`."""
    for statement in statements:
        if isinstance(statement, ast.Assign):
            value = _value(statement.value, names)
            for target in statement.targets:
                names[target.id] = value  # type: ignore[attr-defined]
        elif isinstance(statement, ast.AugAssign):
            name = statement.target.id  # type: ignore[attr-defined]
            names[name] = _BINARY[type(statement.op)](_value(statement.target, names), _value(statement.value, names))
        elif isinstance(statement, ast.Delete):
            for target in statement.targets:
                names.pop(target.id, None)  # type: ignore[attr-defined]
        elif isinstance(statement, ast.If):
            _run(statement.body if _value(statement.test, names) else statement.orelse, names)
        elif isinstance(statement, ast.Expr):
            _value(statement.value, names)
        # ast.Pass: nothing


class RestrictedEnvironment(BasePythonScriptEngineEnvironment):
    """Interprets vetted diagram expressions over task data (never Python's eval/exec)."""

    def evaluate(self, expression: str, context: dict, external_context: dict | None = None) -> Any:
        tree = compile_expression(expression, "eval")
        return _value(tree.body, {**context, **(external_context or {})})  # type: ignore[attr-defined]

    def execute(self, script: str, context: dict, external_context: dict | None = None) -> bool:
        names = {**context, **(external_context or {})}
        _run(compile_expression(script, "exec").body, names)  # type: ignore[attr-defined]
        hidden = set(external_context or {})
        context.clear()
        context.update({key: value for key, value in names.items() if key not in hidden})
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
            result = service(deepcopy(task.data))
        except Exception as exc:
            raise WorkflowTaskException(f"{operation_name}: {exc}", task=task, exception=exc) from exc
        return "true" if result is None else json.dumps(result)


class InjectedClockTimer(TimeDateEventDefinition):
    """A timeDate timer that fires only when `tick` marks it, never on the real clock.

    The class name is stored in every spec_json: do not rename it.
    """

    def has_fired(self, my_task: Task) -> bool:
        if my_task.internal_data.get("event_value") is None:
            my_task.internal_data["event_value"] = my_task.workflow.script_engine.evaluate(my_task, self.expression)
        return bool(my_task.internal_data.get("event_fired", False))
