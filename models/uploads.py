"""Uploaded files (evidence, certificates, reports, attachments): stored under random names."""

from __future__ import annotations

from sqlalchemy import BigInteger, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from models.db import TimestampMixin, db


class Upload(TimestampMixin, db.Model):
    __tablename__ = "upload"

    id: Mapped[int] = mapped_column(primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64), index=True, comment="SHA-256 of the content")
    size: Mapped[int] = mapped_column(BigInteger)
    filename: Mapped[str] = mapped_column(String(255), comment="the uploader's file name (display only)")
    content_type: Mapped[str] = mapped_column(String(100), comment="sniffed from the content, not trusted")
    stored_name: Mapped[str] = mapped_column(String(64), unique=True, comment="random name in UPLOAD_DIR")
    uploaded_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    event_id: Mapped[int | None] = mapped_column(ForeignKey("event.id"), index=True)
