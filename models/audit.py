"""The append-only, hash-chained audit trail: who, what, when, why."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, DateTime, ForeignKey, String, Text
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
