"""Append to and verify the tamper-evident audit trail (each entry hashes its content and the
previous entry's hash)."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select, text

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


def _lock_chain() -> None:
    """Serialize appends to the chain (PostgreSQL advisory lock; SQLite serializes writers)."""
    if db.engine.dialect.name == "postgresql":
        db.session.execute(text("SELECT pg_advisory_xact_lock(7420001)"))


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
    _lock_chain()
    last = db.session.execute(
        select(AuditEntry.seq, AuditEntry.hash).order_by(AuditEntry.seq.desc()).limit(1)).first()
    event_id = event.id if isinstance(event, Event) else event
    entry = AuditEntry(
        seq=(last.seq + 1) if last else 1,
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
        prev_hash=last.hash if last else GENESIS,
    )
    entry.hash = entry_hash(entry)
    db.session.add(entry)
    db.session.flush()
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
