"""New forestry/marine carbon-sink projects used to offset an event (R-OFF-1, R-OFF-2, R-TIME-2,
R-DEPT-NR)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from sqlalchemy import CheckConstraint, Date, Enum, ForeignKey, Integer, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.db import TimestampMixin, db
from models.event import Event
from models.org import LabelledEnum, User
from models.uploads import Upload


def _enum(cls: type) -> Enum:
    return Enum(cls, native_enum=False, length=30, values_callable=lambda e: [m.value for m in e])


class SinkType(LabelledEnum):
    FORESTRY = "forestry"
    MARINE = "marine"

    @classmethod
    def _titles(cls) -> dict:
        return {cls.FORESTRY: _l("Forestry carbon sink"), cls.MARINE: _l("Marine carbon sink")}


class SinkStatus(LabelledEnum):
    REGISTERED = "registered"
    VALIDATED = "validated"
    RETURNED = "returned"

    @classmethod
    def _titles(cls) -> dict:
        return {
            cls.REGISTERED: _l("Registered, awaiting validation"),
            cls.VALIDATED: _l("Validated by Natural Resources"),
            cls.RETURNED: _l("Returned by Natural Resources"),
        }


class SinkProject(TimestampMixin, db.Model):
    """A new sink project, locked to one event for good (R-OFF-2)."""

    __tablename__ = "sink_project"
    __table_args__ = (
        # R-OFF-2: never developed under CCER or any other mechanism.
        CheckConstraint("NOT other_mechanism_claimed", name="never_other_mechanism"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(
        ForeignKey("event.id"), unique=True, comment="the one event the project offsets (R-OFF-2)"
    )
    name: Mapped[str] = mapped_column(String(200))
    project_code: Mapped[str | None] = mapped_column(
        String(80), unique=True, comment="the project's number (land parcel / platform id), if any"
    )
    sink_type: Mapped[SinkType] = mapped_column(_enum(SinkType))
    location: Mapped[str] = mapped_column(String(200), comment="place, e.g. township and village")
    county: Mapped[str] = mapped_column(String(20), index=True, comment="county/district of the project")
    area_ha: Mapped[Decimal] = mapped_column(Numeric(12, 2), comment="area in hectares")
    expected_tco2e: Mapped[Decimal] = mapped_column(Numeric(18, 3), comment="expected removals, t CO2e")
    crediting_period_years: Mapped[int] = mapped_column(Integer)
    applied_on: Mapped[date] = mapped_column(Date, comment="date of the project application")
    application_late: Mapped[bool] = mapped_column(default=False, comment="applied after 1 year (R-TIME-2)")
    status: Mapped[SinkStatus] = mapped_column(_enum(SinkStatus), index=True, default=SinkStatus.REGISTERED)
    validated_tco2e: Mapped[Decimal | None] = mapped_column(Numeric(18, 3), comment="set by Natural Resources")
    validated_on: Mapped[date | None] = mapped_column(Date)
    validated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    validation_late: Mapped[bool] = mapped_column(default=False, comment="validated after 2 years (R-TIME-2)")
    decision_comment: Mapped[str | None] = mapped_column(Text, comment="Natural Resources' last comment")
    other_mechanism_claimed: Mapped[bool] = mapped_column(
        default=False, comment="always false: attempts are refused and audited (R-OFF-2)"
    )
    registered_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))

    event: Mapped[Event] = relationship()
    registered_by: Mapped[User] = relationship(foreign_keys=[registered_by_id])
    validated_by: Mapped[User | None] = relationship(foreign_keys=[validated_by_id])
    monitoring_reports: Mapped[list[SinkMonitoringReport]] = relationship(
        back_populates="project", order_by="SinkMonitoringReport.id"
    )


class SinkMonitoringReport(TimestampMixin, db.Model):
    """A measurement and monitoring (计量监测) report of a sink project (R-DEPT-NR)."""

    __tablename__ = "sink_monitoring_report"

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("sink_project.id"), index=True)
    upload_id: Mapped[int] = mapped_column(ForeignKey("upload.id"))
    sha256: Mapped[str] = mapped_column(String(64), comment="SHA-256 of the report file")
    submitted_on: Mapped[date] = mapped_column(Date)
    note: Mapped[str | None] = mapped_column(Text)
    submitted_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))

    project: Mapped[SinkProject] = relationship(back_populates="monitoring_reports")
    upload: Mapped[Upload] = relationship()
