"""Registry data beside the ledger (R-CAN-2, issue #22): imports of a registry's public export, the
retirement ranges parsed from them, and each cancellation's registry status. Imports never change
the ledger; a cancellation's status lives here because ledger rows are append-only."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from sqlalchemy import BigInteger, Date, DateTime, Enum, ForeignKey, Index, Integer, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.db import TimestampMixin, db, utcnow
from models.offsets import Cancellation, Registry
from models.org import LabelledEnum, User


def _enum(cls: type) -> Enum:
    return Enum(cls, native_enum=False, length=20, values_callable=lambda e: [m.value for m in e])


class ImportStatus(LabelledEnum):
    """Whether an import's records count as evidence."""

    ACTIVE = "active"
    WITHDRAWN = "withdrawn"

    @classmethod
    def _titles(cls) -> dict:
        return {cls.ACTIVE: _l("In use"), cls.WITHDRAWN: _l("Withdrawn")}


class RegistryStatus(LabelledEnum):
    """What the registry's own data says about one ledger line (docs/offsets.md, "Registry cross-check")."""

    CONFIRMED = "confirmed"
    PARTLY = "partly"
    NOT_FOUND = "not_found"
    CONFLICT = "conflict"
    NO_DATA = "no_data"

    @classmethod
    def _titles(cls) -> dict:
        return {
            cls.CONFIRMED: _l("Registry-confirmed"),
            cls.PARTLY: _l("Partly confirmed by the registry"),
            cls.NOT_FOUND: _l("Not found in the registry's data"),
            cls.CONFLICT: _l("Conflict with the registry's data"),
            cls.NO_DATA: _l("No registry data yet"),
        }


class RegistryImport(TimestampMixin, db.Model):
    """One uploaded public export of a registry, stored whole or not at all."""

    __tablename__ = "registry_import"

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_registry: Mapped[Registry] = mapped_column(
        Enum(Registry, native_enum=False, length=40, values_callable=lambda e: [m.value for m in e]),
        comment="the registry whose export this is")
    adapter: Mapped[str] = mapped_column(String(40), comment="the format read: verra_transactions, "
                                         "gold_standard_retirements or generic_csv")
    source: Mapped[str | None] = mapped_column(String(300), comment="where the file came from, as the importer says")
    filename: Mapped[str] = mapped_column(String(255), comment="the uploaded file's name (display only)")
    sha256: Mapped[str] = mapped_column(String(64), index=True, comment="SHA-256 of the file as uploaded")
    size: Mapped[int] = mapped_column(BigInteger, comment="bytes")
    rows: Mapped[int] = mapped_column(Integer, comment="data rows read")
    ranges: Mapped[int] = mapped_column(Integer, comment="retirement ranges stored")
    mapping: Mapped[str | None] = mapped_column(Text, comment="generic CSV: the column names used, as JSON")
    status: Mapped[ImportStatus] = mapped_column(_enum(ImportStatus), default=ImportStatus.ACTIVE)
    channel: Mapped[str] = mapped_column(String(10), comment="web, api or cli")
    imported_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id"), comment="who imported it; NULL from the command line without --actor")
    withdrawn_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    withdrawn_reason: Mapped[str | None] = mapped_column(Text)

    imported_by: Mapped[User | None] = relationship()


class RetirementRecord(db.Model):
    """One row of an import: units retired (or cancelled) at the registry, normalised like the
    ledger's (processes/serials.py), so matching is range arithmetic on the same keys."""

    __tablename__ = "registry_retirement"
    __table_args__ = (
        Index("ix_registry_retirement_units", "unit_registry", "units_key", "first_unit", "last_unit"),
        Index("ix_registry_retirement_alt", "alt_key", "alt_first", "alt_last"),
        Index("ix_registry_retirement_project", "unit_registry", "project_key", "vintage"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    import_id: Mapped[int] = mapped_column(ForeignKey("registry_import.id"), index=True)
    line: Mapped[int] = mapped_column(Integer, comment="line of the file where the row starts (1 = header)")
    unit_registry: Mapped[Registry] = mapped_column(
        Enum(Registry, native_enum=False, length=40, values_callable=lambda e: [m.value for m in e]))
    serial: Mapped[str] = mapped_column(String(300), comment="the serial(s) as the export prints them")
    units_key: Mapped[str] = mapped_column(String(400), comment="normalised namespace of the units")
    first_unit: Mapped[int] = mapped_column(BigInteger)
    last_unit: Mapped[int] = mapped_column(BigInteger, comment="inclusive")
    alt_key: Mapped[str | None] = mapped_column(String(400), comment="generic serials: the grouped reading")
    alt_first: Mapped[int | None] = mapped_column(BigInteger)
    alt_last: Mapped[int | None] = mapped_column(BigInteger)
    quantity: Mapped[Decimal | None] = mapped_column(Numeric(18, 3), comment="as the export states it")
    retired_on: Mapped[date] = mapped_column(Date, comment="date of the retirement at the registry")
    beneficiary: Mapped[str | None] = mapped_column(Text, comment="for whom, as the export names it")
    reason: Mapped[str | None] = mapped_column(Text, comment="the registry's reason or use category")
    note: Mapped[str | None] = mapped_column(Text, comment="details or note text")
    project_code: Mapped[str | None] = mapped_column(String(80), comment="the project's id, as exported")
    project_key: Mapped[str | None] = mapped_column(String(80), comment="the project's id, normalised")
    project_name: Mapped[str | None] = mapped_column(String(300))
    vintage: Mapped[int | None] = mapped_column(Integer, comment="year of the units' vintage")


class CancellationCheck(db.Model):
    """The latest registry status of one ledger line, recomputed when data arrives."""

    __tablename__ = "cancellation_registry_check"

    id: Mapped[int] = mapped_column(primary_key=True)
    cancellation_id: Mapped[int] = mapped_column(ForeignKey("cancellation.id"), unique=True)
    status: Mapped[RegistryStatus] = mapped_column(_enum(RegistryStatus))
    record_id: Mapped[int | None] = mapped_column(
        ForeignKey("registry_retirement.id"), comment="the record that confirms it, or the conflicting one")
    units_found: Mapped[int] = mapped_column(BigInteger, default=0, comment="units of the line found retired in time")
    reason: Mapped[str | None] = mapped_column(String(40), comment="why a conflict or partly: other_beneficiary, "
                                               "two_ledger_lines, retired_after_recording")
    other_cancellation_id: Mapped[int | None] = mapped_column(
        ForeignKey("cancellation.id"), comment="two_ledger_lines: the other line holding the same units")
    checked_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    cancellation: Mapped[Cancellation] = relationship(foreign_keys=[cancellation_id])
    record: Mapped[RetirementRecord | None] = relationship()
