"""How an event's carbon neutrality was confirmed: third-party evaluation or self-commitment."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import Date, ForeignKey, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from models.db import TimestampMixin, db


class Evaluation(TimestampMixin, db.Model):
    """An accredited body's evaluation of an event of 500+ participants (R-TIER-1)."""

    __tablename__ = "evaluation"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id"), index=True)
    verifier_body_id: Mapped[int] = mapped_column(ForeignKey("verifier_body.id"))
    body_name: Mapped[str] = mapped_column(String(200))
    accreditation_no: Mapped[str] = mapped_column(String(80))
    report_upload_id: Mapped[int] = mapped_column(ForeignKey("upload.id"))
    verified_tco2e: Mapped[Decimal] = mapped_column(Numeric(18, 3), comment="emissions as verified")
    conclusion: Mapped[str] = mapped_column(String(20), comment="neutral | not_neutral")
    comment: Mapped[str | None] = mapped_column(Text, comment="reasons, required for not_neutral")
    evaluated_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))


class Commitment(TimestampMixin, db.Model):
    """The organizer's signed self-commitment (R-TIER-2), stored immutably with its hash."""

    __tablename__ = "commitment"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id"), unique=True)
    declaration: Mapped[str] = mapped_column(Text, comment="the generated declaration as signed")
    sha256: Mapped[str] = mapped_column(String(64))
    confirmation_method: Mapped[str] = mapped_column(String(200))
    neutral_on: Mapped[date] = mapped_column(Date, comment="the date neutrality was reached")
    signed_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
