"""The engine's guard against a SpiffWorkflow upgrade (issue #20): the internals it relies on keep
their signatures, and the fast restore (`engine.restore`, which re-implements the tail of
SpiffWorkflow's `from_dict`) yields the same instance as the stock deserializer (`engine.deserialize`)
in every state the path walks reach."""

from __future__ import annotations

import inspect
from importlib.metadata import version

import pytest
from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.serializer.default.workflow import BpmnWorkflowConverter
from SpiffWorkflow.specs.base import TaskSpec
from SpiffWorkflow.task import Task
from test_paths import (
    BPMN_DIR,
    EVENT_END,
    OFFSET_DEADLINE,
    Services,
    Walk,
)

from processes import engine


def test_spiffworkflow_is_the_tested_minor_version():
    assert version("SpiffWorkflow").startswith("3.2."), "read processes/workflow_engine/upstream.py first"


@pytest.mark.parametrize(("owner", "name", "parameters"), [
    (Task, "_drop_children", ["self", "force"]),
    (TaskSpec, "_predict", ["self", "my_task", "seen", "looked_ahead", "mask"]),
    (BpmnWorkflow, "_remove_task", ["self", "task_id"]),
    (BpmnWorkflow, "__init__", ["self", "spec", "subprocess_specs", "script_engine", "kwargs"]),
    (BpmnWorkflowConverter, "mapping_from_dict", ["self", "mapping", "key_class", "kwargs"]),
    (BpmnWorkflowConverter, "set_default_attributes", ["self", "workflow", "dct"]),
    (BpmnWorkflowConverter, "subprocesses_from_dict", ["self", "dct", "workflow", "top_workflow"]),
])
def test_the_internals_upstream_py_uses_keep_their_signatures(owner, name, parameters):
    assert list(inspect.signature(getattr(owner, name)).parameters) == parameters, (
        f"{owner.__name__}.{name} changed: review processes/workflow_engine/upstream.py")


def _same(w: Walk) -> None:
    state = engine.serialize(w.wf)
    fast, stock = engine.restore(w.specs, state), engine.deserialize(w.specs.spec_json, state)
    assert engine.serialize(fast) == engine.serialize(stock) == state
    assert engine.ready_user_tasks(fast) == engine.ready_user_tasks(stock)
    assert engine.waiting_timers(fast) == engine.waiting_timers(stock)


class Checked(Walk):
    """A walk that compares both restores after every step and every tick."""

    def do(self, name, process=None, **data):  # noqa: ANN001,ANN003,ANN201
        result = super().do(name, process, **data)
        _same(self)
        return result

    def tick(self, now):  # noqa: ANN001,ANN201
        fired = super().tick(now)
        _same(self)
        return fired


@pytest.fixture(scope="module")
def specs() -> engine.ProcessSpecs:
    return engine.load_specs(BPMN_DIR)


@pytest.fixture()
def checked(specs):  # noqa: ANN001,ANN201
    def make(services: Services | None = None, **overrides):  # noqa: ANN003,ANN202
        w = Checked(specs, services or Services(), **overrides)
        _same(w)
        return w
    return make


def test_restore_equals_stock_on_the_third_party_path_with_units_and_sink(checked):
    w = checked(tier="third_party", fiscal_funding_requested=True)
    w.do("prepare_plan", uses_units=False, uses_new_sink=True)
    w.do("review_plan_sector", sector_decision="return")
    w.do("review_plan_eeb", eeb_decision="approve")
    w.do("review_funding", funding_decision="approve")
    w.approve_plan(uses_units=True, uses_new_sink=True)
    w.to_offsetting()
    w.do("cancel_units")
    w.do("register_sink_project")
    w.do("validate_sink_project", sink_decision="return")
    w.do("register_sink_project")
    w.do("validate_sink_project", sink_decision="approve")
    w.do("third_party_evaluation", conclusion="not_neutral", uses_units=True, uses_new_sink=False)
    w.do("cancel_units")
    w.do("third_party_evaluation", conclusion="neutral")
    assert engine.is_completed(w.wf)


def test_restore_equals_stock_on_the_shortfall_re_tier_and_overdue_paths(checked):
    services = Services()
    services.coverage = [False]
    w = checked(services, tier="self_commitment")
    w.approve_plan()
    w.to_offsetting()
    w.do("cancel_units")
    w.tick(OFFSET_DEADLINE)
    w.do("cancel_remainder")
    w.do("follow_up_overdue")
    engine.update_variables(w.wf, {"tier": "third_party"})
    assert engine.signal(w.wf, "tier_changed", services.mapping)
    _same(w)
    engine.update_variables(w.wf, {"tier": "out_of_scope"})
    assert engine.signal(w.wf, "tier_changed", services.mapping)
    _same(w)
    assert engine.end_event_reached(w.wf) == "end_voluntary"


def test_restore_equals_stock_when_the_count_falls_below_200_while_waiting(checked):
    w = checked(tier="self_commitment")
    w.approve_plan()
    engine.update_variables(w.wf, {"tier": "out_of_scope"})
    assert engine.signal(w.wf, "out_of_scope", w.services.mapping)
    _same(w)
    assert EVENT_END and engine.end_event_reached(w.wf) == "end_left_scope"
