"""`flask deadlines tick` proportional to what is due, not to the history (issue #19): reminders that
were written already cost a few bulk queries, and each instance advanced is its own transaction."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from sqlalchemy import event as sa_event
from sqlalchemy import select

from models import Event, HumanTask, Notification, ProcessInstance, db
from processes import workflow
from processes.reminders import send_reminders
from tests.lifecycle import after_event, approve_all, complete, open_names, plan_data, register


def _overdue_reviews(count: int) -> datetime:
    """`count` events whose plan reviews are open and past due; return a time after all of them were due."""
    for _ in range(count):
        complete(register(600), "prepare_plan", "organizer", plan_data())
    latest = max(db.session.execute(select(HumanTask.due_on).where(HumanTask.status == "open")).scalars())
    return datetime.combine(latest + timedelta(days=2), time(12), UTC)


def _statements(action) -> int:  # noqa: ANN001
    seen: list[str] = []

    def listener(*args: object) -> None:
        seen.append(str(args[2]))

    sa_event.listen(db.engine, "before_cursor_execute", listener)
    try:
        action()
    finally:
        sa_event.remove(db.engine, "before_cursor_execute", listener)
    return len(seen)


def test_reminders_already_written_cost_the_same_few_queries_however_many_tasks_are_overdue(demo):
    def second_run(now: datetime) -> tuple[int, int]:
        assert send_reminders(now) > 0  # the first run writes the overdue reminders
        db.session.commit()
        written: list[int] = []
        queries = _statements(lambda: written.append(send_reminders(now)))
        return written[0], queries

    now = _overdue_reviews(2)
    written, few = second_run(now)
    notes = db.session.execute(select(Notification.id)).all()
    _overdue_reviews(8)
    written_later, many = second_run(now)
    assert written == written_later == 0
    assert many == few  # not one recipient lookup or de-duplication query per overdue task
    assert len(db.session.execute(select(Notification.id)).all()) > len(notes)  # the new ones were reminded


def test_a_new_holder_of_an_already_reminded_task_still_gets_the_reminder(demo):
    """The bulk check looks at every recipient: someone who joined the department is reminded too."""
    from models import Department, Role
    from processes import accounts

    now = _overdue_reviews(1)
    send_reminders(now)
    db.session.commit()
    department = db.session.execute(select(Department).filter_by(code="commerce")).scalar_one()
    newcomer = accounts.create_user("commerce_new", "Zq8#longenough-pass", Role.DEPARTMENT_STAFF,
                                    department=department)
    db.session.commit()
    assert send_reminders(now) == 1
    db.session.commit()
    assert db.session.execute(select(Notification).where(Notification.user_id == newcomer.id)).scalar()


def test_one_failing_instance_does_not_undo_the_others(demo, runner, monkeypatch):
    first, second = (register(600) for _ in range(2))
    for event in (first, second):
        complete(event, "prepare_plan", "organizer", plan_data())
        approve_all(event)
    when, ids = after_event(second), (first.id, second.id)
    failing = db.session.execute(select(ProcessInstance.id).where(ProcessInstance.event_id == first.id)).scalar()
    real = workflow._tick_instance

    def flaky(instance_id: int, now: datetime):  # noqa: ANN202
        result = real(instance_id, now)
        if instance_id == failing:
            db.session.flush()
            raise RuntimeError("a service of this instance failed after its writes")
        return result

    monkeypatch.setattr(workflow, "_tick_instance", flaky)
    result = runner.invoke(args=["deadlines", "tick", "--now", when.isoformat()])
    assert result.exit_code == 0, result.output
    assert f"event {second.id}: event_ended" in result.output and f"event {first.id}:" not in result.output
    db.session.remove()
    assert "report_reductions" in open_names(db.session.get(Event, ids[1]))
    assert "report_reductions" not in open_names(db.session.get(Event, ids[0]))  # its writes were rolled back
    monkeypatch.setattr(workflow, "_tick_instance", real)
    result = runner.invoke(args=["deadlines", "tick", "--now", when.isoformat()])  # tried again, and done
    assert f"event {ids[0]}: event_ended" in result.output
    assert "report_reductions" in open_names(db.session.get(Event, ids[0]))


def test_audit_verify_prints_its_throughput(demo, runner):
    register(600)
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 0 and "intact" in result.output
    assert "entries/s." in result.output
