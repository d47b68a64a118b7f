"""Append to and verify the tamper-evident audit trail (each entry hashes its content and the
previous entry's hash)."""

from __future__ import annotations

import hashlib
import json
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from operator import attrgetter
from typing import Any

from sqlalchemy import Row, Select, select, text
from sqlalchemy import event as sa_event
from sqlalchemy.orm import Session, SessionTransaction

from models import AuditCheckpoint, AuditEntry, Event, User, db
from models.db import utcnow
from processes.dates import local_today

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

    The first append of a transaction takes the lock, held to the end of the transaction, then reads
    the tail; later appends of the same transaction continue from what this session appended. Commit
    and rollback (also of a savepoint) forget it.
    """
    info = db.session.info
    if _TAIL in info:
        return info[_TAIL]
    _take_chain_lock()
    last = _last_entry()
    info[_TAIL] = (last.seq, last.hash) if last else None
    return info[_TAIL]


def _take_chain_lock() -> None:
    """Lock the chain's tail until the transaction ends, so no other writer appends in between.

    PostgreSQL: a transaction-level advisory lock. SQLite: the database's single write lock. The
    driver opens a transaction only at the first write, so a tail read by a transaction that had only
    read was unlocked: two such writers (a refusal audited right after its rollback, issue #15 item 9)
    both appended the same seq and one failed on UNIQUE. A write that changes nothing takes the lock
    now (waiting up to `busy_timeout` for another writer's commit) and the tail read after it is the
    newest; a transaction that already wrote holds the lock already and the statement costs nothing.
    """
    dialect = db.session.get_bind().dialect.name
    if dialect == "postgresql":
        db.session.execute(text("SELECT pg_advisory_xact_lock(7420001)"))
    elif dialect == "sqlite":
        db.session.execute(text("UPDATE audit_entry SET seq = seq WHERE 1 = 0"))


def _last_entry() -> Row | None:
    return db.session.execute(
        select(AuditEntry.seq, AuditEntry.hash).order_by(AuditEntry.seq.desc()).limit(1)).first()


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


CHECKPOINT_ACTION = "audit.checkpoint"


def make_checkpoint(now: datetime | None = None, *, daily: bool = False) -> AuditCheckpoint | None:
    """Certify the chain's head: append an `audit.checkpoint` entry and publish its seq and hash.

    The checkpoint's entry is the head it certifies (its hash covers every entry before it), so the
    act of checkpointing is itself covered. `daily`: only if no checkpoint was made for `now`'s day
    yet (the deadline tick; idempotent however often it runs). The caller commits.
    """
    now = now or utcnow()
    day = local_today(now)
    lock_chain()  # before the check: two ticks at once make one checkpoint, not two
    if daily and db.session.execute(select(AuditCheckpoint.id).where(AuditCheckpoint.day == day)).first():
        return None
    entry = record(None, CHECKPOINT_ACTION, data={"day": day.isoformat(), "trigger": "daily" if daily else "manual"})
    checkpoint = AuditCheckpoint(seq=entry.seq, hash=entry.hash, at=entry.at, day=day)
    db.session.add(checkpoint)
    db.session.flush()
    return checkpoint


def latest_checkpoint() -> AuditCheckpoint | None:
    return db.session.execute(select(AuditCheckpoint).order_by(AuditCheckpoint.seq.desc()).limit(1)).scalar()


def checkpoints_query(after_seq: int = 0, *, newest_first: bool = False) -> Select:
    """The published checkpoints certifying entries after `after_seq`, in the chain's order (a kept
    copy only ever grows at its end) or newest first."""
    return select(AuditCheckpoint).where(AuditCheckpoint.seq > after_seq).order_by(
        AuditCheckpoint.seq.desc() if newest_first else AuditCheckpoint.seq)


def checkpoint_json(checkpoint: AuditCheckpoint) -> dict[str, Any]:
    return {"id": checkpoint.id, "seq": checkpoint.seq, "hash": checkpoint.hash,
            "at": _utc_naive(checkpoint.at).replace(tzinfo=UTC).isoformat(), "day": checkpoint.day.isoformat()}


@dataclass(frozen=True)
class Head:
    """A head of the chain someone vouches for: a checkpoint row or a kept copy of one."""

    seq: int
    hash: str
    source: str  # how it is named in a report, e.g. "checkpoint #3 of 2026-12-01"


def published_heads() -> list[Head]:
    return [Head(c.seq, c.hash, f"checkpoint #{c.id} of {c.day.isoformat()}")
            for c in db.session.execute(checkpoints_query()).scalars()]


def heads_from_copy(data: Any, name: str) -> list[Head]:
    """Read a kept copy of `GET /api/v1/public/audit/checkpoints` (one page, or a list of items).

    :raises ValueError: the data is not such a copy.
    """
    items = data.get("items") if isinstance(data, dict) else data
    if not isinstance(items, list):
        raise ValueError("expected the checkpoints' JSON: an object with \"items\" or a list of items")
    heads = []
    for i, item in enumerate(items):
        seq, digest = (item.get("seq"), item.get("hash")) if isinstance(item, dict) else (None, None)
        if type(seq) is not int or seq < 1 or not isinstance(digest, str) or len(digest) != 64:
            raise ValueError(f"item {i + 1} has no seq (a positive integer) and hash (64 hex digits)")
        heads.append(Head(seq, digest.lower(), f"the copy {name}, item {i + 1} (id {item.get('id')})"))
    return heads


@dataclass(frozen=True)
class ChainReport:
    ok: bool
    checked: int
    first_broken_seq: int | None = None
    problem: str | None = None
    since_seq: int | None = None  # verified from this checkpoint's entry on (None: from the first entry)
    heads_matched: int = 0  # checkpoints (and kept copies) whose entry was found with their hash


def _gap(first: int, last: int) -> str:
    return f"entry {first} is missing" if first == last else f"entries {first}–{last} are missing"


def verify_chain(batch: int = 2000, *, since: AuditCheckpoint | None = None,
                 copies: Sequence[Head] = ()) -> ChainReport:
    """Recompute every hash in order; report the first entry whose hash or link is wrong, or the first
    entry missing up to a published checkpoint or a kept copy of one, or not matching its hash.

    `since`: verify incrementally from that checkpoint's entry on, trusting the entries before it
    (verified when it was last checked); the entry must still hash to the checkpoint's hash.
    """
    own = published_heads()
    published = {head.seq for head in own}
    heads = deque(sorted([*own, *copies], key=attrgetter("seq")))
    prev, last_seq, checked, matched = GENESIS, 0, 0, 0

    def broken(seq: int, problem: str) -> ChainReport:
        return ChainReport(False, checked, seq, problem, since.seq if since else None, matched)

    def check(entry: AuditEntry) -> str | None:
        nonlocal matched
        if entry_hash(entry) != entry.hash:
            return "content does not match its hash"
        if entry.action == CHECKPOINT_ACTION and entry.seq not in published:
            return "the checkpoint this entry made is no longer published"
        while heads and heads[0].seq == entry.seq:
            head = heads.popleft()
            if head.hash != entry.hash:
                return (f"its hash {entry.hash[:16]}… differs from the one certified by {head.source} "
                        f"({head.hash[:16]}…)")
            matched += 1
        return None

    if since is not None:
        while heads and heads[0].seq < since.seq:
            heads.popleft()
        start = db.session.get(AuditEntry, since.seq)
        if start is None:
            return broken(since.seq, f"{_gap(since.seq, since.seq)}: it is certified by checkpoint #{since.id} "
                                     f"of {since.day.isoformat()}")
        if problem := check(start):
            return broken(start.seq, problem)
        prev, last_seq, checked = start.hash, start.seq, 1
    while rows := db.session.execute(select(AuditEntry).where(AuditEntry.seq > last_seq)
                                     .order_by(AuditEntry.seq).limit(batch)).scalars().all():
        for entry in rows:
            if heads and heads[0].seq < entry.seq:
                return broken(heads[0].seq, f"{_gap(last_seq + 1, entry.seq - 1)}: entry {heads[0].seq} is "
                                            f"certified by {heads[0].source}")
            if entry.prev_hash != prev:
                missing = f" ({_gap(last_seq + 1, entry.seq - 1)})" if entry.seq > last_seq + 1 else ""
                return broken(entry.seq, f"prev_hash does not match the previous entry{missing}")
            if problem := check(entry):
                return broken(entry.seq, problem)
            prev, last_seq = entry.hash, entry.seq
            checked += 1
    if heads:
        return broken(last_seq + 1, f"{_gap(last_seq + 1, heads[-1].seq)}: the chain ends at entry {last_seq}, "
                                    f"but entry {heads[-1].seq} is certified by {heads[-1].source}")
    return ChainReport(True, checked, since_seq=since.seq if since else None, heads_matched=matched)
