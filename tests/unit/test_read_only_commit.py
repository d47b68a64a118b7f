"""A request that only read ends with COMMIT, anything else keeps the usual rollback (models/db.py).

The point of it is speed on PostgreSQL (the driver keeps its prepared statements across requests);
the risk of it would be committing something a failed request left behind. Both are tested here.
"""

from __future__ import annotations

import os

import pytest
from sqlalchemy import func, select, text, update
from sqlalchemy.orm import Session

from models import Department, User, db
from models.db import end_read_only_transaction

ON_POSTGRESQL = os.environ.get("DATABASE_URL", "").startswith("postgresql")


def _department_names() -> list[str]:
    return list(db.session.execute(select(Department.name_en).order_by(Department.id)).scalars())


def test_a_transaction_that_only_read_is_committed(app, demo):
    session = db.session()
    assert _department_names()
    assert session.in_transaction()
    assert end_read_only_transaction(session) is True
    assert not session.in_transaction()


def test_nothing_to_end_without_a_transaction(app, demo):
    session = db.session()
    session.commit()
    assert end_read_only_transaction(session) is False


def test_a_pending_change_is_never_committed(app, demo):
    department = db.session.execute(select(Department)).scalars().first()
    original = department.name_en
    department.name_en = "Changed by a request that then failed"
    assert end_read_only_transaction(db.session()) is False
    db.session.rollback()
    assert db.session.get(Department, department.id).name_en == original


def test_a_flushed_change_is_never_committed(app, demo):
    department = db.session.execute(select(Department)).scalars().first()
    original = department.name_en
    department.name_en = "Flushed, not committed"
    db.session.flush()
    assert not db.session.dirty
    assert end_read_only_transaction(db.session()) is False
    db.session.rollback()
    assert db.session.get(Department, department.id).name_en == original


def test_an_update_statement_is_never_committed(app, demo):
    before = _department_names()
    db.session.execute(update(Department).values(name_en="Bulk update of a failed request"))
    assert end_read_only_transaction(db.session()) is False
    db.session.rollback()
    assert _department_names() == before


def test_a_failed_flush_is_left_to_the_rollback(app, demo):
    from sqlalchemy.exc import IntegrityError

    taken = db.session.execute(select(Department)).scalars().first()
    db.session.add(Department(code=taken.code, kind=taken.kind, name_zh="重复", name_en="Duplicate"))
    with pytest.raises(IntegrityError):
        db.session.flush()
    assert end_read_only_transaction(db.session()) is False  # and no "rolled back due to a previous exception"
    db.session.rollback()
    assert "Duplicate" not in _department_names()


def test_a_textual_statement_counts_as_a_write(app, demo):
    db.session.execute(text("SELECT 1"))  # what a text() does is unknown: treated as a write
    assert end_read_only_transaction(db.session()) is False


def test_after_a_rollback_the_next_transaction_starts_clean(app, demo):
    db.session.execute(update(Department).values(name_en="discarded"))
    db.session.rollback()
    assert "discarded" not in _department_names()
    assert end_read_only_transaction(db.session()) is True


def test_pages_read_and_sign_in_still_writes(app, demo, client, auth):
    """Through the web: reading pages ends fine, and the sign-in's own writes are kept."""
    auth.login("commerce")
    assert client.get("/tasks/").status_code == 200
    assert client.get("/events/").status_code == 200
    user = db.session.execute(select(User).filter_by(username="commerce")).scalar_one()
    assert user.last_login_at is not None


@pytest.mark.skipif(not ON_POSTGRESQL, reason="prepared statements are a PostgreSQL driver feature; "
                                              "CI runs this file on PostgreSQL too")
def test_postgresql_keeps_prepared_statements_across_read_only_requests(app, demo):
    def prepared(session: Session) -> int:
        return session.execute(select(func.count()).select_from(text("pg_prepared_statements"))).scalar_one()

    with db.engine.connect() as connection:
        session = Session(bind=connection)
        for _ in range(7):  # psycopg prepares a statement from its 5th execution on a connection
            assert _count_users(session) > 0
            assert end_read_only_transaction(session) is True
        kept = prepared(session)
        session.rollback()  # what every read-only page did before: the driver drops them all
        _count_users(session)
        dropped = prepared(session)
        session.close()
    assert kept >= 1
    assert dropped == 0


def _count_users(session: Session) -> int:
    return session.execute(select(func.count(User.id))).scalar_one()


def test_prepared_statements_can_be_turned_off_for_a_transaction_pooler():
    """Behind PgBouncer in transaction mode (without prepared-statement tracking) operators set
    DATABASE_PREPARED_STATEMENTS=0: psycopg then never prepares (no connection is opened here)."""
    from config import TestConfig
    from webapp import create_app

    class BehindPgBouncer(TestConfig):
        SQLALCHEMY_DATABASE_URI = "postgresql+psycopg://tanzhong@127.0.0.1:6432/tanzhong"
        DATABASE_PREPARED_STATEMENTS = False

    class Direct(BehindPgBouncer):
        DATABASE_PREPARED_STATEMENTS = True

    options = create_app(BehindPgBouncer).config["SQLALCHEMY_ENGINE_OPTIONS"]
    assert options["connect_args"] == {"prepare_threshold": None}
    assert options["pool_pre_ping"] is True
    assert "connect_args" not in create_app(Direct).config["SQLALCHEMY_ENGINE_OPTIONS"]
