"""The organizer's own next step and its date, at every stage (issue #18): "what happens next" says
what the organizer does next and by when, not only who acts now."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from sqlalchemy import select

from models import HumanTask, db
from processes import next_steps, workflow
from processes.dates import offset_due
from tests.lifecycle import (
    after_event,
    approve_all,
    cancellation,
    complete,
    evaluation,
    plan_data,
    register,
    to_offsetting,
)


def _step(event):  # noqa: ANN001,ANN202
    tasks = db.session.execute(select(HumanTask).where(HumanTask.event_id == event.id,
                                                       HumanTask.status == "open")).scalars().all()
    return next_steps.organizer_next(event, tasks, workflow.diagram_state(event)["current"])


def test_while_the_plan_is_open_the_organizer_prepares_it_by_its_due_day(demo):
    event = register(600, starts_in_days=40)
    step = _step(event)
    assert step == next_steps.OwnStep("prepare_plan", due_on=event.starts_on - timedelta(days=14))


def test_during_sign_off_the_next_step_is_the_reduction_report_after_the_event(demo):
    event = register(600)
    complete(event, "prepare_plan", "organizer", plan_data())
    step = _step(event)
    assert step.task == "report_reductions" and step.after == "sign_off"
    assert step.opens_on == event.ends_on + timedelta(days=1)
    assert step.due_on == event.ends_on + timedelta(days=30)  # R-RED-1: 30 days after the event


def test_a_returned_plan_makes_preparing_it_again_the_next_step(demo):
    event = register(600)
    complete(event, "prepare_plan", "organizer", plan_data())
    complete(event, "review_plan_sector", "commerce", {"decision": "return", "comment": "减排措施不具体"})
    complete(event, "review_plan_eeb", "eeb_rencheng", {"decision": "approve"})
    assert _step(event).task == "prepare_plan" and _step(event).after is None


def test_after_publication_it_waits_for_the_event_end_and_says_when_the_report_opens_R_ACC_1(demo):
    event = register(600, days=3)
    complete(event, "prepare_plan", "organizer", plan_data())
    approve_all(event)
    step = _step(event)
    assert step == next_steps.OwnStep("report_reductions", after="event_end",
                                      opens_on=event.ends_on + timedelta(days=1),
                                      due_on=event.ends_on + timedelta(days=30))
    workflow.tick(after_event(event))
    db.session.commit()
    assert _step(event).task == "report_reductions" and _step(event).after is None


def test_while_natural_resources_validates_a_self_committed_events_sink_the_commitment_comes_next(demo):
    event = register(300)
    to_offsetting(event, units=False, sink=True)
    complete(event, "register_sink_project", "organizer", {
        "name": "新造林碳汇", "project_code": "SD-LY-0001", "sink_type": "forestry", "location": "泗水县",
        "area_ha": Decimal("120"), "expected_tco2e": Decimal("20"), "crediting_period_years": 20,
        "applied_on": event.ends_on + timedelta(days=5)}, now=after_event(event, 5))
    step = _step(event)
    assert step.task == "sign_commitment" and step.after == "validation"
    validate = db.session.execute(select(HumanTask).where(HumanTask.event_id == event.id,
                                                          HumanTask.name == "validate_sink_project")).scalar_one()
    assert step.due_on == validate.due_on is not None


def test_during_the_evaluation_nothing_is_left_for_the_organizer_until_it_concludes(demo):
    event = register(600)
    to_offsetting(event)
    complete(event, "cancel_units", "organizer", cancellation(event), now=after_event(event, 3))
    step = _step(event)
    assert step.task is None and step.after == "evaluation" and step.due_on is not None
    complete(event, "third_party_evaluation", "verifier", evaluation(event), now=after_event(event, 10))
    assert _step(event) is None  # confirmed and disclosed: nothing next


def test_an_own_task_comes_before_anything_others_do(demo):
    event = register(600)
    to_offsetting(event, units=True, sink=True)
    assert {"cancel_units", "register_sink_project"} <= {
        t.name for t in db.session.execute(select(HumanTask).where(HumanTask.event_id == event.id,
                                                                   HumanTask.status == "open")).scalars()}
    step = _step(event)  # the earlier due of the two: offsetting within 6 months (R-TIME-1)
    assert step == next_steps.OwnStep("cancel_units", due_on=offset_due(event.ends_on))
