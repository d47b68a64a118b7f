"""Every path of the event process through the service layer (issue #3), with an injected clock."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from models import AuditEntry, Decision, EventDeadline, HumanTask, ProcessInstance, db
from models.event import DeadlineKind, EventStatus, Tier
from processes import workflow
from processes.dates import add_months
from processes.errors import Conflict, Forbidden, Invalid, NotFound
from processes.task_handlers import HANDLERS
from tests.lifecycle import (
    account_data,
    after_event,
    approve_all,
    cancellation,
    complete,
    evaluation,
    open_names,
    open_task,
    plan_data,
    register,
    report_reductions,
    to_offsetting,
    upload_for,
    user,
)


def actions(event) -> list[str]:
    return list(db.session.execute(select(AuditEntry.action).where(AuditEntry.event_id == event.id)
                                   .order_by(AuditEntry.seq)).scalars())


def test_tier_third_party_with_units_full_path_R_TIER_1(demo):
    event = register(600)
    assert event.tier == Tier.THIRD_PARTY and open_names(event) == {"prepare_plan"}
    complete(event, "prepare_plan", "organizer", plan_data())
    assert open_names(event) == {"review_plan_sector", "review_plan_eeb"}
    assert event.status == EventStatus.PLAN_REVIEW
    approve_all(event)
    assert event.plan_published_at is not None and "plan.published" in actions(event)  # R-PLAN-1
    assert open_names(event) == set(), "waits for the event to end"
    assert workflow.tick(after_event(event, -3)) == []
    workflow.tick(after_event(event))
    db.session.commit()
    assert open_names(event) == {"report_reductions"}
    _finish_reductions_and_account(event)
    assert open_names(event) == {"cancel_units"} and event.status == EventStatus.OFFSETTING
    complete(event, "cancel_units", "organizer", cancellation(event), now=after_event(event, 3))
    assert open_names(event) == {"third_party_evaluation"}
    complete(event, "third_party_evaluation", "verifier", evaluation(event), now=after_event(event, 10))
    assert event.status == EventStatus.CONFIRMED and event.disclosed_at is not None  # R-DIS-1
    instance = db.session.execute(select(ProcessInstance).where(ProcessInstance.event_id == event.id)).scalar_one()
    assert instance.status == "completed"
    offset = db.session.execute(select(EventDeadline).where(EventDeadline.event_id == event.id)).scalar_one()
    assert offset.kind == DeadlineKind.OFFSET and offset.status == "met"


def _finish_reductions_and_account(event):
    report_reductions(event)
    complete(event, "account_emissions", "organizer", account_data(), now=after_event(event, 2))


def test_tier_self_commitment_with_units_R_TIER_2(demo):
    event = register(300)
    assert event.tier == Tier.SELF_COMMITMENT
    to_offsetting(event)
    complete(event, "cancel_units", "organizer", cancellation(event), now=after_event(event, 3))
    assert open_names(event) == {"sign_commitment"}
    complete(event, "sign_commitment", "organizer",
             {"confirmation_method": "自我承诺", "neutral_on": event.ends_on + timedelta(days=3), "truthful": True},
             now=after_event(event, 4))
    assert event.status == EventStatus.CONFIRMED
    from models import Commitment

    commitment = db.session.execute(select(Commitment)).scalar_one()
    for element in (event.name, "济宁会展服务有限公司", "300", event.starts_on.isoformat(), "13.552", "自我承诺"):
        assert element in commitment.declaration
    assert "commitment.signed" in actions(event)


def test_commitment_requires_truthfulness_R_TIER_2(demo):
    event = register(300)
    to_offsetting(event)
    complete(event, "cancel_units", "organizer", cancellation(event), now=after_event(event, 3))
    with pytest.raises(Invalid) as exc:
        complete(event, "sign_commitment", "organizer",
                 {"confirmation_method": "自我承诺", "neutral_on": event.ends_on, "truthful": False},
                 now=after_event(event, 4))
    assert "truthful" in exc.value.fields
    db.session.rollback()
    assert open_names(event) == {"sign_commitment"}


def test_fewer_than_200_is_out_of_scope_R_TIER_0(demo):
    event = register(150)
    assert event.tier == Tier.OUT_OF_SCOPE and event.status == EventStatus.OUT_OF_SCOPE
    assert open_names(event) == set()


def test_new_forestry_sink_only_R_OFF_1(demo):
    event = register(600)
    to_offsetting(event, units=False, sink=True)
    assert open_names(event) == {"register_sink_project"}
    complete(event, "register_sink_project", "organizer", {
        "name": "泗水县新造林碳汇项目", "sink_type": "forestry", "location": "泗水县", "area_ha": Decimal("120"),
        "expected_tco2e": Decimal("20"), "crediting_period_years": 20, "applied_on": event.ends_on + timedelta(days=20),
    }, now=after_event(event, 21))
    task = open_task(event, "validate_sink_project")
    assert task.lane == "NaturalResources"
    complete(event, "validate_sink_project", "nr", {
        "monitoring_report": upload_for(event, "nr", "monitoring.pdf"), "validated_tco2e": Decimal("15"),
        "validated_on": event.ends_on + timedelta(days=60),
        "decision": "approve", "comment": None}, now=after_event(event, 61))
    assert open_names(event) == {"third_party_evaluation"}


def test_units_and_sink_together(demo):
    event = register(600)
    to_offsetting(event, units=True, sink=True)
    assert open_names(event) == {"cancel_units", "register_sink_project"}
    # the sink's planned 5 t count while it is being developed: 9 units cover 13.552 - 5
    complete(event, "cancel_units", "organizer", cancellation(event, quantity=9), now=after_event(event, 3))
    assert open_names(event) == {"register_sink_project"}


def test_returned_plan_is_revised_and_approved_with_every_comment(demo):
    event = register(600)
    complete(event, "prepare_plan", "organizer", plan_data())
    with pytest.raises(Invalid):
        complete(event, "review_plan_sector", "commerce", {"decision": "return", "comment": ""})
    db.session.rollback()
    complete(event, "review_plan_sector", "commerce", {"decision": "return", "comment": "减排措施不具体"})
    complete(event, "review_plan_eeb", "eeb_rencheng", {"decision": "return", "comment": "核算边界缺少交通"})
    assert open_names(event) == {"prepare_plan"}
    comments = set(db.session.execute(select(Decision.comment).where(Decision.event_id == event.id)).scalars())
    assert comments == {"减排措施不具体", "核算边界缺少交通"}
    complete(event, "prepare_plan", "organizer", plan_data())
    approve_all(event)
    assert event.plan_published_at is not None
    rounds = set(db.session.execute(select(Decision.round).where(Decision.event_id == event.id)).scalars())
    assert rounds == {1, 2}
    assert actions(event).count("plan.returned") == 2


def test_finance_reviews_only_when_funding_requested_R_DEPT_FIN(demo):
    funded = register(600, funding=True)
    complete(funded, "prepare_plan", "organizer", plan_data())
    assert "review_funding" in open_names(funded)
    unfunded = register(600, name="无财政资金的展会")
    complete(unfunded, "prepare_plan", "organizer", plan_data())
    assert "review_funding" not in open_names(unfunded)


def test_not_neutral_evaluation_returnsto_offsetting(demo):
    event = register(600)
    to_offsetting(event)
    complete(event, "cancel_units", "organizer", cancellation(event), now=after_event(event, 3))
    complete(event, "third_party_evaluation", "verifier", evaluation(event, "not_neutral"), now=after_event(event, 9))
    assert open_names(event) == {"cancel_units"}
    assert "evaluation.not_neutral" in actions(event)


def test_offset_deadline_passes_after_six_months_R_TIME_1(demo):
    event = register(600)
    to_offsetting(event)
    due = add_months(event.ends_on, 6)
    assert workflow.tick(after_event(event, (due - event.ends_on).days - 1)) == []
    fired = workflow.tick(after_event(event, (due - event.ends_on).days + 1))
    db.session.commit()
    assert fired == [(event.id, ["offset_deadline_passed"])]
    follow_up = open_task(event, "follow_up_overdue")
    assert follow_up.lane == "EEB"
    deadline = db.session.execute(select(EventDeadline).where(EventDeadline.event_id == event.id)).scalar_one()
    assert deadline.status == "overdue" and deadline.due_on == due
    assert workflow.tick(after_event(event, 400)) == []  # idempotent
    complete(event, "follow_up_overdue", "eeb_rencheng", {"action_taken": "电话督办", "comment": None})
    assert "cancel_units" in open_names(event)


@pytest.mark.parametrize(("days", "timer"), [(370, "application_deadline_passed"), (735, "validation_deadline_passed")])
def test_sink_deadlines_open_follow_up_for_natural_resources_R_TIME_2(demo, days, timer):
    event = register(600)
    to_offsetting(event, units=False, sink=True)
    if timer == "validation_deadline_passed":
        complete(event, "register_sink_project", "organizer", {
            "name": "微山湖湿地碳汇", "sink_type": "forestry", "location": "微山县", "area_ha": Decimal("80"),
            "expected_tco2e": Decimal("20"), "crediting_period_years": 20,
            "applied_on": event.ends_on + timedelta(days=30)}, now=after_event(event, 31))
    fired = [name for _event, names in [workflow.tick(after_event(event, days))[0]] for name in names]
    db.session.commit()
    assert timer in fired
    follow_ups = db.session.execute(select(HumanTask).where(
        HumanTask.event_id == event.id, HumanTask.name == "follow_up_overdue", HumanTask.status == "open")).scalars()
    assert "NaturalResources" in {t.lane for t in follow_ups}
    statuses = {d.kind: d.status for d in db.session.execute(
        select(EventDeadline).where(EventDeadline.event_id == event.id)).scalars()}
    kind = DeadlineKind.SINK_APPLICATION if timer.startswith("application") else DeadlineKind.SINK_VALIDATION
    assert statuses[kind] == "overdue"


def test_organizer_cannot_act_on_another_organizers_event(demo):
    event = register(600)
    task = open_task(event, "prepare_plan")
    with pytest.raises(NotFound):
        workflow.complete_task(user("organizer2"), task.id, plan_data(), HANDLERS)


def test_sports_cannot_complete_a_commerce_review(demo):
    event = register(600)
    complete(event, "prepare_plan", "organizer", plan_data())
    task = open_task(event, "review_plan_sector")
    with pytest.raises(NotFound):
        workflow.complete_task(user("sports"), task.id, {"decision": "approve"}, HANDLERS)


def test_completing_twice_is_a_conflict(demo):
    event = register(600)
    task = open_task(event, "prepare_plan")
    complete(event, "prepare_plan", "organizer", plan_data())
    with pytest.raises(Conflict):
        workflow.complete_task(user("organizer"), task.id, plan_data(), HANDLERS)


def test_claim_blocks_colleagues_and_is_audited(demo):
    from processes.accounts import create_user

    event = register(600)
    complete(event, "prepare_plan", "organizer", plan_data())
    task = open_task(event, "review_plan_sector")
    colleague = create_user("commerce2", "longenough1", user("commerce").role, department=user("commerce").department)
    workflow.claim(user("commerce"), task.id)
    db.session.commit()
    with pytest.raises(Forbidden):
        workflow.complete_task(colleague, task.id, {"decision": "approve"}, HANDLERS)
    db.session.rollback()
    assert task.id not in {t.id for t in db.session.execute(workflow.inbox_query(colleague)).scalars()}
    assert "task.claimed" in actions(event)


def test_sector_bureau_routing_by_sector_and_county_branch(demo):
    event = register(600, sector="sports", county="曲阜市")
    complete(event, "prepare_plan", "organizer", plan_data())
    sector = open_task(event, "review_plan_sector")
    eeb = open_task(event, "review_plan_eeb")
    assert sector.department_id == user("sports").department_id
    from models import Department

    assert db.session.get(Department, eeb.department_id).county == "曲阜市"


def test_inbox_sorted_by_due_date(demo):
    later = register(600, starts_in_days=60, name="later")
    sooner = register(600, starts_in_days=20, name="sooner")
    names = [t.event_id for t in db.session.execute(workflow.inbox_query(user("organizer"))).scalars()]
    assert names == [sooner.id, later.id]


def test_third_party_tier_needs_an_accredited_body_R_TIER_1(demo):
    event = register(600)
    data = plan_data() | {"verifier_body": None}
    with pytest.raises(Invalid) as exc:
        complete(event, "prepare_plan", "organizer", data)
    assert "verifier_body" in exc.value.fields


def test_participant_change_re_evaluates_the_tier_and_the_confirmation_path_R_TIER_X(demo):
    from processes import events

    event = register(300)
    complete(event, "prepare_plan", "organizer", plan_data())
    with pytest.raises(Invalid) as exc:
        events.change_participants(user("organizer"), event, 650, "报名人数超过预期")
    assert "verifier_body" in exc.value.fields  # ≥ 500 needs a commissioned body (R-TIER-1)
    db.session.rollback()
    body_id = plan_data()["verifier_body"]
    events.change_participants(user("organizer"), event, 650, "报名人数超过预期", verifier_body_id=body_id)
    db.session.commit()
    assert event.tier == Tier.THIRD_PARTY
    entry = db.session.execute(select(AuditEntry).where(AuditEntry.action == "event.participants_changed")).scalar_one()
    assert entry.reason == "报名人数超过预期" and entry.detail["tier_to"] == "third_party"
    approve_all(event)
    workflow.tick(after_event(event))
    db.session.commit()
    _finish_reductions_and_account(event)
    complete(event, "cancel_units", "organizer", cancellation(event), now=after_event(event, 3))
    assert open_names(event) == {"third_party_evaluation"}  # not sign_commitment any more


def test_only_the_organizer_changes_participants(demo):
    from processes import events

    event = register(300)
    with pytest.raises(Forbidden):
        events.change_participants(user("eeb"), event, 100, "x")


def test_tier_change_while_waiting_for_the_event_end_survives_the_timer_R_TIER_X(demo):
    from processes import events

    event = register(300)
    complete(event, "prepare_plan", "organizer", plan_data())
    approve_all(event)
    assert open_names(event) == set()  # waiting for the event to end
    events.change_participants(user("organizer"), event, 700, "报名人数增加",
                               verifier_body_id=plan_data()["verifier_body"])
    db.session.commit()
    workflow.tick(after_event(event))
    db.session.commit()
    _finish_reductions_and_account(event)
    complete(event, "cancel_units", "organizer", cancellation(event), now=after_event(event, 3))
    assert open_names(event) == {"third_party_evaluation"}
