"""Diagram versions and migrating running events (issue #10).

Version 2 (tests/bpmn/fixtures/v2) adds the EEB task `review_account` after `account_emissions`
and moves the offset deadline from 6 to 12 months (the timer reads `sink_application_deadline`).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from models import AuditEntry, Decision, Event, EventDeadline, HumanTask, ProcessInstance, ProcessMigration, db
from models.event import DeadlineKind, EventStatus
from processes import audit, migration, versions, workflow
from processes.dates import offset_due, sink_application_due
from processes.errors import Conflict, Forbidden, Invalid
from processes.task_handlers import HANDLERS
from tests.lifecycle import (
    account_data,
    after_event,
    cancellation,
    evaluation,
    open_names,
    open_task,
    plan_data,
    register,
    upload_for,
    user,
)

V2_DIR = Path(__file__).resolve().parents[1] / "bpmn" / "fixtures" / "v2"
BEFORE_NEW_STEP = {"prepare_plan", "review_plan_sector", "review_plan_eeb", "review_funding", "report_reductions",
                   "account_emissions"}


def review_account(event: Event, task: HumanTask, actor: Any, data: dict[str, Any], now: datetime) -> dict:
    """The handler version 2 needs for its new task (tests only)."""
    db.session.add(Decision(event_id=event.id, human_task_id=task.id, task=task.name, decided_by_id=actor.id,
                            decision="done", comment=data.get("comment")))
    return {}


HANDLERS_V2 = {**HANDLERS, "review_account": review_account}


@pytest.fixture()
def deploy_v2(app, monkeypatch):  # noqa: ANN001,ANN201
    """Point BPMN_DIR at the version-2 fixture and deploy it (version 1 must be deployed already)."""

    def _deploy():  # noqa: ANN202
        workflow.newest_version()
        monkeypatch.setitem(app.config, "BPMN_DIR", str(V2_DIR))
        version = workflow.deploy(user("admin"), note="review of the account; 12-month offset deadline")
        db.session.commit()
        assert version.number == 2
        return version

    return _deploy


# --------------------------------------------------------------------------- walking events
class Walker:
    """Completes whatever an event has open, as the right user, with the data the tests use."""

    def __init__(self) -> None:
        self.done: dict[int, list[str]] = {}
        self.cancellations: dict[int, int] = {}

    def step(self, event: Event, name: str, **extra: Any) -> None:
        steps = self.done.setdefault(event.id, [])
        now = after_event(event, 2 + len(steps))
        who, data = self._data(event, name, now.date(), **extra)
        workflow.complete_task(user(who), open_task(event, name).id, data, HANDLERS_V2, now=now)
        db.session.commit()
        steps.append(name)

    def _data(self, event: Event, name: str, today: date, **extra: Any) -> tuple[str, dict[str, Any]]:
        if name == "prepare_plan":
            return "organizer", plan_data(units=extra.get("units", True), sink=extra.get("sink", False))
        if name in ("review_plan_sector", "review_plan_eeb"):
            who = "commerce" if name == "review_plan_sector" else "eeb_rencheng"
            decision = extra.get("decision", "approve")
            return who, {"decision": decision, "comment": "请补充 add detail" if decision == "return" else None}
        if name == "review_funding":
            return "finance", {"decision": "approve", "amount_cny": Decimal("50000")}
        if name == "report_reductions":
            from processes import accounting

            measures = accounting.emissions_summary(event)["measures"]
            return "organizer", {"measures": [{"measure_id": m["id"], "achieved_tco2e": Decimal("0"),
                                               "evidence": None} for m in measures]}
        if name == "account_emissions":
            return "organizer", account_data()
        if name == "review_account":
            return "eeb_rencheng", {"comment": "核算无误 account checked"}
        if name == "cancel_units":
            round_ = self.cancellations.get(event.id, 0)
            self.cancellations[event.id] = round_ + 1
            start = event.id * 1000 + round_ * 100 + 1
            return "organizer", cancellation(event, quantity=14 if round_ == 0 else 1,
                                             serial_from=f"SDPH-2026-{start:06d}")
        if name == "register_sink_project":
            return "organizer", {"name": f"新造林碳汇项目 {event.id}", "sink_type": "forestry", "location": "泗水县",
                                 "area_ha": Decimal("120"), "expected_tco2e": Decimal("20"),
                                 "crediting_period_years": 20, "applied_on": today}
        if name == "validate_sink_project":
            return "nr", {"monitoring_report": upload_for(event, "nr", "monitoring.pdf"),
                          "validated_tco2e": Decimal("15"), "validated_on": today,
                          "decision": "approve", "comment": None}
        if name == "third_party_evaluation":
            return "verifier", evaluation(event, extra.get("conclusion", "neutral"))
        if name == "sign_commitment":
            return "organizer", {"confirmation_method": "自我承诺", "neutral_on": event.ends_on + timedelta(days=3),
                                 "truthful": True}
        if name == "follow_up_overdue":
            task = open_task(event, name)
            return ("nr" if task.lane == "NaturalResources" else "eeb_rencheng"), {"action_taken": "电话督办"}
        raise AssertionError(f"no data for {name}")

    def finish(self, event: Event) -> list[str]:
        """Complete the event's tasks until its process ends; return the steps taken here."""
        start = len(self.done.get(event.id, []))
        for _ in range(30):
            db.session.refresh(event)
            if event.status in (EventStatus.CONFIRMED, EventStatus.VOLUNTARY, EventStatus.OUT_OF_SCOPE):
                return self.done.get(event.id, [])[start:]
            names = sorted(open_names(event))
            if not names:
                workflow.tick(after_event(event, 1))
                db.session.commit()
                assert open_names(event), f"event {event.id} is stuck ({event.status})"
                continue
            self.step(event, names[0])
        raise AssertionError(f"event {event.id} did not finish: {open_names(event)}")

    def to_published(self, event: Event) -> None:
        self.step(event, "prepare_plan")
        self.step(event, "review_plan_sector")
        self.step(event, "review_plan_eeb")
        if event.fiscal_funding_requested:
            self.step(event, "review_funding")

    def to_offsetting(self, event: Event, **plan: Any) -> None:
        self.step(event, "prepare_plan", **plan)
        self.step(event, "review_plan_sector")
        self.step(event, "review_plan_eeb")
        workflow.tick(after_event(event))
        db.session.commit()
        self.step(event, "report_reductions")
        self.step(event, "account_emissions")


def _version_of(event: Event) -> int:
    instance = db.session.execute(select(ProcessInstance).where(ProcessInstance.event_id == event.id)).scalar_one()
    return instance.process_version.number


def _deadline(event: Event, kind: DeadlineKind = DeadlineKind.OFFSET) -> EventDeadline | None:
    return db.session.execute(select(EventDeadline).where(
        EventDeadline.event_id == event.id, EventDeadline.kind == kind)).scalar()


def _stages(walker: Walker, monkeypatch) -> dict[str, Event]:  # noqa: ANN001
    """Twenty events at different stages of version 1 (the order matters: ticks fire every due timer)."""
    e: dict[str, Event] = {}
    # Offset deadline passed: ends earliest, ticked past its 6 months before the others exist.
    e["overdue"] = register(600, starts_in_days=10, name="逾期活动")
    walker.to_offsetting(e["overdue"])
    workflow.tick(after_event(e["overdue"], 190))
    db.session.commit()
    assert open_names(e["overdue"]) == {"cancel_units", "follow_up_overdue"}

    for key, participants, funding in [("prepare", 600, False), ("returned", 600, False), ("review", 600, False),
                                       ("review_funding", 600, True), ("half_approved", 600, False),
                                       ("report", 600, False), ("account", 600, False), ("account_self", 300, False),
                                       ("cancel", 600, False), ("sink", 600, False), ("validate", 600, False),
                                       ("units_sink", 600, False), ("evaluation", 600, False),
                                       ("not_neutral", 600, False), ("commitment", 300, False),
                                       ("disclosed", 600, False), ("out_of_scope", 150, False), ("failed", 600, False)]:
        e[key] = register(participants, funding=funding, name=f"活动 {key}")
    walker.step(e["returned"], "prepare_plan")
    walker.step(e["returned"], "review_plan_sector", decision="return")
    walker.step(e["returned"], "review_plan_eeb")
    walker.step(e["review"], "prepare_plan")
    walker.step(e["review_funding"], "prepare_plan")
    walker.step(e["half_approved"], "prepare_plan")
    walker.step(e["half_approved"], "review_plan_sector")
    for key in ("report", "account", "account_self", "cancel", "evaluation", "not_neutral", "commitment", "disclosed"):
        walker.to_published(e[key])
    for key, plan in [("sink", {"units": False, "sink": True}), ("validate", {"units": False, "sink": True}),
                      ("units_sink", {"units": True, "sink": True})]:
        walker.step(e[key], "prepare_plan", **plan)
        walker.step(e[key], "review_plan_sector")
        walker.step(e[key], "review_plan_eeb")
    # A failing automatic step: the plan cannot be published.
    walker.step(e["failed"], "prepare_plan")
    original = workflow._publish_plan

    def broken(*_args: Any) -> None:
        raise RuntimeError("publication service unavailable")

    monkeypatch.setattr(workflow, "_publish_plan", broken)
    walker.step(e["failed"], "review_plan_sector")
    walker.step(e["failed"], "review_plan_eeb")
    monkeypatch.setattr(workflow, "_publish_plan", original)

    workflow.tick(after_event(e["report"]))  # cohort ending in 31 days: every published plan's event has ended
    db.session.commit()
    for key in ("account", "account_self", "cancel", "sink", "validate", "units_sink", "evaluation", "not_neutral",
                "commitment", "disclosed"):
        walker.step(e[key], "report_reductions")
    for key in ("cancel", "sink", "validate", "units_sink", "evaluation", "not_neutral", "commitment", "disclosed"):
        walker.step(e[key], "account_emissions")
    walker.step(e["validate"], "register_sink_project")
    for key in ("evaluation", "not_neutral", "commitment", "disclosed"):
        walker.step(e[key], "cancel_units")
    walker.step(e["not_neutral"], "third_party_evaluation", conclusion="not_neutral")
    walker.step(e["disclosed"], "third_party_evaluation")

    # Waiting for the event to end (a later event, so the tick above did not fire its timer).
    e["waiting"] = register(600, starts_in_days=60, name="活动 waiting")
    walker.to_published(e["waiting"])

    expected = {
        "overdue": {"cancel_units", "follow_up_overdue"}, "prepare": {"prepare_plan"},
        "returned": {"prepare_plan"}, "review": {"review_plan_sector", "review_plan_eeb"},
        "review_funding": {"review_plan_sector", "review_plan_eeb", "review_funding"},
        "half_approved": {"review_plan_eeb"}, "report": {"report_reductions"}, "account": {"account_emissions"},
        "account_self": {"account_emissions"}, "cancel": {"cancel_units"}, "sink": {"register_sink_project"},
        "validate": {"validate_sink_project"}, "units_sink": {"cancel_units", "register_sink_project"},
        "evaluation": {"third_party_evaluation"}, "not_neutral": {"cancel_units"}, "commitment": {"sign_commitment"},
        "disclosed": set(), "out_of_scope": set(), "failed": set(), "waiting": set(),
    }
    assert {key: open_names(event) for key, event in e.items()} == expected
    assert len(e) == 20 and {_version_of(event) for event in e.values()} == {1}
    return e


# --------------------------------------------------------------------------- the acceptance test
def test_twenty_events_migrate_to_version_2_one_is_reverted_and_all_complete(demo, deploy_v2, monkeypatch):
    walker = Walker()
    e = _stages(walker, monkeypatch)
    v2 = deploy_v2()
    assert _version_of(register(600, name="新活动")) == 2, "new events start on the newest version"
    by_id = {event.id: key for key, event in e.items()}

    # Dry run: exactly which events move, and what changes for them; nothing is written.
    audit_count = db.session.execute(select(func.count(AuditEntry.seq))).scalar_one()
    run = migration.dry_run(1, 2)
    stays = {"disclosed", "out_of_scope", "failed"}
    assert {by_id[m.event_id] for m in run.events} == set(e)
    assert {by_id[m.event_id] for m in run.movable} == set(e) - stays
    reasons = {by_id[m.event_id]: " ".join(m.reasons()) for m in run.blocked}
    assert "ended" in reasons["disclosed"] and "ended" in reasons["out_of_scope"]
    assert "publish_plan" in reasons["failed"]
    moves = {by_id[m.event_id]: m for m in run.movable}
    before = {"prepare", "returned", "review", "review_funding", "half_approved", "report", "account",
              "account_self", "waiting"}
    for key, move in moves.items():
        assert ("review_account" in move.check.added_ahead) == (key in before), key
    assert [t.name for t in moves["cancel"].check.timers] == ["offset_deadline_passed"]
    assert any("recomputed" in text for text in moves["cancel"].changes())
    assert any("review_account" in text for text in moves["account"].changes())
    assert db.session.execute(select(func.count(AuditEntry.seq))).scalar_one() == audit_count
    assert {_version_of(event) for event in e.values()} == {1}

    # Only an administrator, and only with a reason.
    with pytest.raises(Forbidden):
        migration.migrate(user("eeb"), 1, 2, "try")
    with pytest.raises(Invalid):
        migration.migrate(user("admin"), 1, 2, "  ")

    cancel_row = open_task(e["cancel"], "cancel_units")
    assert cancel_row.due_on == offset_due(e["cancel"].ends_on)
    done = migration.migrate(user("admin"), 1, 2, "城市修订方案 plan amended: account review, 12-month offsetting")
    assert {by_id[m.event_id] for m in done.movable} == set(e) - stays
    assert all(m.migration_id for m in done.movable)
    for key, event in e.items():
        assert _version_of(event) == (1 if key in stays else 2), key
    # Inbox rows stay (same tasks), deadlines follow the new timer.
    assert open_task(e["cancel"], "cancel_units").id == cancel_row.id
    assert open_task(e["cancel"], "cancel_units").due_on == sink_application_due(e["cancel"].ends_on)
    assert _deadline(e["cancel"]).due_on == sink_application_due(e["cancel"].ends_on)
    assert _deadline(e["overdue"]).status == "overdue", "a deadline already passed stays passed"
    assert {key: open_names(event) for key, event in e.items() if key in ("review", "account", "overdue")} == {
        "review": {"review_plan_sector", "review_plan_eeb"}, "account": {"account_emissions"},
        "overdue": {"cancel_units", "follow_up_overdue"}}
    migrated = db.session.execute(select(AuditEntry).where(AuditEntry.action == "process.migrated")).scalars().all()
    assert len(migrated) == 17 and {a.actor for a in migrated} == {"admin"}
    assert all(a.reason.startswith("城市修订方案") and a.detail["from"] == 1 and a.detail["to"] == 2 for a in migrated)
    # A second run finds nothing left on version 1 that can move.
    assert migration.dry_run(1, 2).movable == []

    # Revert one: it runs on version 1 exactly as before.
    reverted = e["account"]
    row = db.session.execute(select(ProcessMigration).where(ProcessMigration.event_id == reverted.id)).scalar_one()
    assert migration.revert_refusal(row) is None
    with pytest.raises(Invalid):
        migration.revert(user("admin"), row.id, "")
    instance = db.session.execute(select(ProcessInstance).where(ProcessInstance.event_id == reverted.id)).scalar_one()
    migration.revert(user("admin"), row.id, "误迁移 migrated by mistake")
    db.session.commit()
    assert _version_of(reverted) == 1 and instance.state_json == row.previous_state_json
    assert open_names(reverted) == {"account_emissions"}
    with pytest.raises(Conflict):
        migration.revert(user("admin"), row.id, "again")
    db.session.rollback()

    # Everyone completes: on version 2 those before the new step meet it, the others are not sent back.
    for key, event in e.items():
        if key in ("disclosed", "out_of_scope"):
            continue
        if key == "failed":
            workflow.retry(user("admin"), event, reason="publication service is back")
            db.session.commit()
        steps = walker.finish(event)
        assert event.status == EventStatus.CONFIRMED, key
        if key == "account":
            assert "review_account" not in steps and steps[0] == "account_emissions"
        elif key == "failed":
            assert "review_account" not in steps, "it stayed on version 1"
        elif key in before:
            assert "review_account" in steps, key
            assert steps.index("account_emissions") + 1 == steps.index("review_account"), key
        else:
            assert not {"review_account", "account_emissions"} & set(steps), f"{key} was sent back: {steps}"
    # The deadline of an event that reached offsetting on version 2 is 12 months; on version 1, 6.
    assert _deadline(e["report"]).due_on == sink_application_due(e["report"].ends_on)
    assert _deadline(reverted).due_on == offset_due(reverted.ends_on)

    # The audit trail shows all: deployment, each move, the revert; the chain is intact.
    actions = db.session.execute(select(AuditEntry.action, AuditEntry.event_id, AuditEntry.reason)
                                 .order_by(AuditEntry.seq)).all()
    deployed = [a for a in actions if a.action == "process.deployed"]
    assert deployed[-1].reason == "review of the account; 12-month offset deadline"
    assert [a.event_id for a in actions if a.action == "process.migration_reverted"] == [reverted.id]
    assert len([a for a in actions if a.action == "process.migrated"]) == 17
    assert audit.verify_chain().ok
    assert v2.deployed_by.username == "admin"


# --------------------------------------------------------------------------- details
def test_deadline_moves_with_the_version_and_back_with_a_revert(demo, deploy_v2):
    walker = Walker()
    event = register(600)
    walker.to_offsetting(event)
    deploy_v2()
    seven_months = after_event(event, (offset_due(event.ends_on) - event.ends_on).days + 30)
    migration.migrate(user("admin"), 1, 2, "12-month offsetting", event_id=event.id)
    assert _deadline(event).due_on == sink_application_due(event.ends_on)
    assert workflow.tick(seven_months) == [], "the 6-month timer no longer runs"
    db.session.rollback()
    row = db.session.execute(select(ProcessMigration)).scalar_one()
    migration.revert(user("admin"), row.id, "the amendment is not in force yet")
    db.session.commit()
    assert _deadline(event).due_on == offset_due(event.ends_on)
    assert open_task(event, "cancel_units").due_on == offset_due(event.ends_on)
    assert workflow.tick(seven_months) == [(event.id, ["offset_deadline_passed"])]


def test_revert_is_refused_once_a_task_was_completed_since(demo, deploy_v2):
    walker = Walker()
    event = register(600)
    walker.step(event, "prepare_plan")
    deploy_v2()
    migration.migrate(user("admin"), 1, 2, "amendment", event_id=event.id)
    walker.step(event, "review_plan_sector")
    row = db.session.execute(select(ProcessMigration)).scalar_one()
    assert "review_plan_sector" in migration.revert_refusal(row)
    with pytest.raises(Conflict):
        migration.revert(user("admin"), row.id, "too late")
    db.session.rollback()
    assert _version_of(event) == 2


def test_migrate_one_event_only_and_report_an_event_on_another_version(demo, deploy_v2):
    first, second = register(600, name="一"), register(600, name="二")
    deploy_v2()
    run = migration.migrate(user("admin"), 1, 2, "pilot", event_id=first.id)
    assert [m.event_id for m in run.events] == [first.id]
    assert (_version_of(first), _version_of(second)) == (2, 1)
    with pytest.raises(Invalid):
        migration.dry_run(1, 2, event_id=first.id)
    with pytest.raises(Invalid):
        migration.dry_run(2, 2)


def test_version_comparison_lists_tasks_timers_and_gateways(demo, deploy_v2):
    deploy_v2()
    comparison = versions.compare(1, 2, HANDLERS)
    changes = {(c.element, c.change): c for c in comparison.changes}
    assert changes[("review_account", "added")].kind == "user_task"
    timer = changes[("offset_deadline_passed", "changed")]
    assert timer.kind == "timer" and (timer.before, timer.after) == ("offset_deadline", "sink_application_deadline")
    assert changes[("gw_offset_merge", "changed")].kind == "gateway"
    assert changes[("account_emissions", "changed")].details == ("flows",)
    assert comparison.without_handler == ["review_account"]
    markers = comparison.markers("new", "event_lifecycle.bpmn")
    assert "review_account" in markers["completed"] and "offset_deadline_passed" in markers["current"]
    assert comparison.markers("new", "sink_project.bpmn") == {"completed": [], "current": [], "overdue": []}
    back = versions.compare(2, 1)
    assert ("review_account", "removed") in {(c.element, c.change) for c in back.changes}


def test_an_event_on_a_removed_task_cannot_move_back(demo, deploy_v2):
    walker = Walker()
    deploy_v2()
    event = register(600)  # starts on version 2
    walker.to_offsetting(event)
    assert open_names(event) == {"review_account"}
    run = migration.dry_run(2, 1)
    [move] = run.events
    assert not move.movable and "review_account" in " ".join(move.reasons())
    done = migration.migrate(user("admin"), 2, 1, "back to the old plan")
    assert done.movable == [] and _version_of(event) == 2
    assert db.session.execute(select(ProcessMigration)).first() is None


# --------------------------------------------------------------------------- pages and commands
def test_admin_pages_compare_migrate_and_revert(client, auth, demo, deploy_v2):
    from tests.conftest import csrf_token

    walker = Walker()
    event = register(600)
    walker.to_offsetting(event)
    deploy_v2()
    auth.login("eeb")
    assert client.get("/admin/processes/diff?from=1&to=2").status_code == 403
    assert client.get("/admin/processes/versions/2/event_lifecycle.bpmn").status_code == 403
    auth.logout()

    auth.login("admin")
    client.get("/language/en")  # the assertions read English texts
    page = client.get("/admin/processes").get_data(as_text=True)
    assert "review of the account; 12-month offset deadline" in page and "from=1" in page
    diff = client.get("/admin/processes/diff?from=1&to=2").get_data(as_text=True)
    assert "review_account" in diff and 'data-completed="review_account"' in diff
    assert "offset_deadline_passed" in diff and "sink_application_deadline" in diff
    assert "review_account" in diff.split('class="alert alert-warning"')[1].split("</div>")[0], "no handler yet"
    old_side = client.get("/admin/processes/diff?from=1&to=2&side=old").get_data(as_text=True)
    assert "/admin/processes/versions/1/event_lifecycle.bpmn" in old_side
    xml = client.get("/admin/processes/versions/2/event_lifecycle.bpmn")
    assert xml.mimetype == "application/xml" and b'id="review_account"' in xml.data
    assert client.get("/admin/processes/versions/2/nope.bpmn").status_code == 404

    token = csrf_token(client, "/admin/processes")
    dry = client.post("/admin/processes/migrate", data={"csrf_token": token, "from": 1, "to": 2,
                                                        "action": "dry_run"}).get_data(as_text=True)
    assert event.name in dry and "recomputed" in dry and _version_of(event) == 1
    refused = client.post("/admin/processes/migrate", data={"csrf_token": token, "from": 1, "to": 2,
                                                            "action": "migrate", "reason": ""})
    assert refused.status_code == 302 and _version_of(event) == 1
    done = client.post("/admin/processes/migrate", data={"csrf_token": token, "from": 1, "to": 2,
                                                         "action": "migrate", "reason": "修订 amendment"})
    assert done.status_code == 200 and _version_of(event) == 2
    row = db.session.execute(select(ProcessMigration)).scalar_one()
    assert row.migrated_by.username == "admin" and row.reason == "修订 amendment"
    listed = client.get("/admin/processes").get_data(as_text=True)
    assert f"/admin/processes/migrations/{row.id}/revert" in listed
    client.post(f"/admin/processes/migrations/{row.id}/revert", data={"csrf_token": token, "reason": ""})
    assert _version_of(event) == 2, "a reason is required"
    client.post(f"/admin/processes/migrations/{row.id}/revert",
                data={"csrf_token": token, "reason": "not yet", "next": "https://evil.example/"})
    assert _version_of(event) == 1
    assert "reverted" in client.get(f"/admin/events/{event.id}/process").get_data(as_text=True)


def test_cli_diff_dry_run_migrate_and_revert(runner, demo, deploy_v2):
    event = register(600)
    deploy_v2()
    out = runner.invoke(args=["process", "diff", "1", "2"]).output
    assert "added    user_task       event_lifecycle/review_account" in out
    assert "offset_deadline -> sink_application_deadline" in out and "Warning" in out
    out = runner.invoke(args=["process", "migrate", "--from", "1", "--to", "2", "--dry-run"]).output
    assert f"event {event.id} " in out and "moves" in out and "review_account" in out and "dry run" in out
    assert _version_of(event) == 1
    result = runner.invoke(args=["process", "migrate", "--from", "1", "--to", "2", "--actor", "admin"])
    assert result.exit_code != 0 and "reason" in result.output
    result = runner.invoke(args=["process", "migrate", "--from", "1", "--to", "2", "--reason", "x",
                                 "--actor", "eeb"])
    assert result.exit_code != 0 and "not an administrator" in result.output
    out = runner.invoke(args=["process", "migrate", "--from", "1", "--to", "2", "--event", str(event.id),
                              "--reason", "amendment", "--actor", "admin"]).output
    assert "1 event(s) moved from v1 to v2" in out
    db.session.expire_all()
    assert _version_of(event) == 2
    row = db.session.execute(select(ProcessMigration)).scalar_one()
    out = runner.invoke(args=["process", "revert", str(row.id), "--reason", "oops", "--actor", "admin"]).output
    assert f"Event {event.id} runs on v1 again." in out
    db.session.expire_all()
    assert _version_of(event) == 1
    out = runner.invoke(args=["process", "versions"]).output
    assert "v2" in out and "review of the account" in out
