"""Events (large-scale activities) registered by organizers (R-SCOPE-1)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, Date, DateTime, Enum, ForeignKey, Integer, Numeric, String, UniqueConstraint, and_, or_
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import Mapped, mapped_column, relationship
from sqlalchemy.sql.elements import ColumnElement

from models.db import TimestampMixin, db
from models.org import LabelledEnum, Organization, OrganizerType, User, VerifierBody


def _enum(cls: type) -> Enum:
    return Enum(cls, native_enum=False, length=30, values_callable=lambda e: [m.value for m in e])


class EventKind(LabelledEnum):
    """R-SCOPE-1: meeting, performance, forum, sports competition, exhibition, other."""

    MEETING = "meeting"
    PERFORMANCE = "performance"
    FORUM = "forum"
    COMPETITION = "competition"
    EXHIBITION = "exhibition"
    OTHER = "other"

    @classmethod
    def _titles(cls) -> dict:
        return {
            cls.MEETING: _l("Meeting"),
            cls.PERFORMANCE: _l("Performance"),
            cls.FORUM: _l("Forum"),
            cls.COMPETITION: _l("Sports competition"),
            cls.EXHIBITION: _l("Exhibition"),
            cls.OTHER: _l("Other"),
        }


class Sector(LabelledEnum):
    """Decides the sector bureau that signs off the plan (ARCHITECTURE.md lane table)."""

    COMMERCE = "commerce"
    CULTURE_TOURISM = "culture_tourism"
    SPORTS = "sports"
    GOVERNMENT = "government"
    OTHER = "other"

    @classmethod
    def _titles(cls) -> dict:
        return {
            cls.COMMERCE: _l("Commercial / exhibition"),
            cls.CULTURE_TOURISM: _l("Culture and tourism"),
            cls.SPORTS: _l("Sports"),
            cls.GOVERNMENT: _l("Party and government organs' internal events"),
            cls.OTHER: _l("Other"),
        }


class Tier(LabelledEnum):
    """R-TIER-1 (≥ 500), R-TIER-2 (200–499), R-TIER-0 (< 200)."""

    THIRD_PARTY = "third_party"
    SELF_COMMITMENT = "self_commitment"
    OUT_OF_SCOPE = "out_of_scope"

    @classmethod
    def _titles(cls) -> dict:
        return {
            cls.THIRD_PARTY: _l("500 or more participants: third-party evaluation"),
            cls.SELF_COMMITMENT: _l("200–499 participants: self-commitment"),
            cls.OUT_OF_SCOPE: _l("Fewer than 200 participants: outside the plan's scope"),
        }


class EventStatus(LabelledEnum):
    """Where the event stands; a projection of its process, shown to everyone (also the public)."""

    PLANNING = "planning"
    PLAN_REVIEW = "plan_review"
    REDUCING = "reducing"
    ACCOUNTING = "accounting"
    OFFSETTING = "offsetting"
    CONFIRMING = "confirming"
    CONFIRMED = "confirmed"
    OUT_OF_SCOPE = "out_of_scope"
    VOLUNTARY = "voluntary"

    @classmethod
    def _titles(cls) -> dict:
        return {
            cls.PLANNING: _l("Planning"),
            cls.PLAN_REVIEW: _l("Plan under review"),
            cls.REDUCING: _l("Plan published; reducing"),
            cls.ACCOUNTING: _l("Accounting"),
            cls.OFFSETTING: _l("Offsetting"),
            cls.CONFIRMING: _l("Confirming neutrality"),
            cls.CONFIRMED: _l("Carbon neutral, disclosed"),
            cls.OUT_OF_SCOPE: _l("Outside the plan's scope"),
            cls.VOLUNTARY: _l("Voluntary effort recorded"),
        }


class Event(TimestampMixin, db.Model):
    __tablename__ = "event"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[EventKind] = mapped_column(_enum(EventKind))
    sector: Mapped[Sector] = mapped_column(_enum(Sector), index=True)
    organizers: Mapped[list] = mapped_column(JSON, default=list, comment="names of all organizing units")
    organizer_type: Mapped[OrganizerType] = mapped_column(_enum(OrganizerType), index=True)
    participants: Mapped[int] = mapped_column(Integer, comment="expected (later actual) participant count")
    starts_on: Mapped[date] = mapped_column(Date, index=True)
    ends_on: Mapped[date] = mapped_column(Date)
    venue: Mapped[str] = mapped_column(String(200))
    county: Mapped[str] = mapped_column(String(20), index=True, comment="county/district of the venue")
    fiscal_funding_requested: Mapped[bool] = mapped_column(default=False)
    funding_requested_cny: Mapped[Decimal | None] = mapped_column(Numeric(14, 2), comment=(
        "the municipal fiscal funding the organizer asks for, in yuan (R-DEPT-FIN); Finance grants more "
        "only with a stated reason"))
    tier: Mapped[Tier] = mapped_column(_enum(Tier), index=True)
    status: Mapped[EventStatus] = mapped_column(_enum(EventStatus), index=True, default=EventStatus.PLANNING)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organization.id"), index=True)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    verifier_body_id: Mapped[int | None] = mapped_column(
        ForeignKey("verifier_body.id"), index=True, comment="commissioned third-party body (R-TIER-1)"
    )

    organization: Mapped[Organization] = relationship()
    created_by: Mapped[User] = relationship()
    plan_published_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), comment="R-PLAN-1")
    disclosed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), comment="R-DIS-1")

    verifier_body: Mapped[VerifierBody | None] = relationship()


class DeadlineKind(LabelledEnum):
    OFFSET = "offset"  # R-TIME-1
    SINK_APPLICATION = "sink_application"  # R-TIME-2
    SINK_VALIDATION = "sink_validation"  # R-TIME-2

    @classmethod
    def _titles(cls) -> dict:
        return {
            cls.OFFSET: _l("Offsetting completed (6 months after the event)"),
            cls.SINK_APPLICATION: _l("Sink project application (1 year after the event)"),
            cls.SINK_VALIDATION: _l("Sink project validation (2 years after the event)"),
        }


class EventDeadline(db.Model):
    """A deadline of the plan for one event; overdue when its timer fired before it was met."""

    __tablename__ = "event_deadline"
    __table_args__ = (UniqueConstraint("event_id", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id"), index=True)
    kind: Mapped[DeadlineKind] = mapped_column(_enum(DeadlineKind))
    due_on: Mapped[date] = mapped_column(Date, index=True, comment="last day on time (local date)")
    met_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    overdue_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), comment="when the timer fired")

    @property
    def status(self) -> str:
        if self.met_at is not None:
            return "met_late" if self.overdue_at is not None else "met"
        return "overdue" if self.overdue_at is not None else "open"

    @hybrid_property
    def is_overdue(self) -> bool:
        """Status "overdue": its timer fired and it is not met (also usable in queries)."""
        return self.overdue_at is not None and self.met_at is None

    @is_overdue.inplace.expression
    @classmethod
    def _is_overdue_expression(cls) -> ColumnElement[bool]:
        return and_(cls.overdue_at.is_not(None), cls.met_at.is_(None))

    @classmethod
    def late_on(cls, today: date) -> ColumnElement[bool]:
        """Unmet, and its timer fired or its last day is past (the tick may not have run yet)."""
        return and_(cls.met_at.is_(None), or_(cls.overdue_at.is_not(None), cls.due_on < today))
