"""CLI: demo-data is idempotent; create-user validates; production refuses a missing SECRET_KEY."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from models import Department, Organization, User, VerifierBody, db
from processes.orgdata import COUNTIES


def _counts() -> tuple[int, ...]:
    return tuple(
        db.session.execute(select(func.count()).select_from(model)).scalar_one()
        for model in (Department, Organization, User, VerifierBody)
    )


def test_demo_data_twice_changes_nothing(runner):
    first = runner.invoke(args=["demo-data"])
    assert first.exit_code == 0, first.output
    before = _counts()
    second = runner.invoke(args=["demo-data"])
    assert second.exit_code == 0 and "0 accounts created" in second.output
    assert _counts() == before
    # 8 city departments + one EEB branch per county (R-DEPT-EEB)
    assert before[0] == 8 + len(COUNTIES)
    assert before[2] == 14 + len(COUNTIES) - 1  # a staff account for every county branch (issue #18)


def test_create_user_command(runner, demo):
    result = runner.invoke(args=["create-user", "li", "--role", "department_staff", "--department", "eeb_qufu",
                                 "--password", "longenough1"])
    assert result.exit_code == 0, result.output
    user = db.session.execute(select(User).filter_by(username="li")).scalar_one()
    assert user.department.county == "曲阜市"


def test_create_user_command_rejects_missing_department(runner, demo):
    result = runner.invoke(args=["create-user", "wang", "--role", "department_staff", "--password", "longenough1"])
    assert result.exit_code != 0
    assert db.session.execute(select(User).filter_by(username="wang")).scalar() is None


def test_production_refuses_to_start_without_secret_key(monkeypatch):
    from config import ProductionConfig
    from webapp import create_app

    monkeypatch.delenv("SECRET_KEY", raising=False)
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app(ProductionConfig)
