"""The event page's diagram highlighting (completed / current / overdue elements) is projected at each
save, so showing an event does not restore its workflow; it must match the workflow's own view."""

from __future__ import annotations

from sqlalchemy import select

from models import ProcessInstance, db
from processes import engine, workflow
from processes.dates import add_months
from tests.lifecycle import after_event, complete, plan_data, register, to_offsetting


def _from_engine(event) -> dict[str, list[str]]:
    instance = db.session.execute(select(ProcessInstance).filter_by(event_id=event.id)).scalar_one()
    wf = workflow.load_state(instance)
    current = {v.name for v in engine.ready_user_tasks(wf)} | {t.name for t in engine.waiting_timers(wf)}
    return {"completed": sorted({h.name for h in engine.history(wf)}), "current": sorted(current)}


def _shown(event) -> dict[str, list[str]]:
    state = workflow.diagram_state(event)
    return {"completed": state["completed"], "current": state["current"]}


def test_projection_follows_each_step(demo):
    event = register(600)
    assert _shown(event) == _from_engine(event)
    assert "prepare_plan" in _shown(event)["current"]
    complete(event, "prepare_plan", "organizer", plan_data())
    shown = _shown(event)
    assert shown == _from_engine(event)
    assert "prepare_plan" in shown["completed"]
    assert {"review_plan_sector", "review_plan_eeb"} <= set(shown["current"])


def test_instance_saved_before_the_projection_existed_is_computed_from_its_state(demo):
    event = register(600)
    complete(event, "prepare_plan", "organizer", plan_data())
    expected = _shown(event)
    instance = db.session.execute(select(ProcessInstance).filter_by(event_id=event.id)).scalar_one()
    instance.diagram_json = None  # as a row written by the first schema version
    db.session.commit()
    assert _shown(event) == expected == _from_engine(event)


def test_overdue_deadline_timer_is_marked_until_the_units_are_cancelled_R_TIME_1(demo):
    event = register(600)
    to_offsetting(event)
    due = add_months(event.ends_on, 6)
    assert workflow.diagram_state(event)["overdue"] == []
    workflow.tick(after_event(event, (due - event.ends_on).days + 1))
    db.session.commit()
    state = workflow.diagram_state(event)
    assert state["overdue"] == ["offset_deadline_passed"]
    assert "follow_up_overdue" in state["current"]
    assert _shown(event) == _from_engine(event)
