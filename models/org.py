"""Organisations of the plan: departments, verification bodies, organizers, users, API tokens."""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_login import UserMixin
from sqlalchemy import Date, DateTime, Enum, ForeignKey, Integer, String, Text, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.db import TimestampMixin, db


class LabelledEnum(str, enum.Enum):
    """A string enum whose members carry a translated title (`member.title`)."""

    @property
    def title(self) -> str:
        return str(self._titles().get(self, self.value))

    @classmethod
    def _titles(cls) -> dict:
        return {}

    @classmethod
    def choices(cls) -> list[tuple[str, Any]]:
        """(value, title) pairs; the titles stay lazy, so a form built at import time still shows
        them in the language of each request."""
        titles = cls._titles()
        return [(m.value, titles.get(m, m.value)) for m in cls]


class Role(LabelledEnum):
    ORGANIZER = "organizer"
    DEPARTMENT_STAFF = "department_staff"
    DEPARTMENT_LEAD = "department_lead"
    VERIFIER = "verifier"
    AUDITOR = "auditor"
    ADMIN = "admin"

    @classmethod
    def _titles(cls) -> dict:
        return {
            cls.ORGANIZER: _l("Organizer"),
            cls.DEPARTMENT_STAFF: _l("Department staff"),
            cls.DEPARTMENT_LEAD: _l("Department lead"),
            cls.VERIFIER: _l("Verifier"),
            cls.AUDITOR: _l("Auditor"),
            cls.ADMIN: _l("Administrator"),
        }


class DepartmentKind(LabelledEnum):
    """The seven departments of section 五 of the plan (R-DEPT-*)."""

    EEB = "eeb"
    DRC = "drc"
    FINANCE = "finance"
    NATURAL_RESOURCES = "natural_resources"
    COMMERCE = "commerce"
    CULTURE_TOURISM = "culture_tourism"
    SPORTS = "sports"
    GOA = "goa"

    @classmethod
    def _titles(cls) -> dict:
        return {
            cls.EEB: _l("Ecology and Environment Bureau"),
            cls.DRC: _l("Development and Reform Commission"),
            cls.FINANCE: _l("Finance Bureau"),
            cls.NATURAL_RESOURCES: _l("Natural Resources Bureau"),
            cls.COMMERCE: _l("Commerce Bureau"),
            cls.CULTURE_TOURISM: _l("Culture and Tourism Bureau"),
            cls.SPORTS: _l("Sports Bureau"),
            cls.GOA: _l("Government Offices Administration"),
        }


class OrganizerType(LabelledEnum):
    PARTY_GOVERNMENT = "party_government"
    PUBLIC_INSTITUTION = "public_institution"
    ENTERPRISE = "enterprise"
    SOCIAL_ORGANIZATION = "social_organization"
    OTHER = "other"

    @classmethod
    def _titles(cls) -> dict:
        return {
            cls.PARTY_GOVERNMENT: _l("Party or government organ"),
            cls.PUBLIC_INSTITUTION: _l("Public institution"),
            cls.ENTERPRISE: _l("Enterprise"),
            cls.SOCIAL_ORGANIZATION: _l("Social organisation"),
            cls.OTHER: _l("Other"),
        }


class Department(TimestampMixin, db.Model):
    __tablename__ = "department"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True, comment="stable key, e.g. eeb_rencheng")
    kind: Mapped[DepartmentKind] = mapped_column(
        Enum(DepartmentKind, native_enum=False, length=30, values_callable=lambda e: [m.value for m in e]),
        comment="which of the plan's departments this is",
    )
    name_zh: Mapped[str] = mapped_column(String(120))
    name_en: Mapped[str] = mapped_column(String(160))
    county: Mapped[str | None] = mapped_column(
        String(20), comment="county/district served by a branch (EEB 分局); NULL for city level"
    )
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("department.id"))

    parent: Mapped[Department | None] = relationship(remote_side=[id])

    def name(self, locale: str) -> str:
        return self.name_en if locale.startswith("en") else self.name_zh


class VerifierBody(TimestampMixin, db.Model):
    """An accredited third-party body that evaluates events of 500+ participants (R-TIER-1)."""

    __tablename__ = "verifier_body"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    accreditation_no: Mapped[str] = mapped_column(String(80), comment="accreditation certificate number")
    valid_from: Mapped[date | None] = mapped_column(Date)
    valid_until: Mapped[date] = mapped_column(Date, comment="last day the accreditation is valid")

    def is_accredited_between(self, start: date, end: date) -> bool:
        """Return whether the accreditation covers every day from start to end."""
        return (self.valid_from is None or self.valid_from <= start) and self.valid_until >= end


class Organization(TimestampMixin, db.Model):
    """An organizer organisation (government organ, enterprise, association …)."""

    __tablename__ = "organization"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    org_type: Mapped[OrganizerType] = mapped_column(
        Enum(OrganizerType, native_enum=False, length=30, values_callable=lambda e: [m.value for m in e])
    )
    department_id: Mapped[int | None] = mapped_column(
        ForeignKey("department.id"), comment="set when the organizer is itself one of the plan's departments"
    )
    department: Mapped[Department | None] = relationship()


class User(UserMixin, TimestampMixin, db.Model):
    __tablename__ = "user_account"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255), comment="werkzeug scrypt/pbkdf2 hash")
    display_name: Mapped[str] = mapped_column(String(120))
    email: Mapped[str | None] = mapped_column(String(200))
    role: Mapped[Role] = mapped_column(
        Enum(Role, native_enum=False, length=30, values_callable=lambda e: [m.value for m in e])
    )
    department_id: Mapped[int | None] = mapped_column(ForeignKey("department.id"))
    organization_id: Mapped[int | None] = mapped_column(ForeignKey("organization.id"))
    verifier_body_id: Mapped[int | None] = mapped_column(ForeignKey("verifier_body.id"))
    locale: Mapped[str | None] = mapped_column(String(10), comment="preferred UI language")
    active: Mapped[bool] = mapped_column(default=True)
    last_login_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    demo: Mapped[bool] = mapped_column(default=False, server_default=false(), comment=(
        "made by `flask demo-data` with the published password; production refuses to start while one "
        "of them still has it and is active"))

    department: Mapped[Department | None] = relationship()
    organization: Mapped[Organization | None] = relationship()
    verifier_body: Mapped[VerifierBody | None] = relationship()

    @property
    def is_active(self) -> bool:  # Flask-Login
        return self.active

    @property
    def is_department(self) -> bool:
        return self.role in (Role.DEPARTMENT_STAFF, Role.DEPARTMENT_LEAD)


class ApiToken(TimestampMixin, db.Model):
    """A bearer token for the JSON API; only its SHA-256 is stored. It works until it expires or is
    revoked (by its owner, or with all of them by a password change, a deactivation or "sign out
    everywhere")."""

    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True, comment="sha256 hex of the token")
    name: Mapped[str | None] = mapped_column(Text, comment="what the owner calls it, e.g. the script using it")
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), comment="the token fails from then on")
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_reason: Mapped[str | None] = mapped_column(
        String(30), comment="revoked, password_changed, deactivated, signed_out_everywhere")

    user: Mapped[User] = relationship()


class UserSession(TimestampMixin, db.Model):
    """A signed-in browser session. The cookie holds a random key whose SHA-256 is stored here; the
    user loader accepts the cookie only while its row has not ended or expired, so signing out ends
    that session for good (a copy of the cookie stops working too)."""

    __tablename__ = "user_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True, comment="sha256 hex of the cookie's session key")
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), comment="sign-in time + SESSION_HOURS")
    ended_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    end_reason: Mapped[str | None] = mapped_column(
        String(30), comment="signed_out, password_changed, deactivated, signed_out_everywhere")

    user: Mapped[User] = relationship()


class SignInFailure(db.Model):
    """Wrong passwords for one username from one client address (sign-in, token issue, password change).

    The lock after LOGIN_MAX_FAILURES holds for that pair only: a stranger guessing from elsewhere cannot
    lock the person out (issue #17); unknown usernames are counted alike, so nothing tells them apart.
    """

    __tablename__ = "sign_in_failure"
    __table_args__ = (UniqueConstraint("username", "address"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(80), comment="as typed, trimmed and case-folded")
    address: Mapped[str] = mapped_column(String(64), comment="the client address (after ProxyFix)")
    failures: Mapped[int] = mapped_column(Integer, comment="wrong passwords since first_failed_at")
    first_failed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    last_failed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    locked_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class VerifierConflict(TimestampMixin, db.Model):
    """An organisation a verification body must not evaluate (declared conflict of interest)."""

    __tablename__ = "verifier_conflict"
    __table_args__ = (UniqueConstraint("verifier_body_id", "organization_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    verifier_body_id: Mapped[int] = mapped_column(ForeignKey("verifier_body.id"), index=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organization.id"))
    reason: Mapped[str] = mapped_column(Text, comment="the declared relationship, e.g. consultancy contract")
