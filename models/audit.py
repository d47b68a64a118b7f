"""The append-only, hash-chained audit trail: who, what, when, why; and its published checkpoints."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Date, DateTime, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from models.db import db, utcnow


class AuditEntry(db.Model):
    """One state change. Never updated or deleted; `hash` covers the content and `prev_hash`."""

    __tablename__ = "audit_entry"

    seq: Mapped[int] = mapped_column(primary_key=True, comment="position in the global chain")
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), comment="NULL = the system")
    actor: Mapped[str] = mapped_column(String(80), comment="username at the time, or 'system'")
    role: Mapped[str | None] = mapped_column(String(30))
    department_id: Mapped[int | None] = mapped_column(ForeignKey("department.id"))
    event_id: Mapped[int | None] = mapped_column(ForeignKey("event.id"), index=True)
    action: Mapped[str] = mapped_column(String(60), index=True, comment="e.g. plan.returned")
    task: Mapped[str | None] = mapped_column(String(60), comment="BPMN task id, when a task was involved")
    reason: Mapped[str | None] = mapped_column(Text, comment="why (mandatory for returns and overrides)")
    detail: Mapped[dict] = mapped_column(JSON, default=dict, comment="submitted data or its digest")
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)


class AuditCheckpoint(db.Model):
    """A published head of the chain: its own `audit.checkpoint` entry, whose hash covers every entry
    before it. Anyone who kept a copy can later tell entries up to it were deleted or rewritten.
    Never updated or deleted; no foreign key, so it outlives an entry deleted behind its back."""

    __tablename__ = "audit_checkpoint"

    id: Mapped[int] = mapped_column(primary_key=True)
    seq: Mapped[int] = mapped_column(unique=True, comment="the certified entry: the chain's head when it was made")
    hash: Mapped[str] = mapped_column(String(64), comment="that entry's hash")
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, comment="when (the entry's time)")
    day: Mapped[date] = mapped_column(Date, index=True,
                                      comment="the day (Asia/Shanghai) it was made for; the tick makes one a day")
