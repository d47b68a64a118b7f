"""Token issue and revocation, and the `api_login_required` decorator."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import g, request

from models import ApiToken, Role, User, db
from processes import accounts
from webapp.api import bp
from webapp.auth import limits
from webapp.errors import json_error
from webapp.extensions import limiter


def _bearer() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    return value.strip() if scheme.lower() == "bearer" and value.strip() else None


def api_login_required(*roles: Role) -> Callable:
    """Authenticate by bearer token (401 otherwise); with roles, also authorize (403)."""

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            raw = _bearer()
            user = accounts.user_for_token(raw) if raw else None
            if user is None:
                return json_error(401, "unauthorized", "A valid bearer token is required.")
            if roles and user.role not in roles:
                return json_error(403, "forbidden", "Your role may not use this endpoint.")
            g.api_user = user
            g.api_token = raw
            db.session.commit()  # last_used_at
            return view(*args, **kwargs)

        wrapped.allowed_roles = roles or tuple(Role)  # type: ignore[attr-defined]
        return wrapped

    return decorator


def api_user() -> User:
    return g.api_user


TOKEN_FIELDS = {"username", "password", "name", "label"}


@bp.post("/tokens")
@limiter.limit(limits.address_limit)
@limiter.shared_limit(limits.username_limit, limits.USERNAME_SCOPE, key_func=limits.typed_username,
                      deduct_when=limits.failed_unless(201))
def create_token():  # noqa: ANN201
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        return json_error(422, "invalid", "Send a JSON object with username and password.",
                          {"username": ["Required."], "password": ["Required."]})
    fields = {name: ["Required."] for name in ("username", "password") if not isinstance(body.get(name), str)
              or not body.get(name)}
    fields |= {name: ["Unknown field."] for name in sorted(set(body) - TOKEN_FIELDS)}  # strict, like every body
    if not isinstance(body.get("name", body.get("label", "")), str | None):
        fields["name"] = ["Text (a JSON string)."]
    if fields:
        return json_error(422, "invalid", "Missing credentials.", fields)
    try:
        user = accounts.authenticate(body["username"], body["password"], limits.throttle())
    except accounts.LoginFailed:
        db.session.commit()
        return json_error(401, "unauthorized", "Wrong username or password, or the account is locked.")
    name = body.get("name", body.get("label"))  # "label": the field's name before issue #17
    token, raw = accounts.issue_token(user, name if isinstance(name, str) else None)
    db.session.commit()
    return {"token": raw, **token_json(token)}, 201


def _iso(value: Any) -> str | None:
    return accounts.aware(value).isoformat() if value is not None else None


def token_json(token: ApiToken) -> dict[str, Any]:
    """A token as listed: never its value (only a hash is stored)."""
    return {"id": token.id, "name": token.name, "state": accounts.token_state(token),
            "created_at": _iso(token.created_at), "expires_at": _iso(token.expires_at),
            "last_used_at": _iso(token.last_used_at), "revoked_at": _iso(token.revoked_at),
            "revoked_reason": token.revoked_reason}


@bp.get("/tokens")
@api_login_required()
def list_tokens():  # noqa: ANN201
    """The caller's API tokens with name, expiry, last use and state (never their values)."""
    return {"items": [token_json(t) for t in accounts.tokens_of(api_user())]}


@bp.delete("/tokens/current")
@api_login_required()
def revoke_current_token():  # noqa: ANN201
    accounts.revoke_token(api_user(), raw=g.api_token)
    db.session.commit()
    return "", 204


@bp.delete("/tokens/<int:token_id>")
@api_login_required()
def revoke_token(token_id: int):  # noqa: ANN201
    if accounts.revoke_token(api_user(), token_id=token_id) is None:
        return json_error(404, "not_found", "No such token of yours.")
    db.session.commit()
    return "", 204
