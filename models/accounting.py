"""Carbon accounting: versioned emission-factor sets, the event's boundary, activity lines
(estimate and actual) and reduction measures (R-PLAN-1, R-RED-1, R-ACC-1)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from sqlalchemy import Date, DateTime, Enum, ForeignKey, Integer, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, attribute_keyed_dict, mapped_column, relationship

from models.db import TimestampMixin, db, utcnow
from models.org import LabelledEnum, User

QUANTITY = Numeric(18, 6)  # activity data (kWh, pkm, t …)
FACTOR = Numeric(20, 10)  # kg CO2e per unit; < 100 000 with ≤ 10 decimals stays exact even on SQLite
TONNES = Numeric(18, 3)  # t CO2e


def _enum(cls: type) -> Enum:
    return Enum(cls, native_enum=False, length=30, values_callable=lambda e: [m.value for m in e])


class EmissionCategory(LabelledEnum):
    """The categories of the accounting boundary (ACCOUNTING.md, after the MEE guide)."""

    VENUE_ENERGY = "venue_energy"
    TRANSPORT = "transport"
    ACCOMMODATION = "accommodation"
    CATERING = "catering"
    MATERIALS = "materials"
    WASTE = "waste"

    @classmethod
    def _titles(cls) -> dict:
        return {
            cls.VENUE_ENERGY: _l("Venue energy (electricity, heat, fuels on site)"),
            cls.TRANSPORT: _l("Transport of participants and staff"),
            cls.ACCOMMODATION: _l("Accommodation"),
            cls.CATERING: _l("Catering"),
            cls.MATERIALS: _l("Materials and printed matter"),
            cls.WASTE: _l("Waste"),
        }


class AccountStage(LabelledEnum):
    """Estimate in the plan (R-PLAN-1) or actual account after the event (R-ACC-1)."""

    ESTIMATE = "estimate"
    ACTUAL = "actual"

    @classmethod
    def _titles(cls) -> dict:
        return {cls.ESTIMATE: _l("Estimate"), cls.ACTUAL: _l("Actual")}


class FactorStatus(LabelledEnum):
    """How far a factor's value has been checked against its source (docs/emission-factors.md)."""

    VERIFIED = "verified"
    DERIVED = "derived"
    TO_VERIFY = "to-verify"
    RULE = "rule"

    @classmethod
    def _titles(cls) -> dict:
        return {
            cls.VERIFIED: _l("Verified against the primary publication"),
            cls.DERIVED: _l("Derived from stated inputs"),
            cls.TO_VERIFY: _l("To be verified against the primary publication"),
            cls.RULE: _l("Set by rule"),
        }


class ReductionKind(LabelledEnum):
    """R-RED-1: the reduction measures the plan names."""

    CLEAN_ENERGY_TRANSPORT = "clean_energy_transport"
    GREEN_ELECTRICITY = "green_electricity"
    FEWER_SINGLE_USE = "fewer_single_use"
    WATER_POWER_SAVING = "water_power_saving"
    CLEAN_PLATE = "clean_plate"
    OTHER = "other"

    @classmethod
    def _titles(cls) -> dict:
        return {
            cls.CLEAN_ENERGY_TRANSPORT: _l("Clean-energy transport"),
            cls.GREEN_ELECTRICITY: _l("Green electricity"),
            cls.FEWER_SINGLE_USE: _l("Fewer single-use items"),
            cls.WATER_POWER_SAVING: _l("Saving water and power"),
            cls.CLEAN_PLATE: _l("Clean-plate campaign"),
            cls.OTHER: _l("Other"),
        }


class FactorSet(db.Model):
    """One imported version of the emission-factor library; never changed after import."""

    __tablename__ = "factor_set"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[int] = mapped_column(Integer, unique=True, comment="version number, 1, 2, … (newest in force)")
    sha256: Mapped[str] = mapped_column(String(64), unique=True, comment="SHA-256 of the imported CSV file")
    filename: Mapped[str | None] = mapped_column(String(255), comment="name of the imported file (display only)")
    imported_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    imported_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), comment="NULL = the system")
    note: Mapped[str | None] = mapped_column(Text, comment="why this version was imported")

    imported_by: Mapped[User | None] = relationship()
    factors: Mapped[dict[str, EmissionFactor]] = relationship(
        back_populates="factor_set", collection_class=attribute_keyed_dict("key"), order_by="EmissionFactor.id"
    )


class EmissionFactor(db.Model):
    """One factor of a set: kg CO2e per unit of activity, with its published source."""

    __tablename__ = "emission_factor"
    __table_args__ = (UniqueConstraint("set_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    set_id: Mapped[int] = mapped_column(ForeignKey("factor_set.id"), index=True)
    key: Mapped[str] = mapped_column(String(80), comment="stable lower_snake_case key, e.g. purchased_heat")
    category: Mapped[EmissionCategory] = mapped_column(_enum(EmissionCategory), comment="boundary category")
    subcategory: Mapped[str] = mapped_column(String(40), comment="e.g. electricity, air, hotel, landfill")
    name_zh: Mapped[str] = mapped_column(String(300))
    name_en: Mapped[str] = mapped_column(String(300))
    unit: Mapped[str] = mapped_column(String(20), comment="unit of activity: kWh, GJ, t, m3, L, pkm, km, …")
    kgco2e_per_unit: Mapped[Decimal] = mapped_column(FACTOR, comment="kg CO2e (or CO2, see gases) per unit")
    gases: Mapped[str] = mapped_column(String(40), comment="CO2, or CO2e where the source covers CH4/N2O")
    source: Mapped[str] = mapped_column(Text, comment="published source document, table and derivation")
    year: Mapped[int | None] = mapped_column(Integer, comment="reference year of the value")
    status: Mapped[FactorStatus] = mapped_column(_enum(FactorStatus), comment="how far the value was checked")
    valid_from: Mapped[date | None] = mapped_column(Date, comment="first day the factor applies (informative)")
    valid_to: Mapped[date | None] = mapped_column(Date, comment="last day the factor applies (informative)")

    factor_set: Mapped[FactorSet] = relationship(back_populates="factors")

    def name(self, locale: str) -> str:
        return self.name_en if locale.startswith("en") else self.name_zh


class BoundaryCategory(TimestampMixin, db.Model):
    """Whether a category is inside the event's accounting boundary; exclusions need a reason."""

    __tablename__ = "boundary_category"
    __table_args__ = (UniqueConstraint("event_id", "category"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id"), index=True)
    category: Mapped[EmissionCategory] = mapped_column(_enum(EmissionCategory))
    included: Mapped[bool] = mapped_column(comment="inside the boundary")
    reason: Mapped[str | None] = mapped_column(Text, comment="why the category is excluded (mandatory then)")


class ActivityLine(TimestampMixin, db.Model):
    """One line of an estimate or account: quantity × the factor's value as it was at the time."""

    __tablename__ = "activity_line"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id"), index=True)
    stage: Mapped[AccountStage] = mapped_column(_enum(AccountStage), comment="estimate (plan) or actual (account)")
    position: Mapped[int] = mapped_column(Integer, comment="order of the line in the form, from 0")
    category: Mapped[EmissionCategory] = mapped_column(_enum(EmissionCategory), comment="copied from the factor")
    factor_key: Mapped[str] = mapped_column(String(80))
    factor_set_id: Mapped[int] = mapped_column(ForeignKey("factor_set.id"), index=True,
                                               comment="factor-set version used")
    quantity: Mapped[Decimal] = mapped_column(QUANTITY, comment="activity data in `unit`")
    unit: Mapped[str] = mapped_column(String(20), comment="the factor's unit")
    distance_km: Mapped[Decimal | None] = mapped_column(QUANTITY, comment="transport helper: km each person travels")
    people: Mapped[int | None] = mapped_column(Integer, comment="transport helper: travellers")
    kgco2e_per_unit: Mapped[Decimal] = mapped_column(FACTOR, comment="the factor's value copied at the time")
    tco2e: Mapped[Decimal] = mapped_column(TONNES, comment="line result, rounded half-up to 0.001 t")
    assumption: Mapped[str | None] = mapped_column(Text, comment="stated conversion, e.g. 350 km × 120 people")
    note: Mapped[str | None] = mapped_column(Text, comment="the organizer's note on the data")
    evidence_upload_id: Mapped[int | None] = mapped_column(ForeignKey("upload.id"),
                                                           comment="certificate (green electricity)")

    factor_set: Mapped[FactorSet] = relationship()


class ReductionMeasure(TimestampMixin, db.Model):
    """A planned reduction measure and, after the event, what it achieved (R-RED-1)."""

    __tablename__ = "reduction_measure"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id"), index=True)
    position: Mapped[int] = mapped_column(Integer, comment="order in the plan, from 0")
    kind: Mapped[ReductionKind] = mapped_column(_enum(ReductionKind))
    description: Mapped[str] = mapped_column(Text)
    expected_tco2e: Mapped[Decimal] = mapped_column(TONNES, comment="planned reduction")
    achieved_tco2e: Mapped[Decimal | None] = mapped_column(TONNES, comment="reported after the event")
    evidence_upload_id: Mapped[int | None] = mapped_column(ForeignKey("upload.id"), comment="proof of the achievement")
    reported_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
