"""Policy documents published on the platform (R-PLAT-1 "policy publication"), kept by EEB staff."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, DateTime, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.db import TimestampMixin, db
from models.uploads import Upload


class PolicyDocument(TimestampMixin, db.Model):
    """A policy the public can read: its title, issuer, document number, date, link or file, summary."""

    __tablename__ = "policy_document"

    id: Mapped[int] = mapped_column(primary_key=True)
    title_zh: Mapped[str] = mapped_column(String(300), comment="title as issued, in Chinese")
    title_en: Mapped[str | None] = mapped_column(String(300), comment="English title (display only)")
    issuer: Mapped[str] = mapped_column(String(200), comment="issuing authority, e.g. 济宁市生态环境局")
    number: Mapped[str | None] = mapped_column(
        String(80), unique=True, comment="document number, e.g. 济环字〔2023〕40号; NULL when it has none"
    )
    published_on: Mapped[date | None] = mapped_column(Date, comment="date of issue; NULL until known")
    url: Mapped[str | None] = mapped_column(String(500), comment="official publication (http/https)")
    upload_id: Mapped[int | None] = mapped_column(ForeignKey("upload.id"), comment="the document file, if uploaded")
    summary: Mapped[str | None] = mapped_column(Text, comment="what the policy says, in a few sentences")
    updated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), comment="last edit (UTC)")
    updated_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id"), comment="who last edited it; NULL = seeded; never shown publicly"
    )

    upload: Mapped[Upload | None] = relationship()

    def title(self, locale: str) -> str:
        return (self.title_en or self.title_zh) if locale.startswith("en") else self.title_zh
