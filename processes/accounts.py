"""Sign-in with lockout, users, browser sessions and API tokens (issues #2, #17)."""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, or_, select, update
from sqlalchemy.exc import IntegrityError
from werkzeug.security import check_password_hash, generate_password_hash
from zxcvbn import zxcvbn

from models import ApiToken, Department, Organization, Role, User, VerifierBody, db
from models.db import utcnow
from models.org import SignInFailure, UserSession
from processes import audit
from processes.errors import Conflict, Invalid

MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 200
MIN_PASSWORD_SCORE = 3  # zxcvbn's scale 0-4; 3 = "safely unguessable", about 10^8 guesses
ZXCVBN_MAX = 72  # zxcvbn estimates at most this many characters (more only adds strength)
SITE_WORDS = ("tanzhong", "碳中", "jining", "济宁", "carbon", "neutral")
MAX_TOKEN_NAME = 100
# A real hash, so an unknown username costs the same time as a wrong password.
_DUMMY_HASH = generate_password_hash("not-a-password-of-anyone")


def hash_password(password: str) -> str:
    """Hash with the configured werkzeug method (scrypt by default; tests use a cheap one)."""
    return generate_password_hash(password, method=current_app.config.get("PASSWORD_HASH_METHOD", "scrypt"))


class LoginFailed(Exception):
    """Wrong password, unknown user or locked account: deliberately indistinguishable."""


def aware(dt: datetime | None) -> datetime | None:
    """The time as UTC-aware (SQLite gives back naive UTC datetimes)."""
    if dt is not None and dt.tzinfo is None:
        return dt.replace(tzinfo=UTC)
    return dt


@dataclass(frozen=True)
class Throttle:
    """Where a password attempt comes from and how many wrong ones lock that address out of that account."""

    address: str
    max_failures: int
    lock_minutes: int


def _failure_key(username: str, throttle: Throttle) -> tuple[str, str]:
    return username.strip().casefold()[:80], (throttle.address or "unknown")[:64]


def _locked(username: str, throttle: Throttle, now: datetime) -> bool:
    name, address = _failure_key(username, throttle)
    until = db.session.execute(select(SignInFailure.locked_until).where(
        SignInFailure.username == name, SignInFailure.address == address)).scalar()
    return until is not None and aware(until) > now


def _count_failure(username: str, throttle: Throttle, now: datetime) -> bool:
    """Count a wrong password for (username, address); return whether that pair is now locked."""
    name, address = _failure_key(username, throttle)
    window = timedelta(minutes=throttle.lock_minutes)
    db.session.execute(delete(SignInFailure).where(  # forget what no longer counts (any pair)
        SignInFailure.last_failed_at < now - window,
        or_(SignInFailure.locked_until.is_(None), SignInFailure.locked_until < now)))
    row = db.session.execute(select(SignInFailure).where(
        SignInFailure.username == name, SignInFailure.address == address).with_for_update()).scalar()
    if row is None:
        try:
            with db.session.begin_nested():
                row = SignInFailure(username=name, address=address, failures=0, first_failed_at=now,
                                    last_failed_at=now)
                db.session.add(row)
        except IntegrityError:  # the same pair failed at the same moment in another request
            row = db.session.execute(select(SignInFailure).where(
                SignInFailure.username == name, SignInFailure.address == address).with_for_update()).scalar_one()
    if aware(row.first_failed_at) < now - window:
        row.failures, row.first_failed_at = 0, now
    row.failures += 1
    row.last_failed_at = now
    if row.failures >= throttle.max_failures:
        row.locked_until, row.failures, row.first_failed_at = now + window, 0, now
        audit.record(None, "account.locked", data={"username": name, "address": address,
                                                    "minutes": throttle.lock_minutes})
        return True
    return False


def _forget_failures(username: str, throttle: Throttle) -> None:
    name, address = _failure_key(username, throttle)
    db.session.execute(delete(SignInFailure).where(SignInFailure.username == name,
                                                   SignInFailure.address == address))


def authenticate(username: str, password: str, throttle: Throttle) -> User:
    """Return the user whose credentials these are; count wrong passwords per username and address.

    LOGIN_MAX_FAILURES wrong passwords lock that address out of that username for LOGIN_LOCK_MINUTES;
    other addresses are not affected, so nobody can lock a person out from afar (issue #17).

    :raises LoginFailed: for any failure, with no hint which one (no user enumeration).
    """
    now = utcnow()
    user = db.session.execute(select(User).where(User.username == username.strip())).scalar()
    if _locked(username, throttle, now):
        check_password_hash(_DUMMY_HASH, password)
        raise LoginFailed()
    if user is None:
        check_password_hash(_DUMMY_HASH, password)
        _count_failure(username, throttle, now)
        raise LoginFailed()
    if not check_password_hash(user.password_hash, password) or not user.active:
        _count_failure(username, throttle, now)
        raise LoginFailed()
    _forget_failures(username, throttle)
    user.last_login_at = now
    return user


def validate_password(password: str, user_inputs: tuple[str | None, ...] = ()) -> None:
    """Refuse a password that is short, common, or made from the person's own names (issue #17).

    zxcvbn estimates how many guesses the password needs, knowing the common passwords, words, keyboard
    patterns, dates and the `user_inputs` (username, name, e-mail, organisation) and this site's names;
    below score 3 (about 10^8 guesses) it is refused. Used wherever a person chooses a password: the
    password change, an administrator's new account, `flask create-user`.

    :raises Invalid: on field ``password``, with a message saying what is wanted.
    """
    if len(password) < MIN_PASSWORD_LENGTH:
        raise Invalid(_l("Password too short"), {"password": [_l("At least %(n)d characters.", n=MIN_PASSWORD_LENGTH)]})
    if len(password) > MAX_PASSWORD_LENGTH:
        raise Invalid(_l("Password too long"), {"password": [_l("At most %(n)d characters.", n=MAX_PASSWORD_LENGTH)]})
    words = [w for value in user_inputs if value for w in (value, *re.split(r"[\s@._-]+", value))
             if len(w) >= (4 if w.isascii() else 2)]  # a Chinese name has two or three characters
    folded = password.casefold()
    derived = any(w.casefold() in folded for w in words)
    if derived or zxcvbn(password[:ZXCVBN_MAX], user_inputs=[*words, *SITE_WORDS])["score"] < MIN_PASSWORD_SCORE:
        raise Invalid(_l("Password too easy to guess"), {"password": [_l(
            "Too easy to guess: choose a longer password that is not a common one and not made from your "
            "username, name or e-mail address (e.g. three or four unrelated words).")]})


class TooManyAttempts(Invalid):
    """Too many wrong current passwords from this address: the form is locked like sign-in."""


def change_password(user: User, current: str, new: str, throttle: Throttle) -> None:
    """Replace the user's password after checking the current one; end all the user's sessions and
    revoke all their API tokens (a thief holding either loses it; the caller starts a new session).

    Wrong current passwords count like wrong sign-ins (per username and address): a stolen cookie does
    not become unlimited guesses of the password.

    :raises TooManyAttempts: this address is locked out of this account (the caller should sign out).
    :raises Invalid: wrong current password or a weak new one.
    """
    now = utcnow()
    too_many = TooManyAttempts(_l("Too many wrong passwords"), {"current_password": [_l(
        "Too many wrong passwords from your address: try again in %(n)d minutes.", n=throttle.lock_minutes)]})
    if _locked(user.username, throttle, now):
        check_password_hash(_DUMMY_HASH, current)
        raise too_many
    if not check_password_hash(user.password_hash, current):
        if _count_failure(user.username, throttle, now):
            raise too_many
        raise Invalid(_l("Current password is wrong"), {"current_password": [_l("Current password is wrong.")]})
    _forget_failures(user.username, throttle)
    validate_password(new, (user.username, user.display_name, user.email))
    user.password_hash = hash_password(new)
    audit.record(user, "account.password_changed")
    end_everything(user, "password_changed")


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
    demo: bool = False,
) -> User:
    """Create an account; department roles need a department, organizers an organisation.

    `demo`: an account of `flask demo-data`, marked as such, whose published password is not checked.

    :raises Invalid: missing affiliation or weak password. :raises Conflict: username taken.
    """
    username = username.strip()
    if not username:
        raise Invalid(_l("Username required"), {"username": [_l("Required.")]})
    if db.session.execute(select(User.id).where(User.username == username)).first():
        raise Conflict(_l("Username already exists"), {"username": [_l("Already taken.")]})
    if not demo:  # the demo accounts keep the documented password (production refuses them)
        validate_password(password, (username, display_name, email, organization.name if organization else None))
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
        demo=demo,
    )
    db.session.add(user)
    db.session.flush()
    audit.record(actor, "account.created", data={"username": username, "role": role.value})
    return user


def _key_hash(raw: str) -> str:
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def active_demo_accounts() -> list[str]:
    """Usernames of active accounts that anyone may sign in to: made by `flask demo-data` (or named
    like its accounts, made before they were marked) and still holding the published password."""
    from processes.demo import DEMO_PASSWORD, DEMO_USERNAMES

    candidates = db.session.execute(select(User).where(
        User.active.is_(True), or_(User.demo.is_(True), User.username.in_(DEMO_USERNAMES)))).scalars()
    return sorted(u.username for u in candidates if check_password_hash(u.password_hash, DEMO_PASSWORD))


def deactivate_demo_accounts(actor: User | None = None) -> list[str]:
    """Deactivate every active demo account (ending its sessions and tokens); return their usernames."""
    names = active_demo_accounts()
    for user in db.session.execute(select(User).where(User.username.in_(names))).scalars():
        set_active(user, False, actor)
    return names


# --------------------------------------------------------------------------- browser sessions
def start_session(user: User) -> str:
    """Record a new signed-in session; return its random key for the cookie (stored only hashed).

    Also forgets the user's sessions that ended or expired (their cookies fail either way).
    """
    now = utcnow()
    db.session.execute(delete(UserSession).where(
        UserSession.user_id == user.id, or_(UserSession.ended_at.is_not(None), UserSession.expires_at <= now)))
    raw = secrets.token_urlsafe(32)
    db.session.add(UserSession(user_id=user.id, key_hash=_key_hash(raw),
                               expires_at=now + current_app.permanent_session_lifetime))
    db.session.flush()
    return raw


def session_user(user_id: int, raw_key: str | None, *options: Any) -> User | None:
    """Return the active user of a session cookie whose session has neither ended nor expired, else None.

    One query (with the loader `options` of the caller), as every signed-in page asks it.
    """
    if not raw_key:
        return None
    query = (select(User).join(UserSession, UserSession.user_id == User.id)
             .where(User.id == user_id, User.active.is_(True), UserSession.key_hash == _key_hash(raw_key),
                    UserSession.ended_at.is_(None), UserSession.expires_at > utcnow()))
    return db.session.execute(query.options(*options)).unique().scalar()


def end_session(raw_key: str | None, reason: str = "signed_out") -> None:
    """End the session of this cookie key for good (signing out): a copy of the cookie fails too."""
    if raw_key:
        db.session.execute(update(UserSession).where(UserSession.key_hash == _key_hash(raw_key),
                                                     UserSession.ended_at.is_(None))
                           .values(ended_at=utcnow(), end_reason=reason))


def end_everything(user: User, reason: str, actor: User | None = None) -> tuple[int, int]:
    """End all the user's sessions and revoke all their API tokens; return how many of each.

    `reason`: password_changed, deactivated or signed_out_everywhere (kept on the rows and audited).
    """
    now = utcnow()
    sessions = db.session.execute(update(UserSession).where(
        UserSession.user_id == user.id, UserSession.ended_at.is_(None)).values(ended_at=now, end_reason=reason))
    tokens = db.session.execute(update(ApiToken).where(
        ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None)).values(revoked_at=now, revoked_reason=reason))
    audit.record(actor or user, "account.sessions_ended", data={
        "username": user.username, "reason": reason, "sessions": sessions.rowcount, "tokens": tokens.rowcount})
    return sessions.rowcount, tokens.rowcount


def set_active(user: User, active: bool, actor: User | None) -> None:
    """Activate or deactivate an account; deactivation ends its sessions and revokes its tokens."""
    if user.active == active:
        return
    user.active = active
    audit.record(actor, "account.activated" if active else "account.deactivated", data={"username": user.username})
    if not active:
        end_everything(user, "deactivated", actor)


# --------------------------------------------------------------------------- API tokens
def issue_token(user: User, name: str | None = None) -> tuple[ApiToken, str]:
    """Create an API token valid for API_TOKEN_DAYS; return the row and the raw token (shown once,
    never stored)."""
    raw = "tz_" + secrets.token_urlsafe(32)
    name = (name or "").strip()[:MAX_TOKEN_NAME] or None
    token = ApiToken(user_id=user.id, token_hash=_key_hash(raw), name=name,
                     expires_at=utcnow() + timedelta(days=current_app.config["API_TOKEN_DAYS"]))
    db.session.add(token)
    db.session.flush()
    audit.record(user, "token.issued", data={"token_id": token.id, "expires_at": token.expires_at.isoformat()})
    return token, raw


def user_for_token(raw: str) -> User | None:
    """Return the active user owning this unrevoked, unexpired token (noting its use), or None."""
    token = db.session.execute(select(ApiToken).where(ApiToken.token_hash == _key_hash(raw))).scalar()
    now = utcnow()
    if token is None or token.revoked_at is not None or aware(token.expires_at) <= now or not token.user.active:
        return None
    token.last_used_at = now
    return token.user


def tokens_of(user: User) -> list[ApiToken]:
    """The user's tokens, newest first (revoked and expired ones too, so the list explains itself)."""
    return list(db.session.execute(select(ApiToken).where(ApiToken.user_id == user.id)
                                   .order_by(ApiToken.id.desc())).scalars())


def token_state(token: ApiToken, now: datetime | None = None) -> str:
    """active, expired or revoked."""
    if token.revoked_at is not None:
        return "revoked"
    return "expired" if aware(token.expires_at) <= (now or utcnow()) else "active"


def revoke_token(user: User, raw: str | None = None, token_id: int | None = None) -> ApiToken | None:
    """Revoke one of the user's tokens, by raw value or id; return it, or None if not theirs."""
    query = select(ApiToken).where(ApiToken.user_id == user.id)
    if raw is not None:
        query = query.where(ApiToken.token_hash == _key_hash(raw))
    elif token_id is not None:
        query = query.where(ApiToken.id == token_id)
    else:
        return None
    token = db.session.execute(query).scalar()
    if token is None:
        return None
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        token.revoked_reason = "revoked"
        audit.record(user, "token.revoked", data={"token_id": token.id})
    return token
