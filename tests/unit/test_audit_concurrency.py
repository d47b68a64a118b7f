"""Many writers appending to the audit chain at the same moment (issue #15 item 9): every one
succeeds, the seqs follow each other and the chain verifies — on a file SQLite database (several
connections, the production default) and, when the suite runs there, on PostgreSQL."""

from __future__ import annotations

import threading
import time

from flask import Flask
from sqlalchemy import select

from models import AuditEntry, db
from processes import audit

WRITERS = 8


def _append_in_own_session(app: Flask, barrier: threading.Barrier, n: int, outcomes: list) -> None:
    """Like a refusal after its rollback: a transaction that has only read appends to the chain."""
    with app.app_context():
        try:
            db.session.execute(select(AuditEntry.seq).limit(1)).all()  # read first, as requests do
            barrier.wait(timeout=30)
            audit.record(None, "test.concurrent", data={"writer": n})
            db.session.commit()
            outcomes.append("ok")
        except Exception as exc:  # noqa: BLE001 - reported by the test
            db.session.rollback()
            outcomes.append(repr(exc))
        finally:
            db.session.remove()


def test_concurrent_appends_all_succeed_and_the_chain_verifies(concurrent_app, monkeypatch):
    read_tail = audit._last_entry

    def slow_tail():  # noqa: ANN202 - widen the window between reading the tail and appending after it
        found = read_tail()
        time.sleep(0.05)
        return found

    monkeypatch.setattr(audit, "_last_entry", slow_tail)
    with concurrent_app.app_context():
        audit.record(None, "test.first")
        db.session.commit()
        first = db.session.execute(select(AuditEntry.seq).order_by(AuditEntry.seq.desc())).scalars().first()
    barrier, outcomes = threading.Barrier(WRITERS), []
    threads = [threading.Thread(target=_append_in_own_session, args=(concurrent_app, barrier, n, outcomes))
               for n in range(WRITERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert outcomes == ["ok"] * WRITERS, outcomes
    with concurrent_app.app_context():
        rows = db.session.execute(select(AuditEntry).where(AuditEntry.seq > first)
                                  .order_by(AuditEntry.seq)).scalars().all()
        assert [r.seq for r in rows] == list(range(first + 1, first + WRITERS + 1))
        assert sorted(r.detail["writer"] for r in rows) == list(range(WRITERS))
        assert audit.verify_chain().ok


def test_ticks_at_the_same_moment_make_one_checkpoint(concurrent_app):
    """Two schedulers (or a slow tick overlapping the next) publish one checkpoint for the day."""
    from datetime import datetime

    from models import AuditCheckpoint

    now = datetime.fromisoformat("2031-03-01T09:00+08:00")
    barrier, made = threading.Barrier(WRITERS), []

    def tick() -> None:
        with concurrent_app.app_context():
            try:
                db.session.execute(select(AuditEntry.seq).limit(1)).all()
                barrier.wait(timeout=30)
                made.append(audit.make_checkpoint(now, daily=True) is not None)
                db.session.commit()
            except Exception as exc:  # noqa: BLE001 - reported by the test
                db.session.rollback()
                made.append(repr(exc))
            finally:
                db.session.remove()

    threads = [threading.Thread(target=tick) for _ in range(WRITERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(made, key=str) == [False] * (WRITERS - 1) + [True], made
    with concurrent_app.app_context():
        days = db.session.execute(select(AuditCheckpoint.day).where(
            AuditCheckpoint.day == now.date())).scalars().all()
        assert len(days) == 1 and audit.verify_chain().ok
