"""Rate limit of sign-in and token issue (Flask-Limiter): the N+1st attempt in the window gets 429.

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


class LimitedConfig(TestConfig):
    SQLALCHEMY_DATABASE_URI = "sqlite://"  # its own database, also when the suite runs on PostgreSQL
    RATELIMIT_ENABLED = True
    RATELIMIT_STORAGE_URI = "memory://"
    RATELIMIT_LOGIN = f"{LIMIT} per minute"


@pytest.fixture()
def limited_app() -> Iterator[Flask]:
    was_enabled = limiter.enabled
    app = create_app(LimitedConfig)
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


def _login_token(client) -> str:  # noqa: ANN001
    match = CSRF_RE.search(client.get("/login").get_data(as_text=True))
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
    # The page itself (GET) is not limited, and another address is not affected (another account:
    # five failures also locked `organizer` itself, LOGIN_MAX_FAILURES).
    assert client.get("/login", environ_base={"REMOTE_ADDR": "192.0.2.10"}).status_code == 200
    other = client.post("/login", data={"csrf_token": token, "username": "organizer2", "password": "demo12345"},
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
