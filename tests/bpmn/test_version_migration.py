"""Moving instances between diagram versions, in memory (processes.engine.VersionDiff, issue #10).

Version 2 (fixtures/v2) adds `review_account` (EEB) after `account_emissions` and moves the offset
deadline to 12 months; other versions are derived from the files in a temporary directory.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from test_paths import APPLICATION_DEADLINE, BPMN_DIR, EVENT_END, OFFSET_DEADLINE, Services, Walk

from processes import engine

V2_DIR = Path(__file__).resolve().parent / "fixtures" / "v2"
DATA = {
    "prepare_plan": {"uses_units": True, "uses_new_sink": False},
    "review_plan_sector": {"sector_decision": "approve"},
    "review_plan_eeb": {"eeb_decision": "approve"},
    "review_funding": {"funding_decision": "approve"},
    "validate_sink_project": {"sink_decision": "approve"},
    "third_party_evaluation": {"conclusion": "neutral"},
}


@pytest.fixture(scope="module")
def v1() -> engine.ProcessSpecs:
    return engine.load_specs(BPMN_DIR)


@pytest.fixture(scope="module")
def v2() -> engine.ProcessSpecs:
    return engine.load_specs(V2_DIR)


def _at(stage: str, specs: engine.ProcessSpecs, services: Services) -> Walk:
    w = Walk(specs, services)
    if stage == "prepare":
        return w
    w.approve_plan(uses_units=True, uses_new_sink=stage == "sink")
    if stage == "waiting":
        return w
    w.tick(EVENT_END)
    w.do("report_reductions")
    if stage == "account":
        return w
    w.do("account_emissions")
    if stage == "overdue":
        w.tick(OFFSET_DEADLINE)
    return w


def _moved(w: Walk, diff: engine.VersionDiff, services: Services) -> engine.MigrationCheck:
    """Restore on the diff's old specs, migrate, store and restore on the new ones (as the service does)."""
    wf = engine.restore(diff.old, engine.serialize(w.wf))
    check = diff.migrate(wf, services.mapping)
    if check.movable:
        w.wf, w.specs = engine.deserialize(diff.new.spec_json, engine.serialize(wf)), diff.new
    return check


def _finish(w: Walk, services: Services) -> list[str]:
    done: list[str] = []
    for _ in range(20):
        if engine.is_completed(w.wf):
            return done
        names = sorted(w.names())
        if not names:
            w.tick(APPLICATION_DEADLINE)
            continue
        view = w.task(names[0])
        engine.complete_task(w.wf, view.id, DATA.get(names[0], {}), services.mapping)
        done.append(names[0])
    raise AssertionError(f"not finished: {w.ready()}")


def test_spec_diff_names_the_added_task_the_moved_timer_and_the_rewired_flows(v1, v2) -> None:
    changes = {(c.element, c.change): c for c in engine.VersionDiff(v1, v2).changes()}
    assert set(changes) == {("review_account", "added"), ("account_emissions", "changed"),
                            ("gw_offset_merge", "changed"), ("offset_deadline_passed", "changed")}
    timer = changes[("offset_deadline_passed", "changed")]
    assert timer.kind == "timer" and "timer" in timer.details
    assert (timer.before, timer.after) == ("offset_deadline", "sink_application_deadline")


@pytest.mark.parametrize(("stage", "meets_new_step"), [
    ("prepare", True), ("waiting", True), ("account", True), ("offsetting", False), ("sink", False),
    ("overdue", False),
])
def test_instances_move_and_meet_the_new_step_only_when_it_is_ahead(v1, v2, stage, meets_new_step) -> None:
    services = Services()
    w = _at(stage, v1, services)
    ready = w.ready()
    check = _moved(w, engine.VersionDiff(v1, v2), services)
    assert check.movable and check.removed == ()
    assert ("review_account" in check.added_ahead) is meets_new_step
    assert w.ready() == ready, "the open tasks stay the same tasks"
    steps = _finish(w, services)
    assert ("review_account" in steps) is meets_new_step
    assert engine.end_event_reached(w.wf) == "end_disclosed"


def test_a_waiting_deadline_timer_is_recomputed(v1, v2) -> None:
    services = Services()
    w = _at("offsetting", v1, services)
    check = _moved(w, engine.VersionDiff(v1, v2), services)
    [timer] = check.timers
    assert (timer.name, timer.before, timer.after) == ("offset_deadline_passed", OFFSET_DEADLINE, APPLICATION_DEADLINE)
    assert w.tick(OFFSET_DEADLINE) == [], "6 months no longer fire"
    assert w.tick(APPLICATION_DEADLINE) == ["offset_deadline_passed"]


def test_a_frontier_variable_survives_the_move(v1, v2) -> None:
    """A tier re-evaluated on the open task only (update_variables) is not lost when
    migrate_workflow resets the task (it would copy its parent's data)."""
    services = Services()
    w = _at("account", v1, services)
    engine.update_variables(w.wf, {"tier": "self_commitment"})
    _moved(w, engine.VersionDiff(v1, v2), services)
    assert _finish(w, services) == ["account_emissions", "review_account", "cancel_units", "sign_commitment"]


def test_a_task_added_after_a_running_subprocess_is_met(v1, tmp_path: Path) -> None:
    """Spiff's migrate_workflow resets only ready and waiting tasks: the branch predicted after the
    running `offsetting` sub-process would skip the new task unless it is predicted again."""
    for name in ("event_lifecycle.bpmn", "sink_project.bpmn", "account_correction.bpmn"):
        shutil.copy(BPMN_DIR / name, tmp_path / name)
    path = tmp_path / "event_lifecycle.bpmn"
    xml = path.read_text(encoding="utf-8")
    xml = xml.replace('<bpmn:sequenceFlow id="flow_offset_done" sourceRef="offsetting" '
                      'targetRef="gw_confirmation_merge" />',
                      '<bpmn:sequenceFlow id="flow_offset_done" sourceRef="offsetting" targetRef="check_offsets" />'
                      '<bpmn:sequenceFlow id="flow_checked" sourceRef="check_offsets" '
                      'targetRef="gw_confirmation_merge" />'
                      '<bpmn:userTask id="check_offsets" name="Check offsets"><bpmn:incoming>flow_offset_done'
                      '</bpmn:incoming><bpmn:outgoing>flow_checked</bpmn:outgoing></bpmn:userTask>')
    xml = xml.replace("<bpmn:incoming>flow_offset_done</bpmn:incoming>\n      <bpmn:incoming>flow_commitment",
                      "<bpmn:incoming>flow_checked</bpmn:incoming>\n      <bpmn:incoming>flow_commitment")
    xml = xml.replace("<bpmn:flowNodeRef>publish_plan</bpmn:flowNodeRef>",
                      "<bpmn:flowNodeRef>publish_plan</bpmn:flowNodeRef><bpmn:flowNodeRef>check_offsets"
                      "</bpmn:flowNodeRef>")
    path.write_text(xml, encoding="utf-8")
    v3 = engine.load_specs(tmp_path)
    services = Services()
    w = _at("offsetting", v1, services)
    check = _moved(w, engine.VersionDiff(v1, v3), services)
    assert check.added_ahead == ("check_offsets",)
    assert _finish(w, services) == ["cancel_units", "check_offsets", "third_party_evaluation"]


def test_an_instance_on_a_removed_task_is_reported_and_left_alone(v1, v2) -> None:
    services = Services()
    w = _at("account", v2, services)
    w.do("account_emissions")
    assert w.names() == {"review_account"}
    before = engine.serialize(w.wf)
    wf = engine.restore(v2, before)
    check = engine.VersionDiff(v2, v1).migrate(wf, services.mapping)
    assert not check.movable and check.blockers == (engine.Blocker("removed", ("review_account",)),)
    assert engine.serialize(wf) == before


def test_finished_and_failed_instances_do_not_move(v1, v2) -> None:
    services = Services()
    done = Walk(v1, services, tier="out_of_scope")
    diff = engine.VersionDiff(v1, v2)
    assert diff.check(done.wf).blockers == (engine.Blocker("completed"),)
    services.failing.add("publish_plan")
    failed = Walk(v1, services)
    failed.do("prepare_plan", uses_units=True, uses_new_sink=False)
    failed.do("review_plan_sector", sector_decision="approve")
    engine.complete_task(failed.wf, failed.task("review_plan_eeb").id, {"eeb_decision": "approve"}, services.mapping)
    assert diff.check(failed.wf).blockers == (engine.Blocker("failed_step", ("publish_plan",)),)


def test_restore_on_shared_specs_equals_deserialize(v1) -> None:
    services = Services()
    w = _at("sink", v1, services)
    state = engine.serialize(w.wf)
    assert engine.serialize(engine.restore(v1, state)) == engine.serialize(engine.deserialize(v1.spec_json, state))
    restored = engine.restore(v1, state)
    assert [t.name for t in engine.waiting_timers(restored)] == [t.name for t in engine.waiting_timers(w.wf)]


def test_skipping_a_failed_step_continues_without_running_it(v1) -> None:
    services = Services()
    services.failing.add("publish_plan")
    w = Walk(v1, services)
    w.do("prepare_plan", uses_units=True, uses_new_sink=False)
    w.do("review_plan_sector", sector_decision="approve")
    result = engine.complete_task(w.wf, w.task("review_plan_eeb").id, {"eeb_decision": "approve"}, services.mapping)
    assert result.failed_step.name == "publish_plan"
    skipped, after = engine.skip_failed(w.wf, services.mapping)
    assert skipped.name == "publish_plan" and "publish_plan is down" in skipped.error
    assert after.failed_step is None and engine.failed_step(w.wf) is None
    assert services.names() == [], "the step did not run"
    assert [t.name for t in engine.waiting_timers(w.wf)] == ["event_ended"]
    assert "publish_plan" in {h.name for h in engine.history(w.wf)}
    with pytest.raises(engine.TaskNotReady):
        engine.skip_failed(w.wf, services.mapping)
