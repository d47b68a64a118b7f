"""Limits on password attempts (issue #17): per client address and per username, on sign-in, token
issue and the password-change form, and the per-(username, address) lock of processes/accounts.py.

The client address is `request.remote_addr`, which ProxyFix sets from X-Forwarded-For when
TRUSTED_PROXIES says how many proxies to believe (webapp/startup.py). With several workers or
servers the counts live in RATELIMIT_STORAGE_URI (e.g. memcached://…); the locks live in the database.
"""

from __future__ import annotations

from flask import Response, current_app, request
from flask_login import current_user

from processes.accounts import Throttle

USERNAME_SCOPE = "password-attempts"  # one count per username over sign-in, token issue and password change


def throttle() -> Throttle:
    """The lock rule for this request's client address."""
    return Throttle(address=request.remote_addr or "unknown", max_failures=current_app.config["LOGIN_MAX_FAILURES"],
                    lock_minutes=current_app.config["LOGIN_LOCK_MINUTES"])


def address_limit() -> str:
    return current_app.config["RATELIMIT_LOGIN"]


def username_limit() -> str:
    return current_app.config["RATELIMIT_LOGIN_USER"]


def typed_username() -> str:
    """The username a sign-in or token request names (form or JSON), trimmed and case-folded."""
    body = request.get_json(silent=True) if request.is_json else None
    name = body.get("username") if isinstance(body, dict) else request.form.get("username")
    return "user:" + (name if isinstance(name, str) else "").strip().casefold()[:80]


def own_username() -> str:
    """The signed-in user's name (the password-change form), counted with sign-ins of that name."""
    return "user:" + (current_user.username.casefold() if current_user.is_authenticated else "")


def failed_unless(*success: int):  # noqa: ANN201
    """Count a request against the username limit only when it did not succeed (wrong passwords)."""

    def failed(response: Response) -> bool:
        return response.status_code not in success

    return failed
