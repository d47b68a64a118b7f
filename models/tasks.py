"""What people say on tasks: decisions of reviews, comments with attachments."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import ForeignKey, Index, Integer, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.db import TimestampMixin, db
from models.org import User
from models.uploads import Upload


class Decision(TimestampMixin, db.Model):
    """A reviewer's decision on a task (plan reviews, funding, sink validation, evaluation, follow-up)."""

    __tablename__ = "decision"
    # The compliance report's returns, oldest first, without reading every approval (issue #19).
    __table_args__ = (Index("ix_decision_decision_created_at", "decision", "created_at", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id"), index=True)
    human_task_id: Mapped[int] = mapped_column(ForeignKey("human_task.id"), unique=True)
    task: Mapped[str] = mapped_column(String(60), comment="BPMN task id")
    round: Mapped[int] = mapped_column(Integer, default=1, comment="plan review round (1 + number of returns)")
    department_id: Mapped[int | None] = mapped_column(ForeignKey("department.id"))
    decided_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    decision: Mapped[str] = mapped_column(String(20), comment="approve | return | neutral | not_neutral | done")
    comment: Mapped[str | None] = mapped_column(Text)
    amount_cny: Mapped[Decimal | None] = mapped_column(Numeric(14, 2), comment="funding granted (review_funding)")

    decided_by: Mapped[User] = relationship()


class Comment(TimestampMixin, db.Model):
    """A comment on an event or one of its tasks, optionally with an attachment."""

    __tablename__ = "comment"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id"), index=True)
    human_task_id: Mapped[int | None] = mapped_column(ForeignKey("human_task.id"), index=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    body: Mapped[str] = mapped_column(Text)
    upload_id: Mapped[int | None] = mapped_column(ForeignKey("upload.id"))

    author: Mapped[User] = relationship()
    upload: Mapped[Upload | None] = relationship()
