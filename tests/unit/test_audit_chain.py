"""Appending to the audit chain within one transaction: each entry links to the one before it, also
when several are written in one transaction and when part of a transaction is rolled back."""

from __future__ import annotations

from sqlalchemy import select

from models import AuditEntry, db
from processes import audit


def _tail() -> list[AuditEntry]:
    return db.session.execute(select(AuditEntry).order_by(AuditEntry.seq.desc()).limit(3)).scalars().all()[::-1]


def test_entries_of_one_transaction_link_to_each_other(demo):
    first = audit.record(None, "test.first")
    second = audit.record(None, "test.second")
    db.session.commit()
    assert second.seq == first.seq + 1 and second.prev_hash == first.hash
    assert audit.verify_chain().ok


def test_rolled_back_savepoint_does_not_leave_a_gap_or_a_wrong_link(demo):
    kept = audit.record(None, "test.kept")
    savepoint = db.session.begin_nested()
    audit.record(None, "test.undone")
    savepoint.rollback()
    after = audit.record(None, "test.after")
    db.session.commit()
    assert after.seq == kept.seq + 1 and after.prev_hash == kept.hash
    assert [e.action for e in _tail()][-2:] == ["test.kept", "test.after"]
    assert audit.verify_chain().ok


def test_rolled_back_transaction_is_forgotten(demo):
    before = _tail()[-1]
    audit.record(None, "test.undone")
    db.session.rollback()
    entry = audit.record(None, "test.next")
    db.session.commit()
    assert entry.seq == before.seq + 1 and entry.prev_hash == before.hash
    assert audit.verify_chain().ok
