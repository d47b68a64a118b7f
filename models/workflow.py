"""Workflow persistence: deployed diagram versions, process instances, the human-task inbox."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING

from sqlalchemy import JSON, Date, DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.db import TimestampMixin, db, utcnow
from models.org import Department, Organization, User, VerifierBody

if TYPE_CHECKING:
    from models.event import Event


class ProcessVersion(TimestampMixin, db.Model):
    """One deployment of bpmn/: numbered, hashed, with the serialized specs it runs."""

    __tablename__ = "process_version"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[int] = mapped_column(Integer, unique=True)
    content_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # Large (specs ~50 KB, the BPMN files more) and rarely needed: the running code uses the parsed specs
    # cached by content_hash; these load on first access only (diagram download, another version's specs).
    spec_json: Mapped[str] = mapped_column(Text, deferred=True,
                                           comment="serialized SpiffWorkflow specs of this version")
    files: Mapped[dict] = mapped_column(JSON, default=dict, deferred=True,
                                        comment="the BPMN XML of each file, by file name")
    deployed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    note: Mapped[str | None] = mapped_column(Text, comment="what changed and why (given when deploying)")

    deployed_by: Mapped[User | None] = relationship()


class ProcessInstance(TimestampMixin, db.Model):
    """An event's running process; `version` is the optimistic lock counter."""

    __tablename__ = "process_instance"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id"), unique=True)
    process_version_id: Mapped[int] = mapped_column(ForeignKey("process_version.id"), index=True)
    state_json: Mapped[str] = mapped_column(Text, comment="serialized workflow state (without specs)")
    status: Mapped[str] = mapped_column(
        String(20), default="running", comment="running | completed | needs_attention"
    )
    error: Mapped[str | None] = mapped_column(Text, comment="failed automatic step, when needs_attention")
    next_timer_at: Mapped[datetime | None] = mapped_column(
        DateTime(timezone=True), index=True, comment="earliest waiting timer; `deadlines tick` looks here"
    )
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)
    version: Mapped[int] = mapped_column(Integer, nullable=False)
    diagram_json: Mapped[dict | None] = mapped_column(
        JSON, comment="diagram elements completed and current, projected from the state at each save"
    )

    process_version: Mapped[ProcessVersion] = relationship()

    __mapper_args__ = {"version_id_col": version}


class HumanTask(TimestampMixin, db.Model):
    """Inbox row for a ready or completed user task, denormalized from the workflow."""

    __tablename__ = "human_task"
    # Open tasks by due day (issue #19): overdue lists, counts and reminders read the open tasks due
    # before a day in due order, without visiting the completed rows of the whole history.
    __table_args__ = (Index("ix_human_task_status_due_on", "status", "due_on", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id"), index=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id"), index=True)
    spiff_task_id: Mapped[str] = mapped_column(String(36), unique=True, comment="SpiffWorkflow task UUID")
    name: Mapped[str] = mapped_column(String(60), comment="BPMN user-task id, e.g. review_plan_eeb")
    title: Mapped[str] = mapped_column(String(200))
    lane: Mapped[str] = mapped_column(String(30))
    department_id: Mapped[int | None] = mapped_column(ForeignKey("department.id"), index=True)
    organization_id: Mapped[int | None] = mapped_column(ForeignKey("organization.id"), index=True)
    verifier_body_id: Mapped[int | None] = mapped_column(ForeignKey("verifier_body.id"), index=True)
    claimed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), index=True)
    due_on: Mapped[date | None] = mapped_column(Date, index=True)
    status: Mapped[str] = mapped_column(
        String(20), default="open", index=True, comment="open | completed | cancelled"
    )
    draft: Mapped[dict | None] = mapped_column(JSON, comment="unfinished form data saved as draft")
    completed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    completed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))

    instance: Mapped[ProcessInstance] = relationship()
    event: Mapped[Event] = relationship()
    claimed_by: Mapped[User | None] = relationship(foreign_keys=[claimed_by_id])
    department: Mapped[Department | None] = relationship()
    organization: Mapped[Organization | None] = relationship()
    verifier_body: Mapped[VerifierBody | None] = relationship()

    def holder_name(self, locale: str) -> str:
        """Who holds the task, for display: the person, else the department/organisation/body."""
        if self.claimed_by is not None:
            return self.claimed_by.display_name
        if self.department is not None:
            return self.department.name(locale)
        if self.organization is not None:
            return self.organization.name
        return self.verifier_body.name if self.verifier_body is not None else self.lane


class ProcessMigration(TimestampMixin, db.Model):
    """One event moved from one diagram version to another, with what it takes to undo it.

    `created_at` is when it was migrated; the previous state, version and projection (deadline and
    open-task rows as they were) are kept so that a revert restores the event exactly.
    """

    __tablename__ = "process_migration"

    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id"), index=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id"), index=True)
    from_version_id: Mapped[int] = mapped_column(ForeignKey("process_version.id"))
    to_version_id: Mapped[int] = mapped_column(ForeignKey("process_version.id"))
    run_id: Mapped[str] = mapped_column(String(32), index=True, comment="one migration run (CLI call or page)")
    previous_state_json: Mapped[str] = mapped_column(Text, comment="the instance state before the migration")
    previous_version_counter: Mapped[int] = mapped_column(Integer, comment="process_instance.version before")
    migrated_version_counter: Mapped[int | None] = mapped_column(
        Integer, comment="process_instance.version right after; a revert needs it unchanged"
    )
    previous_projection: Mapped[dict] = mapped_column(
        JSON, default=dict, comment="deadline due dates and open-task rows before the migration"
    )
    changes: Mapped[dict] = mapped_column(JSON, default=dict, comment="what the migration changed (dry-run report)")
    migrated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), comment="NULL = the system")
    reason: Mapped[str] = mapped_column(Text)
    reverted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    reverted_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    revert_reason: Mapped[str | None] = mapped_column(Text)

    instance: Mapped[ProcessInstance] = relationship()
    from_version: Mapped[ProcessVersion] = relationship(foreign_keys=[from_version_id])
    to_version: Mapped[ProcessVersion] = relationship(foreign_keys=[to_version_id])
    migrated_by: Mapped[User | None] = relationship(foreign_keys=[migrated_by_id])
    reverted_by: Mapped[User | None] = relationship(foreign_keys=[reverted_by_id])
