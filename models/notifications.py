"""Notifications: in-app messages, the email outbox and each user's email choices (issue #8)."""

from __future__ import annotations

from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, DateTime, Enum, ForeignKey, Index, Integer, String, Text, UniqueConstraint, func, select
from sqlalchemy.orm import Mapped, column_property, mapped_column

from models.db import TimestampMixin, db, utcnow
from models.org import LabelledEnum, User


class NotificationKind(LabelledEnum):
    """What a notification is about; users choose per kind whether it also goes by email."""

    TASK_CREATED = "task_created"
    TASK_REASSIGNED = "task_reassigned"
    TASK_DUE = "task_due"
    TASK_OVERDUE = "task_overdue"
    PLAN_RETURNED = "plan_returned"
    PLAN_PUBLISHED = "plan_published"
    DEADLINE_APPROACHING = "deadline_approaching"
    DEADLINE_PASSED = "deadline_passed"
    EVALUATION_CONCLUDED = "evaluation_concluded"
    EVENT_DISCLOSED = "event_disclosed"
    REGISTRY_CONFLICT = "registry_conflict"  # R-CAN-2: the registry's data contradicts a cancellation
    DIGEST = "digest"  # email only: the daily digest of a department lead

    @classmethod
    def _titles(cls) -> dict:
        return {
            cls.TASK_CREATED: _l("A task arrives in my inbox"),
            cls.TASK_REASSIGNED: _l("A task is reassigned to me"),
            cls.TASK_DUE: _l("A task I hold is due soon"),
            cls.TASK_OVERDUE: _l("A task I hold is overdue"),
            cls.PLAN_RETURNED: _l("My plan is returned"),
            cls.PLAN_PUBLISHED: _l("My plan is approved and published"),
            cls.DEADLINE_APPROACHING: _l("A deadline of the plan approaches"),
            cls.DEADLINE_PASSED: _l("A deadline of the plan passed"),
            cls.EVALUATION_CONCLUDED: _l("The third-party evaluation is concluded"),
            cls.EVENT_DISCLOSED: _l("An event is confirmed and disclosed"),
            cls.REGISTRY_CONFLICT: _l("A cancellation conflicts with the registry's data"),
            cls.DIGEST: _l("Daily digest (department leads)"),
        }


def _kind_enum() -> Enum:
    return Enum(NotificationKind, native_enum=False, length=30, values_callable=lambda e: [m.value for m in e])


class Notification(TimestampMixin, db.Model):
    """One in-app message to one user; rendered in the reader's language from `params`."""

    __tablename__ = "notification"
    __table_args__ = (Index("ix_notification_user_unread", "user_id", "read_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True, comment="the recipient")
    kind: Mapped[NotificationKind] = mapped_column(_kind_enum())
    event_id: Mapped[int | None] = mapped_column(ForeignKey("event.id"), index=True)
    task_id: Mapped[int | None] = mapped_column(ForeignKey("human_task.id"), comment="the task it links to")
    params: Mapped[dict] = mapped_column(
        JSON, default=dict, comment="values for the title and body (event name, step, due date, comments …)"
    )
    dedupe_key: Mapped[str | None] = mapped_column(
        String(160), unique=True, comment="set for reminders: the same reminder is never created twice"
    )
    read_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


# The bell's count, read with the signed-in user in the request's first query (deferred: only where asked
# for with `undefer`; expire it after marking notifications read). count(*) is answered from the
# (user_id, read_at) index alone.
User.unread_notifications = column_property(
    select(func.count()).select_from(Notification)
    .where(Notification.user_id == User.id, Notification.read_at.is_(None))
    .correlate_except(Notification).scalar_subquery(),
    deferred=True)


class EmailOutbox(TimestampMixin, db.Model):
    """An email written in the transaction of its cause and sent after the commit (with retries)."""

    __tablename__ = "email_outbox"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), index=True)
    notification_id: Mapped[int | None] = mapped_column(ForeignKey("notification.id"), index=True)
    kind: Mapped[NotificationKind] = mapped_column(_kind_enum())
    recipient: Mapped[str] = mapped_column(String(200), comment="email address")
    locale: Mapped[str] = mapped_column(String(10), comment="language the message is written in")
    subject: Mapped[str] = mapped_column(String(300))
    body_text: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(10), default="queued", index=True, comment="queued | sent | failed")
    attempts: Mapped[int] = mapped_column(Integer, default=0, comment="sending attempts so far")
    next_attempt_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, index=True, comment="not sent before this time (back-off, lease)"
    )
    last_error: Mapped[str | None] = mapped_column(Text)
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    dedupe_key: Mapped[str | None] = mapped_column(
        String(160), unique=True, comment="reminders and digests: the same message is never queued twice"
    )


class NotificationPreference(db.Model):
    """A user's choice whether one kind of notification also goes by email (absent: the default)."""

    __tablename__ = "notification_preference"
    __table_args__ = (UniqueConstraint("user_id", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    kind: Mapped[NotificationKind] = mapped_column(_kind_enum())
    email: Mapped[bool] = mapped_column(default=True, comment="also send this kind by email")
