"""Limits on password attempts (issue #17): per client address and per username, on sign-in, token
issue and the password-change form, and the per-(username, address) lock of processes/accounts.py.

The client address is `request.remote_addr`, which ProxyFix sets from X-Forwarded-For when
TRUSTED_PROXIES says how many proxies to believe (webapp/startup.py). With several workers or
servers the counts live in RATELIMIT_STORAGE_URI (e.g. memcached://…); the locks live in the database.
"""

from __future__ import annotations

from flask import Response, current_app, request
from flask_login import current_user
from itsdangerous import BadSignature, URLSafeTimedSerializer

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


DEVICE_COOKIE = "tz_device"
DEVICE_DAYS = 180
_DEVICE_SALT = "known-device"


def _device_names() -> list[str]:
    raw = request.cookies.get(DEVICE_COOKIE)
    if not raw:
        return []
    try:
        names = URLSafeTimedSerializer(current_app.secret_key, salt=_DEVICE_SALT).loads(
            raw, max_age=DEVICE_DAYS * 86400)
    except BadSignature:
        return []
    return [n for n in names if isinstance(n, str)] if isinstance(names, list) else []


def known_device() -> bool:
    """Whether this browser signed in before as the username it now types (a signed cookie).

    Such a sign-in skips the per-username limit: wrong passwords sent for a name from elsewhere (to
    lock its owner out) never stop its owner's own browsers; the per-address limit and the
    per-(username, address) lock still apply (issue #17, OWASP's device cookies).
    """
    return typed_username() in _device_names()


def remember_device(response: Response, username: str) -> Response:
    """After a successful sign-in: remember this browser for `username` (at most 5 names kept)."""
    names = [n for n in _device_names() if n != "user:" + username.casefold()][-4:] + ["user:" + username.casefold()]
    value = URLSafeTimedSerializer(current_app.secret_key, salt=_DEVICE_SALT).dumps(names)
    response.set_cookie(DEVICE_COOKIE, value, max_age=DEVICE_DAYS * 86400, httponly=True, samesite="Lax",
                        secure=bool(current_app.config.get("SESSION_COOKIE_SECURE")))
    return response


def failed_unless(*success: int):  # noqa: ANN201
    """Count a request against the username limit only when it did not succeed (wrong passwords)."""

    def failed(response: Response) -> bool:
        return response.status_code not in success

    return failed
