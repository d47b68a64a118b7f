"""Sign-in with lockout, users, and API tokens (issue #2)."""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime, timedelta

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from werkzeug.security import check_password_hash, generate_password_hash

from models import ApiToken, Department, Organization, Role, User, VerifierBody, db
from models.db import utcnow
from processes import audit
from processes.errors import Conflict, Invalid

MIN_PASSWORD_LENGTH = 8
# A real hash, so an unknown username costs the same time as a wrong password.
_DUMMY_HASH = generate_password_hash("not-a-password-of-anyone")


def hash_password(password: str) -> str:
    """Hash with the configured werkzeug method (scrypt by default; tests use a cheap one)."""
    return generate_password_hash(password, method=current_app.config.get("PASSWORD_HASH_METHOD", "scrypt"))


class LoginFailed(Exception):
    """Wrong password, unknown user or locked account: deliberately indistinguishable."""


def _aware(dt: datetime | None) -> datetime | None:
    if dt is not None and dt.tzinfo is None:
        return dt.replace(tzinfo=UTC)
    return dt


def authenticate(username: str, password: str, *, max_failures: int, lock_minutes: int) -> User:
    """Return the user whose credentials these are; count failures and lock the account.

    :raises LoginFailed: for any failure, with no hint which one (no user enumeration).
    """
    user = db.session.execute(select(User).where(User.username == username.strip())).scalar()
    now = utcnow()
    if user is None:
        check_password_hash(_DUMMY_HASH, password)
        raise LoginFailed()
    locked_until = _aware(user.locked_until)
    if locked_until and locked_until > now:
        check_password_hash(_DUMMY_HASH, password)
        raise LoginFailed()
    if not user.active or not check_password_hash(user.password_hash, password):
        user.failed_logins += 1
        if user.failed_logins >= max_failures:
            user.locked_until = now + timedelta(minutes=lock_minutes)
            user.failed_logins = 0
            audit.record(None, "account.locked", data={"username": user.username, "minutes": lock_minutes})
        raise LoginFailed()
    user.failed_logins = 0
    user.locked_until = None
    user.last_login_at = now
    return user


def validate_password(password: str) -> None:
    """:raises Invalid: when the password is too short."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise Invalid(_l("Password too short"), {"password": [_l("At least %(n)d characters.", n=MIN_PASSWORD_LENGTH)]})


def change_password(user: User, current: str, new: str) -> None:
    """Replace the user's password after checking the current one.

    :raises Invalid: wrong current password or a weak new one.
    """
    if not check_password_hash(user.password_hash, current):
        raise Invalid(_l("Current password is wrong"), {"current_password": [_l("Current password is wrong.")]})
    validate_password(new)
    user.password_hash = hash_password(new)
    audit.record(user, "account.password_changed")


def create_user(
    username: str,
    password: str,
    role: Role,
    *,
    display_name: str | None = None,
    email: str | None = None,
    department: Department | None = None,
    organization: Organization | None = None,
    verifier_body: VerifierBody | None = None,
    actor: User | None = None,
) -> User:
    """Create an account; department roles need a department, organizers an organisation.

    :raises Invalid: missing affiliation or weak password. :raises Conflict: username taken.
    """
    username = username.strip()
    if not username:
        raise Invalid(_l("Username required"), {"username": [_l("Required.")]})
    if db.session.execute(select(User.id).where(User.username == username)).first():
        raise Conflict(_l("Username already exists"), {"username": [_l("Already taken.")]})
    validate_password(password)
    if role in (Role.DEPARTMENT_STAFF, Role.DEPARTMENT_LEAD) and department is None:
        raise Invalid(_l("Department required"), {"department": [_l("Department staff belong to a department.")]})
    if role == Role.ORGANIZER and organization is None:
        raise Invalid(_l("Organisation required"), {"organization": [_l("Organizers belong to an organisation.")]})
    if role == Role.VERIFIER and verifier_body is None:
        raise Invalid(_l("Verifier body required"), {"verifier_body": [_l("Verifiers belong to a body.")]})
    user = User(
        username=username,
        password_hash=hash_password(password),
        display_name=display_name or username,
        email=email,
        role=role,
        department=department,
        organization=organization,
        verifier_body=verifier_body,
    )
    db.session.add(user)
    db.session.flush()
    audit.record(actor, "account.created", data={"username": username, "role": role.value})
    return user


def _token_hash(raw: str) -> str:
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def issue_token(user: User, label: str | None = None) -> tuple[ApiToken, str]:
    """Create an API token; return the row and the raw token (shown once, never stored)."""
    raw = "tz_" + secrets.token_urlsafe(32)
    token = ApiToken(user_id=user.id, token_hash=_token_hash(raw), label=label)
    db.session.add(token)
    db.session.flush()
    audit.record(user, "token.issued", data={"token_id": token.id})
    return token, raw


def user_for_token(raw: str) -> User | None:
    """Return the active user owning this unrevoked token, or None."""
    token = db.session.execute(select(ApiToken).where(ApiToken.token_hash == _token_hash(raw))).scalar()
    if token is None or token.revoked_at is not None or not token.user.active:
        return None
    token.last_used_at = utcnow()
    return token.user


def revoke_token(user: User, raw: str | None = None, token_id: int | None = None) -> ApiToken | None:
    """Revoke one of the user's tokens, by raw value or id; return it, or None if not theirs."""
    query = select(ApiToken).where(ApiToken.user_id == user.id)
    if raw is not None:
        query = query.where(ApiToken.token_hash == _token_hash(raw))
    elif token_id is not None:
        query = query.where(ApiToken.id == token_id)
    else:
        return None
    token = db.session.execute(query).scalar()
    if token is None:
        return None
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        audit.record(user, "token.revoked", data={"token_id": token.id})
    return token
