"""Offsets: instruments and registries (R-OFF-1, R-OFF-4, R-CAN-1), the offset plan, and the
append-only cancellation ledger (R-CAN-2)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from sqlalchemy import BigInteger, Date, Enum, ForeignKey, Index, Integer, Numeric, String, Text, event
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from models.db import TimestampMixin, db
from models.event import Event
from models.org import LabelledEnum, User


def _enum(cls: type) -> Enum:
    return Enum(cls, native_enum=False, length=40, values_callable=lambda e: [m.value for m in e])


class Registry(LabelledEnum):
    """Where units are cancelled (注销) (R-CAN-1)."""

    SD_INCLUSION_PLATFORM = "sd_inclusion_platform"
    CCER_REGISTRY = "ccer_registry"
    NATIONAL_CARBON_MARKET = "national_carbon_market"
    VERRA = "verra"
    GOLD_STANDARD = "gold_standard"
    OTHER = "other"

    @classmethod
    def _titles(cls) -> dict:
        return {
            cls.SD_INCLUSION_PLATFORM: _l("Shandong carbon-inclusion platform (山东碳普惠平台)"),
            cls.CCER_REGISTRY: _l("National voluntary emission reduction registry (全国温室气体自愿减排注册登记系统)"),
            cls.NATIONAL_CARBON_MARKET: _l("National carbon emission allowance registry (全国碳排放权注册登记系统)"),
            cls.VERRA: _l("Verra registry (VCS)"),
            cls.GOLD_STANDARD: _l("Gold Standard registry"),
            cls.OTHER: _l("Other registry (named)"),
        }

    @property
    def one_tonne_per_serial(self) -> bool:
        """Whether one serial number is one unit of 1 t CO2e (ACCOUNTING.md, "Offsetting arithmetic")."""
        return self is not Registry.OTHER


class Instrument(LabelledEnum):
    """Offset products in the priority order of R-OFF-4, and new sink projects (R-OFF-1)."""

    SD_INCLUSION_FORESTRY = "sd_inclusion_forestry"
    SD_INCLUSION_MARINE = "sd_inclusion_marine"
    SD_INCLUSION_OTHER = "sd_inclusion_other"
    CCER_SHANDONG = "ccer_shandong"
    OTHER_MECHANISM = "other_mechanism"
    CEA = "cea"
    NEW_FORESTRY_SINK = "new_forestry_sink"
    NEW_MARINE_SINK = "new_marine_sink"

    @classmethod
    def _titles(cls) -> dict:
        return {
            cls.SD_INCLUSION_FORESTRY: _l("Shandong carbon-inclusion: forestry sink"),
            cls.SD_INCLUSION_MARINE: _l("Shandong carbon-inclusion: marine sink"),
            cls.SD_INCLUSION_OTHER: _l("Shandong carbon-inclusion: other project"),
            cls.CCER_SHANDONG: _l("CCER from a project in Shandong"),
            cls.OTHER_MECHANISM: _l("Reductions issued by another mechanism"),
            cls.CEA: _l("National carbon market allowances (CEA)"),
            cls.NEW_FORESTRY_SINK: _l("New forestry carbon-sink project"),
            cls.NEW_MARINE_SINK: _l("New marine carbon-sink project"),
        }

    @property
    def priority(self) -> int | None:
        """R-OFF-4 rank (1 is preferred); None for the new-sink project path."""
        return _PRIORITY.get(self)

    @property
    def is_project(self) -> bool:
        """Whether this is the new forestry/marine sink project path (R-OFF-1, R-TIME-2)."""
        return self.priority is None

    @property
    def default_registry(self) -> Registry:
        return _REGISTRY[self]

    @property
    def allowed_registries(self) -> tuple[Registry, ...]:
        """R-CAN-1: carbon-inclusion and sinks on the Shandong platform, others at their own registry;
        credits of another mechanism (R-OFF-3: often donated international credits) at Verra, Gold
        Standard or another named registry."""
        return _ALLOWED.get(self, (_REGISTRY[self],))


_PRIORITY = {
    Instrument.SD_INCLUSION_FORESTRY: 1,
    Instrument.SD_INCLUSION_MARINE: 1,
    Instrument.SD_INCLUSION_OTHER: 1,
    Instrument.CCER_SHANDONG: 2,
    Instrument.OTHER_MECHANISM: 2,
    Instrument.CEA: 3,
}
_REGISTRY = {
    Instrument.SD_INCLUSION_FORESTRY: Registry.SD_INCLUSION_PLATFORM,
    Instrument.SD_INCLUSION_MARINE: Registry.SD_INCLUSION_PLATFORM,
    Instrument.SD_INCLUSION_OTHER: Registry.SD_INCLUSION_PLATFORM,
    Instrument.CCER_SHANDONG: Registry.CCER_REGISTRY,
    Instrument.OTHER_MECHANISM: Registry.OTHER,
    Instrument.CEA: Registry.NATIONAL_CARBON_MARKET,
    Instrument.NEW_FORESTRY_SINK: Registry.SD_INCLUSION_PLATFORM,
    Instrument.NEW_MARINE_SINK: Registry.SD_INCLUSION_PLATFORM,
}


_ALLOWED = {Instrument.OTHER_MECHANISM: (Registry.OTHER, Registry.VERRA, Registry.GOLD_STANDARD)}


class OffsetPlanLine(TimestampMixin, db.Model):
    """One line of the offset method chosen in the implementation plan (R-PLAN-1, R-OFF-4)."""

    __tablename__ = "offset_plan_line"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0, comment="order of the line in the plan")
    instrument: Mapped[Instrument] = mapped_column(_enum(Instrument))
    quantity_tco2e: Mapped[Decimal] = mapped_column(Numeric(18, 3), comment="planned t CO2e")
    reason: Mapped[str | None] = mapped_column(Text, comment="why a lower priority is chosen (R-OFF-4)")


class Cancellation(TimestampMixin, db.Model):
    """One cancellation of units for an event; append-only (R-CAN-2).

    A correction is a new row whose `reverses_id` names the row it cancels out; the reversed
    serial range is then free again. Serials are parsed per registry into a normalised unit range
    (processes/serials.py); overlap is checked on (serial_prefix, serial_start..serial_end), a key
    that names its namespace across registries, and for generic serials also on the grouped reading
    (serial_alt_key, serial_alt_start..serial_alt_end).
    """

    __tablename__ = "cancellation"
    __table_args__ = (
        Index("ix_cancellation_serials", "unit_registry", "serial_prefix", "serial_start", "serial_end"),
        Index("ix_cancellation_serials_alt", "serial_alt_key", "serial_alt_start", "serial_alt_end"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id"), index=True, comment="beneficiary event")
    instrument: Mapped[Instrument] = mapped_column(_enum(Instrument))
    unit_registry: Mapped[Registry] = mapped_column(
        _enum(Registry), comment="where the units were cancelled (R-CAN-1); `registry` is reserved by SQLAlchemy"
    )
    registry_name: Mapped[str | None] = mapped_column(String(200), comment="name of an 'other' registry")
    project_name: Mapped[str | None] = mapped_column(String(200), comment="the project that issued the units")
    project_code: Mapped[str | None] = mapped_column(String(80), comment="the project's id at its registry")
    vintage: Mapped[int | None] = mapped_column(Integer, comment="year the reductions happened / were issued")
    serial_from: Mapped[str] = mapped_column(String(120), comment="first serial or certificate number, as given")
    serial_to: Mapped[str | None] = mapped_column(String(120), comment="last serial, as given; NULL = single")
    serial_prefix: Mapped[str] = mapped_column(
        String(400), comment="the units' normalised namespace at the registry (processes/serials.py)"
    )
    serial_start: Mapped[int] = mapped_column(BigInteger, comment="first unit number of the normalised range")
    serial_end: Mapped[int] = mapped_column(BigInteger, comment="last unit number of the normalised range (inclusive)")
    serial_alt_key: Mapped[str | None] = mapped_column(
        String(400), comment="generic serials: the namespace of the grouped reading"
    )
    serial_alt_start: Mapped[int | None] = mapped_column(
        BigInteger, comment="generic serials: first unit of the grouped reading"
    )
    serial_alt_end: Mapped[int | None] = mapped_column(
        BigInteger, comment="generic serials: last unit of the grouped reading"
    )
    quantity_tco2e: Mapped[Decimal] = mapped_column(Numeric(18, 3))
    cancelled_on: Mapped[date] = mapped_column(Date, comment="date of the cancellation at the registry")
    donor: Mapped[str | None] = mapped_column(String(200), comment="who donated the units (R-OFF-3)")
    reason: Mapped[str | None] = mapped_column(
        Text, comment="lower-priority reason (R-OFF-4); for a reversal, why it is corrected"
    )
    evidence_upload_id: Mapped[int | None] = mapped_column(
        ForeignKey("upload.id"), comment="cancellation certificate (NULL only on a reversal)"
    )
    evidence_sha256: Mapped[str | None] = mapped_column(String(64), comment="SHA-256 of the evidence file")
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    overdue: Mapped[bool] = mapped_column(default=False, comment="cancelled after the 6-month deadline (R-TIME-1)")
    reverses_id: Mapped[int | None] = mapped_column(
        ForeignKey("cancellation.id"), unique=True, comment="the row this one reverses (a correction)"
    )

    event: Mapped[Event] = relationship()
    recorded_by: Mapped[User] = relationship()
    reverses: Mapped[Cancellation | None] = relationship(remote_side=[id])


@event.listens_for(Cancellation, "before_update")
def _append_only(_mapper: object, _connection: object, target: Cancellation) -> None:
    """Refuse any change to a recorded cancellation (R-CAN-2): corrections are new rows."""
    session = Session.object_session(target)
    if session is not None and session.is_modified(target, include_collections=False):
        raise ValueError("cancellation rows are append-only; record a reversing row instead")
