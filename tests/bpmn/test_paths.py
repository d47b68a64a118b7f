"""Every path through bpmn/event_lifecycle.bpmn and bpmn/sink_project.bpmn, walked in memory through
processes.engine with an injected clock (no sleeping, no database, no Flask)."""

from __future__ import annotations

import hashlib
import json
import shutil
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from processes import engine

BPMN_DIR = Path(__file__).resolve().parents[2] / "bpmn"
CST = timezone(timedelta(hours=8))
SECOND = timedelta(seconds=1)
EVENT_END = datetime(2026, 5, 1, 18, 0, tzinfo=CST)
OFFSET_DEADLINE = datetime(2026, 11, 1, 18, 0, tzinfo=CST)  # R-TIME-1: 6 months
APPLICATION_DEADLINE = datetime(2027, 5, 1, 18, 0, tzinfo=CST)  # R-TIME-2: 1 year
VALIDATION_DEADLINE = datetime(2028, 5, 1, 18, 0, tzinfo=CST)  # R-TIME-2: 2 years

# Lane of every user task, per process (follow_up_overdue exists in both).
LANES = {
    ("event_lifecycle", "prepare_plan"): "Organizer",
    ("event_lifecycle", "review_plan_sector"): "SectorBureau",
    ("event_lifecycle", "review_plan_eeb"): "EEB",
    ("event_lifecycle", "review_funding"): "Finance",
    ("event_lifecycle", "report_reductions"): "Organizer",
    ("event_lifecycle", "account_emissions"): "Organizer",
    ("event_lifecycle", "cancel_units"): "Organizer",
    ("event_lifecycle", "cancel_remainder"): "Organizer",
    ("event_lifecycle", "follow_up_overdue"): "EEB",
    ("event_lifecycle", "third_party_evaluation"): "Verifier",
    ("event_lifecycle", "sign_commitment"): "Organizer",
    ("account_correction", "review_correction"): "EEB",
    ("account_correction", "correct_account"): "Organizer",
    ("sink_project", "register_sink_project"): "Organizer",
    ("sink_project", "validate_sink_project"): "NaturalResources",
    ("sink_project", "follow_up_overdue"): "NaturalResources",
}


def start_data(**overrides: Any) -> dict[str, Any]:
    data = {
        "event_id": 42,
        "tier": "third_party",
        "fiscal_funding_requested": False,
        "event_end_at": EVENT_END.isoformat(),
        "offset_deadline": OFFSET_DEADLINE.isoformat(),
        "sink_application_deadline": APPLICATION_DEADLINE.isoformat(),
        "sink_validation_deadline": VALIDATION_DEADLINE.isoformat(),
    }
    data.update(overrides)
    return data


class Services:
    """Service callables that record every call (and can be told to fail)."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.failing: set[str] = set()
        self.coverage: list[bool] = []  # answers of check_coverage, in turn (then: covered)
        self.coverage_checks = 0

    def _check_coverage(self, data: dict[str, Any]) -> bool:
        self.coverage_checks += 1
        return self.coverage.pop(0) if self.coverage else True

    def _call(self, name: str, data: dict[str, Any]) -> None:
        if name in self.failing:
            raise RuntimeError(f"{name} is down")
        self.calls.append((name, data))

    @property
    def mapping(self) -> dict[str, Callable[[dict[str, Any]], None]]:
        calls = {name: lambda data, name=name: self._call(name, data) for name in ("publish_plan", "disclose")}
        return calls | {"check_coverage": self._check_coverage}

    def names(self) -> list[str]:
        return [name for name, _data in self.calls]


class Walk:
    """One process instance and the steps people take on it; every step checks the task's lane."""

    def __init__(self, specs: engine.ProcessSpecs, services: Services, **overrides: Any) -> None:
        self.specs = specs
        self.services = services
        self.wf = engine.start(specs, start_data(**overrides), services.mapping)

    def ready(self) -> list[tuple[str, str]]:
        """(process, name) of every ready user task, sorted."""
        return sorted((t.process, t.name) for t in engine.ready_user_tasks(self.wf))

    def names(self) -> set[str]:
        return {t.name for t in engine.ready_user_tasks(self.wf)}

    def task(self, name: str, process: str | None = None) -> engine.UserTaskView:
        matches = [t for t in engine.ready_user_tasks(self.wf) if t.name == name and process in (None, t.process)]
        assert len(matches) == 1, f"{name} in {process}: {self.ready()}"
        return matches[0]

    def do(self, name: str, process: str | None = None, **data: Any) -> engine.StepResult:
        view = self.task(name, process)
        assert view.lane == LANES[(view.process, view.name)]
        result = engine.complete_task(self.wf, view.id, data, self.services.mapping)
        assert result.failed_step is None, result.failed_step
        return result

    def tick(self, now: datetime) -> list[str]:
        return engine.tick(self.wf, now, self.services.mapping)

    def approve_plan(self, uses_units: bool = True, uses_new_sink: bool = False) -> None:
        """Prepare the plan and have every reviewer approve it (R-PLAN-1)."""
        self.do("prepare_plan", uses_units=uses_units, uses_new_sink=uses_new_sink)
        self.do("review_plan_sector", sector_decision="approve")
        self.do("review_plan_eeb", eeb_decision="approve")
        if "review_funding" in self.names():
            self.do("review_funding", funding_decision="approve")

    def to_offsetting(self) -> None:
        """From a published plan: the event ends, reductions are reported, emissions accounted."""
        assert self.tick(EVENT_END) == ["event_ended"]
        self.do("report_reductions")
        self.do("account_emissions")

    def sink_approved(self) -> None:
        self.do("register_sink_project")
        self.do("validate_sink_project", sink_decision="approve")


@pytest.fixture(scope="module")
def specs() -> engine.ProcessSpecs:
    return engine.load_specs(BPMN_DIR)


@pytest.fixture()
def services() -> Services:
    return Services()


@pytest.fixture()
def walk(specs: engine.ProcessSpecs, services: Services) -> Callable[..., Walk]:
    def make(**overrides: Any) -> Walk:
        return Walk(specs, services, **overrides)

    return make


# --------------------------------------------------------------------------- tiers
def test_r_tier_1_third_party_with_units_is_evaluated_and_disclosed(walk, services) -> None:
    """R-TIER-1, R-PLAN-1, R-CAN-1, R-DIS-1: ≥500 participants, units only, full process."""
    w = walk(tier="third_party")
    assert w.ready() == [("event_lifecycle", "prepare_plan")]
    w.approve_plan(uses_units=True)
    assert services.names() == ["publish_plan"]
    w.to_offsetting()
    assert w.names() == {"cancel_units"}
    w.do("cancel_units")
    w.do("third_party_evaluation", conclusion="neutral")
    assert services.names() == ["publish_plan", "disclose"]
    assert engine.is_completed(w.wf)
    assert engine.end_event_reached(w.wf) == "end_disclosed"


def test_r_tier_2_self_commitment_with_units_is_disclosed(walk, services) -> None:
    """R-TIER-2, R-DIS-1: 200–499 participants confirm by self-commitment, no verifier."""
    w = walk(tier="self_commitment")
    w.approve_plan(uses_units=True)
    w.to_offsetting()
    w.do("cancel_units")
    assert w.names() == {"sign_commitment"}
    w.do("sign_commitment")
    assert services.names() == ["publish_plan", "disclose"]
    assert engine.end_event_reached(w.wf) == "end_disclosed"
    assert "third_party_evaluation" not in {h.name for h in engine.history(w.wf)}


def test_r_tier_0_out_of_scope_ends_without_any_user_task(walk, services) -> None:
    """R-TIER-0: fewer than 200 participants reach the out-of-scope end at once."""
    w = walk(tier="out_of_scope")
    assert w.ready() == []
    assert engine.is_completed(w.wf)
    assert engine.end_event_reached(w.wf) == "end_out_of_scope"
    assert services.calls == []
    assert engine.waiting_timers(w.wf) == []


def test_r_tier_x_tier_reevaluated_to_out_of_scope_records_voluntary_effort(walk, services) -> None:
    """R-TIER-X, R-TIER-0: a count that drops below 200 after planning is never confirmed."""
    w = walk(tier="self_commitment")
    w.approve_plan(uses_units=True)
    assert w.tick(EVENT_END) == ["event_ended"]
    w.do("report_reductions")
    w.do("account_emissions", tier="out_of_scope")
    w.do("cancel_units")
    assert engine.end_event_reached(w.wf) == "end_voluntary"
    assert services.names() == ["publish_plan"]


# --------------------------------------------------------------------------- plan sign-off
@pytest.mark.parametrize("funding", [True, False])
def test_r_dept_fin_finance_reviews_only_when_funding_requested(walk, funding: bool) -> None:
    """R-DEPT-FIN, R-PLAN-1: Finance joins the parallel sign-off only for fiscal funding."""
    w = walk(fiscal_funding_requested=funding)
    w.do("prepare_plan", uses_units=True, uses_new_sink=False)
    expected = {"review_plan_sector", "review_plan_eeb"} | ({"review_funding"} if funding else set())
    assert w.names() == expected


@pytest.mark.parametrize(
    ("returning", "second_round_order"),
    [
        ("review_plan_sector", ["review_plan_sector", "review_plan_eeb", "review_funding"]),
        ("review_plan_eeb", ["review_funding", "review_plan_eeb", "review_plan_sector"]),
        ("review_funding", ["review_plan_eeb", "review_funding", "review_plan_sector"]),
    ],
)
def test_r_plan_1_returned_plan_is_revised_and_reviewed_again_by_all(
    walk, services, returning: str, second_round_order: list[str]
) -> None:
    """R-PLAN-1: any return sends the plan back; every reviewer decides again; publish once."""
    keys = {
        "review_plan_sector": "sector_decision",
        "review_plan_eeb": "eeb_decision",
        "review_funding": "funding_decision",
    }
    w = walk(fiscal_funding_requested=True)
    w.do("prepare_plan", uses_units=True, uses_new_sink=False)
    for name, key in keys.items():
        w.do(name, **{key: "return" if name == returning else "approve"})
    assert w.names() == {"prepare_plan"}
    assert services.calls == []
    w.do("prepare_plan", uses_units=True, uses_new_sink=False)
    assert w.names() == set(keys)
    for name in second_round_order:
        assert services.calls == []
        w.do(name, **{keys[name]: "approve"})
    assert services.names() == ["publish_plan"]
    assert [t.name for t in engine.waiting_timers(w.wf)] == ["event_ended"]


def test_r_plan_1_publish_called_after_the_last_approval_only(walk, services) -> None:
    """R-PLAN-1: publish_plan runs once, after all approvals, with the event's data."""
    w = walk(fiscal_funding_requested=True)
    w.do("prepare_plan", uses_units=True, uses_new_sink=False)
    w.do("review_funding", funding_decision="approve")
    w.do("review_plan_eeb", eeb_decision="approve")
    assert services.calls == []
    w.do("review_plan_sector", sector_decision="approve")
    [(name, data)] = services.calls
    assert name == "publish_plan"
    assert data["event_id"] == 42
    assert data["sector_decision"] == data["eeb_decision"] == data["funding_decision"] == "approve"


# --------------------------------------------------------------------------- offsetting
def test_r_off_2_new_forestry_sink_only_runs_the_called_process(walk, services) -> None:
    """R-OFF-2, R-DEPT-NR: a sink project with a returned application; data crosses the call."""
    w = walk(tier="third_party")
    w.approve_plan(uses_units=False, uses_new_sink=True)
    w.to_offsetting()
    assert w.ready() == [("sink_project", "register_sink_project")]
    timers = {t.name: t for t in engine.waiting_timers(w.wf)}
    # the called process evaluated the caller's variables: all data is passed in
    assert timers["application_deadline_passed"].target == APPLICATION_DEADLINE
    assert timers["validation_deadline_passed"].target == VALIDATION_DEADLINE
    assert timers["application_deadline_passed"].process == "sink_project"
    w.do("register_sink_project")
    w.do("validate_sink_project", sink_decision="return")
    assert w.ready() == [("sink_project", "register_sink_project")]
    w.sink_approved()
    w.do("third_party_evaluation", conclusion="neutral")
    [(_name, disclosed)] = [call for call in services.calls if call[0] == "disclose"]
    assert disclosed["sink_decision"] == "approve"  # and the called process's data comes back
    assert engine.end_event_reached(w.wf) == "end_disclosed"


@pytest.mark.parametrize("units_first", [True, False])
def test_r_off_1_units_and_sink_together_join_before_confirmation(walk, units_first: bool) -> None:
    """R-OFF-1: both offset types run in parallel and are joined."""
    w = walk(tier="self_commitment")
    w.approve_plan(uses_units=True, uses_new_sink=True)
    w.to_offsetting()
    assert w.ready() == [("event_lifecycle", "cancel_units"), ("sink_project", "register_sink_project")]
    if units_first:
        w.do("cancel_units")
        assert w.names() == {"register_sink_project"}
        w.sink_approved()
    else:
        w.sink_approved()
        assert w.names() == {"cancel_units"}
        w.do("cancel_units")
    assert w.names() == {"sign_commitment"}


def test_r_tier_1_not_neutral_loops_back_into_offsetting(walk, services) -> None:
    """R-TIER-1, R-OFF-1: a not-neutral evaluation sends the event back to offset more."""
    w = walk(tier="third_party")
    w.approve_plan(uses_units=True)
    w.to_offsetting()
    w.do("cancel_units")
    w.do("third_party_evaluation", conclusion="not_neutral")
    assert w.names() == {"cancel_units"}
    assert "disclose" not in services.names()
    w.do("cancel_units")
    w.do("third_party_evaluation", conclusion="neutral")
    assert services.names() == ["publish_plan", "disclose"]
    assert [h.name for h in engine.history(w.wf)].count("cancel_units") == 2


# --------------------------------------------------------------------------- timers
def test_event_end_timer_waits_for_the_injected_clock(walk) -> None:
    """R-ACC-1: nothing after the plan happens before the event has ended (injected clock)."""
    w = walk()
    w.approve_plan()
    [timer] = engine.waiting_timers(w.wf)
    assert (timer.name, timer.target, timer.process) == ("event_ended", EVENT_END, "event_lifecycle")
    assert w.tick(EVENT_END - SECOND) == []
    assert w.ready() == []
    assert w.tick(EVENT_END) == ["event_ended"]
    assert w.tick(EVENT_END) == []
    assert w.names() == {"report_reductions"}


def test_r_time_1_offset_deadline_six_months_follow_up_in_eeb_lane(walk, services) -> None:
    """R-TIME-1: 6 months after the event, unfinished offsetting is followed up by EEB."""
    w = walk(tier="third_party")
    w.approve_plan(uses_units=True)
    w.to_offsetting()
    assert w.tick(OFFSET_DEADLINE - SECOND) == []
    assert "follow_up_overdue" not in w.names()
    assert w.tick(OFFSET_DEADLINE) == ["offset_deadline_passed"]
    assert w.tick(OFFSET_DEADLINE) == []
    follow_up = w.task("follow_up_overdue")
    assert (follow_up.lane, follow_up.process) == ("EEB", "event_lifecycle")
    w.do("cancel_units")  # the boundary timer does not interrupt offsetting
    w.do("follow_up_overdue")
    w.do("third_party_evaluation", conclusion="neutral")
    assert engine.is_completed(w.wf)
    assert engine.end_event_reached(w.wf) == "end_disclosed"


def test_r_time_1_offset_deadline_disarmed_when_offsetting_done_in_time(walk) -> None:
    """R-TIME-1: offsetting finished before the deadline leaves no timer to fire."""
    w = walk(tier="self_commitment")
    w.approve_plan(uses_units=True)
    w.to_offsetting()
    w.do("cancel_units")
    assert engine.waiting_timers(w.wf) == []
    assert w.tick(OFFSET_DEADLINE + timedelta(days=400)) == []


def test_r_time_2_application_deadline_one_year_follow_up_in_natural_resources_lane(walk) -> None:
    """R-TIME-2: no sink application 1 year after the event → Natural Resources follows up."""
    w = walk(tier="third_party")
    w.approve_plan(uses_units=False, uses_new_sink=True)
    w.to_offsetting()
    assert w.tick(OFFSET_DEADLINE) == ["offset_deadline_passed"]
    assert w.tick(APPLICATION_DEADLINE - SECOND) == []
    assert w.tick(APPLICATION_DEADLINE) == ["application_deadline_passed"]
    assert w.tick(APPLICATION_DEADLINE) == []
    follow_up = w.task("follow_up_overdue", "sink_project")
    assert follow_up.lane == "NaturalResources"
    assert w.names() == {"register_sink_project", "follow_up_overdue"}
    w.do("follow_up_overdue", "sink_project")
    w.do("follow_up_overdue", "event_lifecycle")
    w.sink_approved()
    w.do("third_party_evaluation", conclusion="neutral")
    assert engine.is_completed(w.wf)


def test_r_time_2_validation_deadline_two_years_follow_up_in_natural_resources_lane(walk) -> None:
    """R-TIME-2: applied in time but not validated 2 years after the event → follow-up."""
    w = walk(tier="self_commitment")
    w.approve_plan(uses_units=False, uses_new_sink=True)
    w.to_offsetting()
    w.do("register_sink_project")
    assert w.tick(APPLICATION_DEADLINE) == ["offset_deadline_passed"]  # application done: no 1-year timer
    assert w.tick(VALIDATION_DEADLINE - SECOND) == []
    assert w.tick(VALIDATION_DEADLINE) == ["validation_deadline_passed"]
    assert w.tick(VALIDATION_DEADLINE) == []
    assert w.task("follow_up_overdue", "sink_project").lane == "NaturalResources"
    w.do("validate_sink_project", sink_decision="approve")
    assert "sign_commitment" not in w.names()  # the called process ends after its follow-up
    w.do("follow_up_overdue", "sink_project")
    assert w.names() == {"follow_up_overdue", "sign_commitment"}


# --------------------------------------------------------------------------- failures
def test_r_plan_1_failing_publish_is_reported_then_retried(walk, services, specs) -> None:
    """R-PLAN-1: a failing service leaves the step in error (serializable) until retried."""
    w = walk()
    services.failing.add("publish_plan")
    w.do("prepare_plan", uses_units=True, uses_new_sink=False)
    w.do("review_plan_sector", sector_decision="approve")
    view = w.task("review_plan_eeb")
    result = engine.complete_task(w.wf, view.id, {"eeb_decision": "approve"}, services.mapping)
    assert result.failed_step is not None
    assert result.failed_step.name == "publish_plan"
    assert "publish_plan is down" in result.failed_step.error
    assert engine.waiting_timers(w.wf) == []

    wf = engine.deserialize(specs.spec_json, engine.serialize(w.wf))
    assert engine.failed_step(wf) == result.failed_step
    services.failing.clear()
    retried = engine.retry_failed(wf, services.mapping)
    assert retried.failed_step is None
    assert engine.failed_step(wf) is None
    assert services.names() == ["publish_plan"]
    assert [t.name for t in engine.waiting_timers(wf)] == ["event_ended"]


def test_r_dis_1_missing_service_is_a_failed_step(walk, services, specs) -> None:
    """R-DIS-1: without a disclose service the process stops at disclose, it does not raise."""
    w = walk(tier="self_commitment")
    w.approve_plan()
    w.to_offsetting()
    w.do("cancel_units")
    view = w.task("sign_commitment")
    result = engine.complete_task(w.wf, view.id, {}, {"publish_plan": services.mapping["publish_plan"]})
    assert result.failed_step is not None
    assert result.failed_step.name == "disclose"
    assert not result.completed
    assert engine.retry_failed(w.wf, services.mapping).completed
    assert services.names() == ["publish_plan", "disclose"]


# --------------------------------------------------------------------------- persistence
def test_serialize_round_trip_mid_process_survives_changed_files(tmp_path: Path, services) -> None:
    """A stored instance resumes on its own spec version even after the diagrams change."""
    bpmn_dir = tmp_path / "bpmn"
    shutil.copytree(BPMN_DIR, bpmn_dir)
    specs = engine.load_specs(bpmn_dir)
    wf = engine.start(specs, start_data(), services.mapping)
    prepare = engine.ready_user_tasks(wf)[0]
    engine.complete_task(wf, prepare.id, {"uses_units": True, "uses_new_sink": False}, services.mapping)
    state = engine.serialize(wf)
    assert {"spec", "subprocess_specs"}.isdisjoint(json.loads(state))

    for path in bpmn_dir.glob("*.bpmn"):
        path.write_text(path.read_text(encoding="utf-8").replace("R-PLAN-1", "R-PLAN-9"), encoding="utf-8")
    assert engine.load_specs(bpmn_dir).content_hash != specs.content_hash

    stored = engine.specs_from_json(specs.spec_json)  # the stored version starts new instances too
    assert stored.content_hash == specs.content_hash
    assert engine.ready_user_tasks(engine.start(stored, start_data(), services.mapping))[0].name == "prepare_plan"

    restored = engine.deserialize(specs.spec_json, state)
    assert engine.ready_user_tasks(restored) == engine.ready_user_tasks(wf)
    for view in engine.ready_user_tasks(restored):
        key = {"review_plan_sector": "sector_decision", "review_plan_eeb": "eeb_decision"}[view.name]
        engine.complete_task(restored, view.id, {key: "approve"}, services.mapping)
    assert services.names() == ["publish_plan"]
    assert engine.history(restored)[: len(engine.history(wf))] == engine.history(wf)


def test_state_stays_small_after_a_full_lifecycle(walk, services) -> None:
    """The instance state (without specs) stays ≤ 64 KB after the longest lifecycle."""
    w = walk(tier="third_party", fiscal_funding_requested=True)
    w.do("prepare_plan", uses_units=True, uses_new_sink=True)
    w.do("review_plan_sector", sector_decision="return")
    w.do("review_plan_eeb", eeb_decision="approve")
    w.do("review_funding", funding_decision="approve")
    w.approve_plan(uses_units=True, uses_new_sink=True)
    w.to_offsetting()
    assert w.tick(APPLICATION_DEADLINE) == ["offset_deadline_passed", "application_deadline_passed"]
    w.do("register_sink_project")
    w.do("validate_sink_project", sink_decision="return")
    w.sink_approved()
    w.do("cancel_units")
    w.do("follow_up_overdue", "sink_project")
    w.do("follow_up_overdue", "event_lifecycle")
    w.do("third_party_evaluation", conclusion="not_neutral")
    w.do("cancel_units")
    w.sink_approved()
    w.do("third_party_evaluation", conclusion="neutral")
    assert engine.is_completed(w.wf)
    state = engine.serialize(w.wf)
    assert len(state.encode()) <= 64 * 1024
    assert engine.history(engine.deserialize(w.specs.spec_json, state)) == engine.history(w.wf)


def test_load_specs_is_cached_and_hashes_the_files(specs) -> None:
    """The spec version is identified by the sha256 of the .bpmn files, sorted by name."""
    digest = hashlib.sha256()
    for path in sorted(BPMN_DIR.glob("*.bpmn")):
        digest.update(path.read_bytes())
    assert specs.content_hash == digest.hexdigest()
    assert engine.load_specs(BPMN_DIR) is specs
    assert set(json.loads(specs.spec_json)["subprocess_specs"]) >= {"offsetting", "plan_review", "sink_project"}


# --------------------------------------------------------------------------- the engine's contract
def test_history_lists_completed_elements_in_order(walk) -> None:
    w = walk()
    w.approve_plan()
    names = [h.name for h in engine.history(w.wf)]
    assert names[:4] == ["event_registered", "gw_tier", "gw_plan_merge", "prepare_plan"]
    assert names.index("review_plan_eeb") < names.index("publish_plan")
    assert names[-2:] == ["publish_plan", "await_end_start"]  # then waiting for the event's end
    assert engine.end_event_reached(w.wf) is None
    assert not engine.is_completed(w.wf)


def test_complete_task_rejects_unknown_done_and_invalid(walk) -> None:
    w = walk()
    prepare = w.task("prepare_plan")
    with pytest.raises(engine.TaskNotReady):
        engine.complete_task(w.wf, str(uuid.uuid4()), {}, {})
    with pytest.raises(ValueError, match="uses_new_sink"):
        engine.complete_task(w.wf, prepare.id, {"uses_units": True}, {})
    with pytest.raises(ValueError, match="boolean"):
        engine.complete_task(w.wf, prepare.id, {"uses_units": "yes", "uses_new_sink": False}, {})
    w.do("prepare_plan", uses_units=True, uses_new_sink=False)
    with pytest.raises(engine.TaskNotReady):
        engine.complete_task(w.wf, prepare.id, {"uses_units": True, "uses_new_sink": False}, {})
    with pytest.raises(ValueError, match="one of"):
        w.do("review_plan_eeb", eeb_decision="maybe")


def test_start_requires_valid_variables(specs, services) -> None:
    with pytest.raises(ValueError, match="missing"):
        engine.start(specs, {"event_id": 1}, services.mapping)
    with pytest.raises(ValueError, match="offset"):
        engine.start(specs, start_data(event_end_at="2026-05-01T18:00:00"), services.mapping)
    with pytest.raises(ValueError, match="tier"):
        engine.start(specs, start_data(tier="huge"), services.mapping)


def test_tick_needs_an_aware_now(walk) -> None:
    with pytest.raises(ValueError, match="timezone"):
        walk().tick(EVENT_END.replace(tzinfo=None))


# --------------------------------------------------------------------------- restricted scripting
SCRATCH = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="scratch_defs"
    targetNamespace="http://tanzhong.test/bpmn">
  <bpmn:process id="scratch" isExecutable="true">
    <bpmn:startEvent id="scratch_start"><bpmn:outgoing>to_step</bpmn:outgoing></bpmn:startEvent>
    <bpmn:sequenceFlow id="to_step" sourceRef="scratch_start" targetRef="step" />
    {step}
    <bpmn:endEvent id="scratch_end"><bpmn:incoming>to_end</bpmn:incoming></bpmn:endEvent>
  </bpmn:process>
</bpmn:definitions>
"""
SCRIPT_STEP = """<bpmn:scriptTask id="step"><bpmn:incoming>to_step</bpmn:incoming>
      <bpmn:outgoing>to_end</bpmn:outgoing><bpmn:script>{code}</bpmn:script></bpmn:scriptTask>
    <bpmn:sequenceFlow id="to_end" sourceRef="step" targetRef="scratch_end" />"""
CONDITION_STEP = """<bpmn:exclusiveGateway id="step" default="to_end"><bpmn:incoming>to_step</bpmn:incoming>
      <bpmn:outgoing>to_end</bpmn:outgoing><bpmn:outgoing>to_other</bpmn:outgoing></bpmn:exclusiveGateway>
    <bpmn:sequenceFlow id="to_end" sourceRef="step" targetRef="scratch_end" />
    <bpmn:sequenceFlow id="to_other" sourceRef="step" targetRef="other_end">
      <bpmn:conditionExpression>{code}</bpmn:conditionExpression></bpmn:sequenceFlow>
    <bpmn:endEvent id="other_end"><bpmn:incoming>to_other</bpmn:incoming></bpmn:endEvent>"""


def _scratch(tmp_path: Path, step: str, code: str) -> engine.ProcessSpecs:
    (tmp_path / "scratch.bpmn").write_text(SCRATCH.format(step=step.format(code=code)), encoding="utf-8")
    return engine.load_specs(tmp_path, "scratch")


@pytest.mark.parametrize("step", [SCRIPT_STEP, CONDITION_STEP], ids=["script", "condition"])
@pytest.mark.parametrize(
    "code",
    ["__import__('os').system('true')", "().__class__.__bases__", "'{0.__class__}'.format(1)", "__builtins__"],
)
def test_unsafe_expressions_are_rejected_when_loading(tmp_path: Path, step: str, code: str) -> None:
    """ARCHITECTURE (Scripts): imports, dunder names and str.format never reach the engine."""
    with pytest.raises(engine.SpecError):
        _scratch(tmp_path, step, code)


def test_imports_in_scripts_are_rejected_when_loading(tmp_path: Path) -> None:
    with pytest.raises(engine.SpecError):
        _scratch(tmp_path, SCRIPT_STEP, "import os")


@pytest.mark.parametrize("step", [SCRIPT_STEP, CONDITION_STEP], ids=["script", "condition"])
@pytest.mark.parametrize("code", ["open('/etc/passwd')", "eval('1')", "getattr(1, 'real')", "globals()", "(1).real",
                                  "[x for x in range(3)]", "lambda: 1", "str(1, encoding='x')", "{**names}",
                                  "len(*names)", "names[1:]"])
def test_conditions_and_scripts_cannot_reach_dangerous_builtins(tmp_path: Path, step: str, code: str) -> None:
    """ARCHITECTURE (Scripts): only a small set of safe builtins can be called, no attributes, no
    comprehensions or lambdas; such a diagram is refused when it is loaded, before anything runs."""
    with pytest.raises(engine.SpecError):
        _scratch(tmp_path, step, code)


@pytest.mark.parametrize(("condition", "taken"), [
    ("tier in ('third_party', 'self_commitment') and not uses_units", True),
    ("0 < len(names) <= 2 and names[0] == 'a'", True),
    ("missing_ok or sum([1, 2]) > 3", False),
    ("'x' if uses_units else tier == 'third_party'", True),
])
def test_conditions_are_interpreted_over_task_data(tmp_path: Path, services, condition: str, taken: bool) -> None:
    """The diagrams' conditions are interpreted node by node (never Python's eval)."""
    spec = _scratch(tmp_path, CONDITION_STEP, condition.replace("<", "&lt;"))
    data = {**start_data(), "uses_units": False, "names": ["a", "b"], "missing_ok": 0}
    wf = engine.start(spec, data, services.mapping)
    assert engine.failed_step(wf) is None
    assert ("other_end" in {h.name for h in engine.history(wf)}) is taken


def test_scripts_assign_and_delete_task_data(tmp_path: Path, services) -> None:
    script = "a = b = 2\na += 3\nif a > 4:\n    c = [a, b]\nelse:\n    c = None\ndel b"
    wf = engine.start(_scratch(tmp_path, SCRIPT_STEP, script), start_data(), services.mapping)
    assert engine.failed_step(wf) is None
    data = wf.last_task.data
    assert data["a"] == 5 and data["c"] == [5, 2] and "b" not in data


def test_an_unknown_name_fails_the_step_cleanly(tmp_path: Path, services) -> None:
    wf = engine.start(_scratch(tmp_path, CONDITION_STEP, "no_such_variable == 1"), start_data(), services.mapping)
    failed = engine.failed_step(wf)
    assert failed is not None and failed.name == "step" and "name 'no_such_variable' is not defined" in failed.error


def test_user_data_is_only_data(walk) -> None:
    """ARCHITECTURE (Scripts): text a user typed is stored, never evaluated; no private names."""
    w = walk()
    w.do("prepare_plan", uses_units=True, uses_new_sink=False, comment="__import__('os').system('x')")
    with pytest.raises(ValueError, match="invalid variable name"):
        engine.complete_task(w.wf, w.task("review_plan_eeb").id, {"eeb_decision": "approve", "__builtins__": {}}, {})
    with pytest.raises(ValueError, match="plain JSON"):
        engine.complete_task(w.wf, w.task("review_plan_eeb").id, {"eeb_decision": "approve", "f": print}, {})


# --- a shortfall after offsetting (R-OFF-1) and changes of the participant count (R-TIER-X) -----


def test_r_off_1_shortfall_after_a_small_sink_asks_for_the_remainder(walk, services) -> None:
    """A validated sink below the account: offsetting does not end until units cover the rest."""
    w = walk(tier="self_commitment")
    w.approve_plan(uses_units=False, uses_new_sink=True)
    w.to_offsetting()
    services.coverage = [False, False]
    w.sink_approved()
    assert w.names() == {"cancel_remainder"}
    w.do("cancel_remainder")
    assert w.names() == {"cancel_remainder"}  # still short: asked again
    w.do("cancel_remainder")
    assert w.names() == {"sign_commitment"} and services.coverage_checks == 3


def test_r_time_1_remainder_is_inside_offsetting_so_the_deadline_covers_it(walk, services) -> None:
    w = walk(tier="self_commitment")
    w.approve_plan(uses_units=True)
    w.to_offsetting()
    services.coverage = [False]
    w.do("cancel_units")
    assert w.names() == {"cancel_remainder"}
    assert w.tick(OFFSET_DEADLINE) == ["offset_deadline_passed"]
    assert w.names() == {"cancel_remainder", "follow_up_overdue"}


def test_r_tier_x_rise_to_500_withdraws_the_open_commitment(walk, services) -> None:
    """300 → 600 at the commitment: the commitment goes, the third-party evaluation comes (R-TIER-1)."""
    w = walk(tier="self_commitment")
    w.approve_plan()
    w.to_offsetting()
    w.do("cancel_units")
    assert w.names() == {"sign_commitment"}
    engine.update_variables(w.wf, {"tier": "third_party"})
    assert engine.signal(w.wf, "tier_changed", services.mapping)
    assert w.names() == {"third_party_evaluation"}
    w.do("third_party_evaluation", conclusion="neutral")
    assert engine.end_event_reached(w.wf) == "end_disclosed"


def test_r_tier_x_fall_below_500_withdraws_the_open_evaluation(walk, services) -> None:
    w = walk(tier="third_party")
    w.approve_plan()
    w.to_offsetting()
    w.do("cancel_units")
    engine.update_variables(w.wf, {"tier": "self_commitment"})
    assert engine.signal(w.wf, "tier_changed", services.mapping)
    assert w.names() == {"sign_commitment"}


@pytest.mark.parametrize("stage", ["plan", "review", "waiting", "reductions", "account", "offsetting", "sink",
                                   "remainder"])
def test_r_tier_0_fall_below_200_ends_the_plans_path_as_a_voluntary_record(walk, services, stage) -> None:
    """300 → 150 at any stage before confirmation: no task is left open, nothing is confirmed."""
    w = walk(tier="self_commitment")
    if stage != "plan":
        w.do("prepare_plan", uses_units=stage != "sink", uses_new_sink=stage == "sink")
    if stage not in ("plan", "review"):
        w.do("review_plan_sector", sector_decision="approve")
        w.do("review_plan_eeb", eeb_decision="approve")
    if stage not in ("plan", "review", "waiting"):
        assert w.tick(EVENT_END) == ["event_ended"]
    if stage not in ("plan", "review", "waiting", "reductions"):
        w.do("report_reductions")
    if stage in ("offsetting", "sink", "remainder"):
        w.do("account_emissions")
    if stage == "remainder":
        services.coverage = [False]
        w.do("cancel_units")
        assert w.names() == {"cancel_remainder"}
    open_before = w.names() or {"(waiting for the event's end)"}
    engine.update_variables(w.wf, {"tier": "out_of_scope"})
    assert engine.signal(w.wf, "out_of_scope", services.mapping), open_before
    assert engine.is_completed(w.wf) and w.names() == set()
    assert engine.end_event_reached(w.wf) == "end_left_scope"
    assert "disclose" not in services.names()
    assert engine.waiting_timers(w.wf) == []


def test_r_tier_0_fall_below_200_at_confirmation_ends_as_voluntary(walk, services) -> None:
    """At the commitment the count's signal re-routes confirmation, which ends voluntary for < 200."""
    w = walk(tier="self_commitment")
    w.approve_plan()
    w.to_offsetting()
    w.do("cancel_units")
    engine.update_variables(w.wf, {"tier": "out_of_scope"})
    assert not engine.signal(w.wf, "out_of_scope", services.mapping)  # nobody waits for it here
    assert engine.signal(w.wf, "tier_changed", services.mapping)
    assert engine.is_completed(w.wf) and w.names() == set()
    assert engine.end_event_reached(w.wf) == "end_voluntary" and "disclose" not in services.names()


def test_r_tier_x_a_change_before_confirmation_is_read_by_the_gateway_ahead(walk, services) -> None:
    """Nobody waits for the signal while offsetting: the confirmation gateway reads the new tier."""
    w = walk(tier="self_commitment")
    w.approve_plan()
    w.to_offsetting()
    engine.update_variables(w.wf, {"tier": "third_party"})
    assert not engine.signal(w.wf, "tier_changed", services.mapping)
    assert w.names() == {"cancel_units"}
    w.do("cancel_units")
    assert w.names() == {"third_party_evaluation"}



# --- correction of a submitted account (R-ACC-1) ------------------------------------------------


def test_r_acc_1_a_correction_while_offsetting_runs_beside_it(walk, services) -> None:
    w = walk(tier="self_commitment")
    w.approve_plan()
    w.to_offsetting()
    assert engine.signal(w.wf, "correction_requested", services.mapping)
    assert w.names() == {"cancel_units", "review_correction"}
    w.do("review_correction", correction_decision="approve")
    assert w.names() == {"cancel_units", "correct_account"}
    w.do("correct_account")
    w.do("cancel_units")
    assert w.names() == {"sign_commitment"}


@pytest.mark.parametrize(("tier", "task"), [("self_commitment", "sign_commitment"),
                                             ("third_party", "third_party_evaluation")])
def test_r_acc_1_a_correction_at_confirmation_holds_it_and_offsets_again(walk, services, tier, task) -> None:
    w = walk(tier=tier)
    w.approve_plan()
    w.to_offsetting()
    w.do("cancel_units")
    assert w.names() == {task}
    assert engine.signal(w.wf, "correction_requested", services.mapping)
    assert w.names() == {"review_correction"}  # nothing is signed or evaluated meanwhile
    w.do("review_correction", correction_decision="approve")
    w.do("correct_account")
    assert w.names() == {"cancel_units"}  # offsetting checks the corrected account
    w.do("cancel_units")
    assert w.names() == {task}


def test_r_acc_1_a_refused_correction_returns_to_confirmation(walk, services) -> None:
    w = walk(tier="self_commitment")
    w.approve_plan()
    w.to_offsetting()
    w.do("cancel_units")
    assert engine.signal(w.wf, "correction_requested", services.mapping)
    w.do("review_correction", correction_decision="return")
    assert w.names() == {"sign_commitment"}


def test_r_acc_1_no_correction_before_the_account(walk, services) -> None:
    w = walk(tier="self_commitment")
    w.approve_plan()
    assert not engine.signal(w.wf, "correction_requested", services.mapping)
