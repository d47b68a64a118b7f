"""Browser sessions that end (issue #17): the cookie carries a random session key recorded in
`user_session`; Flask-Login's user loader accepts the cookie only while that session lives."""

from __future__ import annotations

from flask import session
from flask_login import login_user, logout_user
from sqlalchemy.orm import joinedload, undefer

from models import User
from processes import accounts

SESSION_KEY = "session_key"  # beside Flask-Login's _user_id in the signed cookie


def load_user(user_id: str) -> User | None:
    """The signed-in user if the cookie's session has not ended or expired, else None (signed out).

    One query for the user, the session check and what every page asks of them (navigation, inbox,
    rights, the bell).
    """
    try:
        number = int(user_id)
    except ValueError:
        return None
    return accounts.session_user(number, session.get(SESSION_KEY), joinedload(User.department),
                                 joinedload(User.organization), joinedload(User.verifier_body),
                                 undefer(User.unread_notifications))


def _fresh_cookie() -> None:
    """Empty the cookie's session (no session fixation), keeping only the chosen language."""
    lang = session.get("lang")
    session.clear()
    if lang:
        session["lang"] = lang


def sign_in(user: User) -> None:
    """Start a new recorded session for the user in this browser (the caller commits)."""
    _fresh_cookie()
    login_user(user)
    session[SESSION_KEY] = accounts.start_session(user)


def sign_out(reason: str = "signed_out") -> None:
    """End this browser's session for good (the caller commits)."""
    accounts.end_session(session.get(SESSION_KEY), reason)
    logout_user()
    _fresh_cookie()
