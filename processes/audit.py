"""Append to and verify the tamper-evident audit trail (each entry hashes its content and the
previous entry's hash)."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import event as sa_event
from sqlalchemy import select, text
from sqlalchemy.orm import Session, SessionTransaction

from models import AuditEntry, Event, User, db
from models.db import utcnow

GENESIS = "0" * 64


def _normalize(detail: dict[str, Any] | None) -> dict[str, Any]:
    return json.loads(json.dumps(detail or {}, default=str, ensure_ascii=False))


def _utc_naive(at: datetime) -> datetime:
    return at.astimezone(UTC).replace(tzinfo=None) if at.tzinfo else at


def entry_hash(entry: AuditEntry) -> str:
    """Return the SHA-256 over the entry's content and its predecessor's hash."""
    content = {
        "seq": entry.seq,
        "at": _utc_naive(entry.at).isoformat(timespec="microseconds"),
        "actor_id": entry.actor_id,
        "actor": entry.actor,
        "role": entry.role,
        "department_id": entry.department_id,
        "event_id": entry.event_id,
        "action": entry.action,
        "task": entry.task,
        "reason": entry.reason,
        "detail": entry.detail,
        "prev_hash": entry.prev_hash,
    }
    raw = json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


_TAIL = "audit_chain_tail"  # session.info key: (seq, hash) of the last entry of this transaction


def _chain_tail() -> tuple[int, str] | None:
    """The last entry's (seq, hash), read once per transaction under the chain lock.

    The first append of a transaction takes the lock (PostgreSQL advisory lock held to the end of the
    transaction; SQLite serializes writers) and reads the tail; later appends of the same transaction
    continue from what this session appended. Commit and rollback (also of a savepoint) forget it.
    """
    info = db.session.info
    if _TAIL in info:
        return info[_TAIL]
    if db.engine.dialect.name == "postgresql":
        db.session.execute(text("SELECT pg_advisory_xact_lock(7420001)"))
    last = db.session.execute(
        select(AuditEntry.seq, AuditEntry.hash).order_by(AuditEntry.seq.desc()).limit(1)).first()
    info[_TAIL] = (last.seq, last.hash) if last else None
    return info[_TAIL]


def lock_chain() -> None:
    """Take the chain's lock for the rest of the transaction now (callers that take other advisory
    locks take this one first, so every transaction locks in the same order: no deadlock)."""
    _chain_tail()


@sa_event.listens_for(Session, "after_transaction_end")
def _forget_tail(session: Session, transaction: SessionTransaction) -> None:
    if transaction.nested or transaction.parent is None:  # a savepoint or the transaction ended
        session.info.pop(_TAIL, None)


def record(
    actor: User | None,
    action: str,
    *,
    event: Event | int | None = None,
    task: str | None = None,
    reason: str | None = None,
    data: dict[str, Any] | None = None,
) -> AuditEntry:
    """Append one audit entry in the current transaction (the caller commits)."""
    last = _chain_tail()
    event_id = event.id if isinstance(event, Event) else event
    entry = AuditEntry(
        seq=(last[0] + 1) if last else 1,
        at=utcnow(),
        actor_id=actor.id if actor else None,
        actor=actor.username if actor else "system",
        role=actor.role.value if actor else None,
        department_id=actor.department_id if actor else None,
        event_id=event_id,
        action=action,
        task=task,
        reason=reason,
        detail=_normalize(data),
        prev_hash=last[1] if last else GENESIS,
    )
    entry.hash = entry_hash(entry)
    db.session.add(entry)
    db.session.flush()
    db.session.info[_TAIL] = (entry.seq, entry.hash)
    return entry


@dataclass(frozen=True)
class ChainReport:
    ok: bool
    checked: int
    first_broken_seq: int | None = None
    problem: str | None = None


def verify_chain(batch: int = 2000) -> ChainReport:
    """Recompute every hash in order; report the first entry whose hash or link is wrong."""
    prev = GENESIS
    checked = 0
    last_seq = 0
    while True:
        rows = db.session.execute(
            select(AuditEntry).where(AuditEntry.seq > last_seq).order_by(AuditEntry.seq).limit(batch)
        ).scalars().all()
        if not rows:
            return ChainReport(ok=True, checked=checked)
        for entry in rows:
            if entry.prev_hash != prev:
                return ChainReport(False, checked, entry.seq, "prev_hash does not match the previous entry")
            if entry_hash(entry) != entry.hash:
                return ChainReport(False, checked, entry.seq, "content does not match its hash")
            prev = entry.hash
            checked += 1
            last_seq = entry.seq
