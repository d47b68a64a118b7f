"""Rate limits of sign-in, token issue and password change (Flask-Limiter): the N+1st attempt in the
window gets 429 — per client address (behind a trusted proxy: the forwarded one) and, for wrong
passwords, per username over all addresses (issue #17).

TestConfig switches the limiter off for the rest of the suite, so this test builds an app of its
own with RATELIMIT_ENABLED=True on an in-memory SQLite database. Flask-Limiter keeps its state
on the one module-level `limiter`, shared by every app: the test puts it back afterwards.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask

from config import TestConfig
from models import db
from processes.demo import load_demo_data
from tests.conftest import CSRF_RE, IsolatedClient
from webapp import create_app
from webapp.extensions import limiter

LIMIT = 5


USER_LIMIT = 3


class LimitedConfig(TestConfig):
    SQLALCHEMY_DATABASE_URI = "sqlite://"  # its own database, also when the suite runs on PostgreSQL
    RATELIMIT_ENABLED = True
    RATELIMIT_STORAGE_URI = "memory://"
    RATELIMIT_LOGIN = f"{LIMIT} per minute"
    RATELIMIT_LOGIN_USER = "1000 per minute"  # the address limit is tested alone; USER_LIMIT below
    LOGIN_MAX_FAILURES = 1000


def _limited(config: type) -> Iterator[Flask]:
    was_enabled = limiter.enabled
    app = create_app(config)
    app.test_client_class = IsolatedClient
    try:
        with app.app_context():
            db.create_all()
            load_demo_data()
            db.session.commit()
            limiter.reset()
            yield app
            db.session.remove()
    finally:
        limiter.enabled = was_enabled  # the suite's app runs without limits again
        limiter.reset()


@pytest.fixture()
def limited_app() -> Iterator[Flask]:
    yield from _limited(LimitedConfig)


class ProxiedConfig(LimitedConfig):
    TRUSTED_PROXIES = 1  # nginx in front


@pytest.fixture()
def proxied_app() -> Iterator[Flask]:
    yield from _limited(ProxiedConfig)


class UserLimitedConfig(LimitedConfig):
    RATELIMIT_LOGIN = "1000 per minute"
    RATELIMIT_LOGIN_USER = f"{USER_LIMIT} per minute"


@pytest.fixture()
def user_limited_app() -> Iterator[Flask]:
    yield from _limited(UserLimitedConfig)


def _login_token(client) -> str:  # noqa: ANN001
    return _page_token(client, "/login")


def _page_token(client, url: str) -> str:  # noqa: ANN001
    match = CSRF_RE.search(client.get(url).get_data(as_text=True))
    assert match
    return match.group(1) or match.group(2)


def test_login_is_limited_per_address(limited_app):  # noqa: ANN001
    client = limited_app.test_client()
    token = _login_token(client)
    statuses = [client.post("/login", data={"csrf_token": token, "username": "organizer", "password": "wrong"},
                            environ_base={"REMOTE_ADDR": "192.0.2.10"}).status_code for _ in range(LIMIT + 2)]
    assert statuses[:LIMIT] == [200] * LIMIT  # the form again, with "sign-in failed"
    assert statuses[LIMIT:] == [429, 429]
    # Even the right password is refused inside the window: no guessing around the limit.
    right = client.post("/login", data={"csrf_token": token, "username": "organizer", "password": "demo12345"},
                        environ_base={"REMOTE_ADDR": "192.0.2.10"})
    assert right.status_code == 429
    assert "text/html" in right.content_type
    # The page itself (GET) is not limited, and another address is not affected.
    assert client.get("/login", environ_base={"REMOTE_ADDR": "192.0.2.10"}).status_code == 200
    other = client.post("/login", data={"csrf_token": token, "username": "organizer", "password": "demo12345"},
                        environ_base={"REMOTE_ADDR": "192.0.2.11"})
    assert other.status_code == 302


def test_token_endpoint_is_limited(limited_app):  # noqa: ANN001
    client = limited_app.test_client()
    body = {"username": "organizer", "password": "wrong"}
    statuses = [client.post("/api/v1/tokens", json=body, environ_base={"REMOTE_ADDR": "192.0.2.20"}).status_code
                for _ in range(LIMIT + 1)]
    assert statuses == [401] * LIMIT + [429]
    limited = client.post("/api/v1/tokens", json={"username": "organizer", "password": "demo12345"},
                          environ_base={"REMOTE_ADDR": "192.0.2.20"})
    assert limited.status_code == 429
    assert limited.get_json()["error"] == "rate_limited"


def test_the_suite_app_is_not_limited_afterwards(app, demo, client):  # noqa: ANN001
    """Guard for the shared limiter: the rest of the suite signs in many times a minute."""
    assert limiter.enabled is False
    statuses = {client.post("/api/v1/tokens", json={"username": "organizer", "password": "x"}).status_code
                for _ in range(LIMIT + 3)}
    assert statuses == {401}


# --------------------------------------------------------------------------- behind a proxy (issue #17)
def _wrong_login(client, token: str, remote: str, forwarded: str | None = None, username: str = "organizer") -> int:  # noqa: ANN001
    headers = {"X-Forwarded-For": forwarded} if forwarded else {}
    return client.post("/login", data={"csrf_token": token, "username": username, "password": "wrong"},
                       environ_base={"REMOTE_ADDR": remote}, headers=headers).status_code


def test_behind_a_trusted_proxy_each_client_has_its_own_bucket(proxied_app):  # noqa: ANN001
    """Reproduction of the report: behind nginx every user shared the proxy's address and its limit."""
    client = proxied_app.test_client()
    token = _login_token(client)
    proxy = "10.0.0.1"
    statuses = [_wrong_login(client, token, proxy, "198.51.100.1") for _ in range(LIMIT + 1)]
    assert statuses[-1] == 429
    assert _wrong_login(client, token, proxy, "198.51.100.2") == 200  # another person behind the same proxy


def test_addresses_prepended_by_the_client_do_not_escape_the_limit(proxied_app):  # noqa: ANN001
    """With one trusted proxy only the address that proxy appended counts, whatever the client sent before it."""
    client = proxied_app.test_client()
    token = _login_token(client)
    statuses = [_wrong_login(client, token, "10.0.0.1", f"203.0.113.{n}, 198.51.100.9") for n in range(LIMIT + 1)]
    assert statuses[-1] == 429


def test_without_trusted_proxies_the_forwarded_header_is_ignored(limited_app):  # noqa: ANN001
    client = limited_app.test_client()
    token = _login_token(client)
    statuses = [_wrong_login(client, token, "192.0.2.30", f"203.0.113.{n}") for n in range(LIMIT + 1)]
    assert statuses[-1] == 429  # a made-up X-Forwarded-For per attempt does not give a fresh bucket


# --------------------------------------------------------------------------- per username (issue #17)
def test_wrong_passwords_for_one_username_are_limited_over_all_addresses(user_limited_app):  # noqa: ANN001
    client = user_limited_app.test_client()
    token = _login_token(client)
    statuses = [_wrong_login(client, token, f"192.0.2.{40 + n}") for n in range(USER_LIMIT + 1)]
    assert statuses == [200] * USER_LIMIT + [429]
    right = client.post("/login", data={"csrf_token": token, "username": " ORGANIZER ", "password": "demo12345"},
                        environ_base={"REMOTE_ADDR": "192.0.2.99"})
    assert right.status_code == 429  # other spellings of the name are the same bucket
    other = client.post("/login", data={"csrf_token": token, "username": "organizer2", "password": "demo12345"},
                        environ_base={"REMOTE_ADDR": "192.0.2.99"})
    assert other.status_code == 302  # another account is not affected


def test_successful_sign_ins_do_not_use_up_the_username_limit(user_limited_app):  # noqa: ANN001
    client = user_limited_app.test_client()
    token = _login_token(client)
    for n in range(USER_LIMIT * 2):
        response = client.post("/login", data={"csrf_token": token, "username": "organizer", "password": "demo12345"},
                               environ_base={"REMOTE_ADDR": f"192.0.2.{60 + n}"})
        assert response.status_code == 302
        client.delete_cookie("session")
        token = _login_token(client)


def test_sign_in_and_token_issue_share_the_username_count(user_limited_app):  # noqa: ANN001
    client = user_limited_app.test_client()
    token = _login_token(client)
    assert _wrong_login(client, token, "192.0.2.80") == 200
    for n in range(USER_LIMIT - 1):
        assert client.post("/api/v1/tokens", json={"username": "organizer", "password": "wrong"},
                           environ_base={"REMOTE_ADDR": f"192.0.2.{81 + n}"}).status_code == 401
    limited = client.post("/api/v1/tokens", json={"username": "organizer", "password": "demo12345"},
                          environ_base={"REMOTE_ADDR": "192.0.2.90"})
    assert limited.status_code == 429 and limited.get_json()["error"] == "rate_limited"


def test_the_password_change_form_is_limited_per_address(limited_app):  # noqa: ANN001
    """Reproduction of the report: 30 guesses of the current password in 3.6 s through the form."""
    client = limited_app.test_client()
    token = _login_token(client)
    client.post("/login", data={"csrf_token": token, "username": "organizer", "password": "demo12345"},
                environ_base={"REMOTE_ADDR": "192.0.2.50"})
    token = _page_token(client, "/account/password")
    form = {"csrf_token": token, "current_password": "guess", "new_password": "Quiet-harbour-1972",
            "confirm": "Quiet-harbour-1972"}
    statuses = [client.post("/account/password", data=form, environ_base={"REMOTE_ADDR": "192.0.2.50"}).status_code
                for _ in range(LIMIT + 1)]
    assert statuses[-1] == 429


def test_password_change_guesses_count_with_sign_in_failures_of_the_name(user_limited_app):  # noqa: ANN001
    client = user_limited_app.test_client()
    token = _login_token(client)
    client.post("/login", data={"csrf_token": token, "username": "organizer", "password": "demo12345"},
                environ_base={"REMOTE_ADDR": "192.0.2.51"})
    token = _page_token(client, "/account/password")
    form = {"csrf_token": token, "current_password": "guess", "new_password": "Quiet-harbour-1972",
            "confirm": "Quiet-harbour-1972"}
    statuses = [client.post("/account/password", data=form, environ_base={"REMOTE_ADDR": "192.0.2.51"}).status_code
                for _ in range(USER_LIMIT + 1)]
    assert statuses == [200] * USER_LIMIT + [429]
    stranger = user_limited_app.test_client()  # the name's wrong passwords are used up for sign-in too
    assert _wrong_login(stranger, _login_token(stranger), "192.0.2.52") == 429


def test_an_owner_s_own_browser_signs_in_while_others_flood_the_name(user_limited_app):  # noqa: ANN001
    """Wrong passwords for a name sent from elsewhere (to lock its owner out) use up the name's limit
    for unknown browsers only: a browser the owner signed in with before still gets in (issue #17)."""
    owner = user_limited_app.test_client()
    token = _login_token(owner)
    first = owner.post("/login", data={"csrf_token": token, "username": "organizer", "password": "demo12345"},
                       environ_base={"REMOTE_ADDR": "192.0.2.120"})
    assert first.status_code == 302 and owner.get_cookie("tz_device") is not None
    owner.delete_cookie("session")

    attacker = user_limited_app.test_client()
    attack_token = _login_token(attacker)
    statuses = [_wrong_login(attacker, attack_token, "198.51.100.7") for _ in range(USER_LIMIT + 3)]
    assert statuses[-1] == 429

    token = _login_token(owner)
    again = owner.post("/login", data={"csrf_token": token, "username": "organizer", "password": "demo12345"},
                       environ_base={"REMOTE_ADDR": "192.0.2.121"})
    assert again.status_code == 302  # the owner's browser is not locked out
    stranger = user_limited_app.test_client()
    stranger_token = _login_token(stranger)
    blocked = stranger.post("/login", data={"csrf_token": stranger_token, "username": "organizer",
                                            "password": "demo12345"}, environ_base={"REMOTE_ADDR": "192.0.2.122"})
    assert blocked.status_code == 429  # an unknown browser waits out the flood (documented)
    forged = user_limited_app.test_client()
    forged.set_cookie("tz_device", "forged-value")
    forged_token = _login_token(forged)
    assert forged.post("/login", data={"csrf_token": forged_token, "username": "organizer", "password": "x"},
                       environ_base={"REMOTE_ADDR": "192.0.2.123"}).status_code == 429
