"""Shared fixtures: one app per test session (SQLite in memory, or PostgreSQL via DATABASE_URL),
every table emptied after each test, demo data on demand, and an `auth` helper."""

from __future__ import annotations

import contextvars
import os
import re
from collections.abc import Iterator

import pytest
from flask import Flask, has_app_context
from flask.testing import FlaskClient
from sqlalchemy import text

from config import TestConfig
from models import db
from processes.demo import DEMO_PASSWORD, load_demo_data
from webapp import create_app


@pytest.fixture(scope="session")
def app() -> Iterator[Flask]:
    app = create_app(TestConfig)
    with app.app_context():
        db.drop_all()
        db.create_all()
        yield app
        db.session.remove()
        db.drop_all()


@pytest.fixture(autouse=True)
def _clean_tables(app: Flask) -> Iterator[None]:
    yield
    db.session.rollback()
    tables = [t.name for t in reversed(db.metadata.sorted_tables)]
    if db.engine.dialect.name == "postgresql":
        db.session.execute(text("TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " RESTART IDENTITY CASCADE"))
    else:
        for table in tables:
            db.session.execute(text(f'DELETE FROM "{table}"'))
    db.session.commit()
    db.session.remove()


@pytest.fixture()
def demo(app: Flask) -> None:
    load_demo_data()
    db.session.commit()


class IsolatedClient(FlaskClient):
    """Run each request in an empty context, as a real server would: its own app context,
    `g` and database session, not the test's."""

    def open(self, *args, **kwargs):  # noqa: ANN002,ANN003,ANN201
        response = contextvars.Context().run(super().open, *args, **kwargs)
        if has_app_context():  # (not inside a followed redirect)
            db.session.expire_all()  # the test's session must see what the request committed
        return response


@pytest.fixture()
def client(app: Flask) -> FlaskClient:
    app.test_client_class = IsolatedClient
    return app.test_client()


@pytest.fixture()
def runner(app: Flask):  # noqa: ANN201
    return app.test_cli_runner()


CSRF_RE = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"|name="csrf_token" value="([^"]+)"')


def csrf_token(client: FlaskClient, url: str) -> str:
    """GET a page and return the CSRF token of its first form."""
    html = client.get(url).get_data(as_text=True)
    match = CSRF_RE.search(html)
    assert match, f"no CSRF token on {url}"
    return match.group(1) or match.group(2)


class AuthActions:
    def __init__(self, client: FlaskClient) -> None:
        self.client = client

    def login(self, username: str = "organizer", password: str = DEMO_PASSWORD, follow: bool = False):  # noqa: ANN201
        token = csrf_token(self.client, "/login")
        return self.client.post(
            "/login",
            data={"username": username, "password": password, "csrf_token": token},
            follow_redirects=follow,
        )

    def logout(self):  # noqa: ANN201
        token = csrf_token(self.client, "/account/password")
        return self.client.post("/logout", data={"csrf_token": token})


@pytest.fixture()
def auth(client: FlaskClient) -> AuthActions:
    return AuthActions(client)


@pytest.fixture()
def api_token(client: FlaskClient):  # noqa: ANN201
    """Return a function that signs in through the API and returns the bearer header."""

    def _token(username: str = "organizer", password: str = DEMO_PASSWORD) -> dict[str, str]:
        response = client.post("/api/v1/tokens", json={"username": username, "password": password})
        assert response.status_code == 201, response.get_json()
        return {"Authorization": f"Bearer {response.get_json()['token']}"}

    return _token


@pytest.fixture()
def make_event(demo):  # noqa: ANN001,ANN201
    """Return a function creating a bare Event row (no process) for domain-service tests."""
    from datetime import date, timedelta

    from models import Event, Organization, User
    from models.event import EventKind, Sector, Tier
    from models.org import OrganizerType

    def _make(participants: int = 600, *, organization: str = "济宁会展服务有限公司", days_from_now: int = 30,
              length_days: int = 2, sector: Sector = Sector.COMMERCE, county: str = "任城区", **extra):  # noqa: ANN003
        org = db.session.execute(db.select(Organization).filter_by(name=organization)).scalar_one()
        creator = db.session.execute(db.select(User).filter_by(organization_id=org.id)).scalars().first()
        starts = date.today() + timedelta(days=days_from_now)
        tier = Tier.THIRD_PARTY if participants >= 500 else (
            Tier.SELF_COMMITMENT if participants >= 200 else Tier.OUT_OF_SCOPE)
        values = dict(
            name="测试展览会", kind=EventKind.EXHIBITION, sector=sector, organizers=[org.name],
            organizer_type=OrganizerType.ENTERPRISE, participants=participants, starts_on=starts,
            ends_on=starts + timedelta(days=length_days - 1), venue="济宁国际会展中心", county=county,
            fiscal_funding_requested=False, tier=tier, organization_id=org.id, created_by_id=creator.id,
        )
        values.update(extra)
        event = Event(**values)
        db.session.add(event)
        db.session.flush()
        return event

    return _make


# The databases a concurrency test runs on: a SQLite file (several connections, the embedded
# default) always, and PostgreSQL when the suite runs there (CI's second pass).
CONCURRENT_DATABASES = ["sqlite_file"] + (["postgresql"] if os.environ.get("DATABASE_URL", "").startswith(
    "postgresql") else [])


@pytest.fixture()
def file_sqlite_app(tmp_path) -> Iterator[Flask]:  # noqa: ANN001
    """An app on its own SQLite file with the demo data: each thread gets its own connection, as with
    several workers."""

    class FileConfig(TestConfig):
        SQLALCHEMY_DATABASE_URI = f"sqlite:///{tmp_path / 'concurrent.sqlite'}"

    app = create_app(FileConfig)
    with app.app_context():  # the session's app context is active; this one must be current
        db.create_all()
        load_demo_data()
        db.session.commit()
        yield app
        db.session.remove()
        db.engine.dispose()


@pytest.fixture(params=CONCURRENT_DATABASES)
def concurrent_app(request: pytest.FixtureRequest) -> Flask:
    """An app whose threads write at the same moment through their own connections."""
    if request.param == "sqlite_file":
        return request.getfixturevalue("file_sqlite_app")
    request.getfixturevalue("demo")
    return request.getfixturevalue("app")
