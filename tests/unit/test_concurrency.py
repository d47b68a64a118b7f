"""Two people completing the same task at the same moment: exactly one wins (issue #3)."""

from __future__ import annotations

import os
import threading

import pytest
from sqlalchemy import select

from models import HumanTask, User, db
from processes import workflow
from processes.errors import Conflict
from processes.task_handlers import HANDLERS
from tests.lifecycle import complete, open_task, plan_data, register

pytestmark = pytest.mark.skipif(
    not os.environ.get("DATABASE_URL", "").startswith("postgresql"),
    reason="needs concurrent writers on PostgreSQL (CI runs the suite there too); in-memory SQLite has one connection",
)


def test_same_task_completed_twice_at_once_exactly_one_succeeds(app, demo):
    event = register(600)
    complete(event, "prepare_plan", "organizer", plan_data())
    task_id = open_task(event, "review_plan_sector").id
    from processes.accounts import create_user

    colleague = create_user("commerce2", "longenough1", db.session.execute(
        select(User).filter_by(username="commerce")).scalar_one().role,
        department=db.session.execute(select(User).filter_by(username="commerce")).scalar_one().department)
    db.session.commit()
    usernames = ["commerce", colleague.username]
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def worker(username: str) -> None:
        with app.app_context():
            actor = db.session.execute(select(User).filter_by(username=username)).scalar_one()
            barrier.wait()
            try:
                workflow.complete_task(actor, task_id, {"decision": "approve"}, HANDLERS)
                db.session.commit()
                outcomes.append("ok")
            except Conflict:
                db.session.rollback()
                outcomes.append("conflict")
            finally:
                db.session.remove()

    threads = [threading.Thread(target=worker, args=(name,)) for name in usernames]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(outcomes) == ["conflict", "ok"]
    db.session.expire_all()
    assert db.session.get(HumanTask, task_id).status == "completed"
    decisions = db.session.execute(select(HumanTask).where(
        HumanTask.event_id == event.id, HumanTask.name == "review_plan_sector")).scalars().all()
    assert len(decisions) == 1
