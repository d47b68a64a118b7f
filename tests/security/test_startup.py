"""A safe default and a production that refuses to start unsafe (issue #17, threat 3): no constant
secret key anywhere, a generated key kept in the instance folder, production refusing missing, short
or example keys and active demo accounts, and a start-up log naming the environment."""

from __future__ import annotations

import logging
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from hypothesis import given, settings
from hypothesis import strategies as st
from itsdangerous import URLSafeTimedSerializer

from config import Config, ProductionConfig, TestConfig, secret_key_problem
from models import User, db
from processes.demo import DEMO_PASSWORD, load_demo_data
from webapp import create_app, startup
from webapp.extensions import limiter

GOOD_KEY = "4f9c2b7e1d0a8c6f3e5b9a7d2c4e6f8a0b1c3d5e7f9a2b4c6d8e0f1a3b5c7d9e"


@pytest.fixture()
def own_instance(monkeypatch, tmp_path: Path) -> Path:  # noqa: ANN001
    """Apps created in the test use tmp_path as their instance folder (not the repository's)."""
    monkeypatch.setattr(Flask, "auto_find_instance_path", lambda self: str(tmp_path))
    return tmp_path


@pytest.fixture()
def limiter_kept() -> Iterator[None]:
    was = limiter.enabled
    yield
    limiter.enabled = was


class DevConfig(Config):
    SECRET_KEY = None
    SQLALCHEMY_DATABASE_URI = "sqlite://"
    RATELIMIT_ENABLED = False


def test_no_constant_secret_key_in_the_configuration(monkeypatch):  # noqa: ANN001
    monkeypatch.delenv("SECRET_KEY", raising=False)
    import importlib

    import config

    fresh = importlib.reload(config)
    try:
        assert fresh.Config.SECRET_KEY is None
        assert fresh.TestConfig.SECRET_KEY != TestConfig.SECRET_KEY  # random per run, not a constant
    finally:
        importlib.reload(config)


def test_development_without_secret_key_generates_one_once_and_keeps_it(own_instance, limiter_kept):  # noqa: ANN001
    first = create_app(DevConfig)
    key_file = own_instance / startup.KEY_FILE
    assert key_file.exists() and stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert first.config["SECRET_KEY"] == key_file.read_text().strip()
    assert len(first.config["SECRET_KEY"]) >= 32
    second = create_app(DevConfig)
    assert second.config["SECRET_KEY"] == first.config["SECRET_KEY"]  # sessions survive a restart


def test_two_instances_get_different_keys(tmp_path):  # noqa: ANN001
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    assert startup.instance_secret_key(str(tmp_path / "a")) != startup.instance_secret_key(str(tmp_path / "b"))


def test_a_damaged_key_file_stops_the_start(tmp_path):  # noqa: ANN001
    (tmp_path / startup.KEY_FILE).write_text("short")
    with pytest.raises(RuntimeError, match="no usable secret key"):
        startup.instance_secret_key(str(tmp_path))


def test_the_old_public_development_key_opens_nothing(own_instance, limiter_kept):  # noqa: ANN001
    """Reproduction of the report: a cookie signed with the former constant opened /admin/users."""
    app = create_app(DevConfig)
    with app.app_context():
        db.create_all()
        load_demo_data()
        db.session.commit()
        admin_id = db.session.execute(db.select(User.id).filter_by(username="admin")).scalar_one()
        forged = URLSafeTimedSerializer("dev-only-not-secret", salt="cookie-session",
                                        signer_kwargs={"key_derivation": "hmac", "digest_method": "sha1"})
        cookie = forged.dumps({"_user_id": str(admin_id), "_fresh": True})
        client = app.test_client()
        client.set_cookie("session", cookie)
        response = client.get("/admin/users")
        assert response.status_code == 302 and "/login" in response.headers["Location"]
        db.session.remove()


def test_the_start_up_log_names_the_environment(own_instance, limiter_kept, caplog):  # noqa: ANN001
    with caplog.at_level(logging.WARNING):
        create_app(DevConfig)
    assert any("development mode" in r.getMessage() and str(own_instance) in r.getMessage() for r in caplog.records)


@pytest.mark.parametrize("key", [None, "", "short-key", "x" * 64, "dev-only-not-secret", "0123456789" * 3 + "0"])
def test_production_refuses_missing_short_or_example_keys(monkeypatch, key):  # noqa: ANN001
    if key is None:
        monkeypatch.delenv("SECRET_KEY", raising=False)
    else:
        monkeypatch.setenv("SECRET_KEY", key)
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        ProductionConfig()


@settings(max_examples=60, deadline=None)
@given(st.text(max_size=31))
def test_any_key_shorter_than_32_characters_is_refused(key):  # noqa: ANN001
    assert secret_key_problem(key) is not None


def test_a_random_key_is_accepted(monkeypatch):  # noqa: ANN001
    monkeypatch.setenv("SECRET_KEY", GOOD_KEY)
    assert ProductionConfig().SECRET_KEY == GOOD_KEY


# --------------------------------------------------------------------------- demo accounts in production
@pytest.fixture()
def prod_database(tmp_path, monkeypatch, own_instance, limiter_kept) -> Iterator[type]:  # noqa: ANN001
    """A production configuration on a SQLite file of its own, and a test app to prepare that file."""
    monkeypatch.setenv("SECRET_KEY", GOOD_KEY)
    url = f"sqlite:///{tmp_path / 'prod.sqlite'}"

    class Prod(ProductionConfig):
        SQLALCHEMY_DATABASE_URI = url
        RATELIMIT_ENABLED = False

    class Prepare(TestConfig):
        SQLALCHEMY_DATABASE_URI = url

    preparer = create_app(Prepare)
    with preparer.app_context():
        db.create_all()
        load_demo_data()
        db.session.commit()
        db.session.remove()
    Prod.preparer = preparer
    yield Prod
    with preparer.app_context():
        db.engine.dispose()


def _in(prod: type, change) -> None:  # noqa: ANN001
    with prod.preparer.app_context():
        change()
        db.session.commit()
        db.session.remove()


def test_production_refuses_to_start_with_active_demo_accounts(prod_database):  # noqa: ANN001
    with pytest.raises(RuntimeError, match="Demo accounts") as refused:
        create_app(prod_database)
    assert "organizer" in str(refused.value) and "admin" in str(refused.value)


def test_production_starts_once_the_demo_accounts_are_deactivated(prod_database, caplog):  # noqa: ANN001
    runner = prod_database.preparer.test_cli_runner()
    with prod_database.preparer.app_context():
        result = runner.invoke(args=["demo-data", "--deactivate"])
        db.session.remove()
    from processes.demo import DEMO_USERS

    assert result.exit_code == 0 and f"{len(DEMO_USERS)} demo account(s) deactivated" in result.output
    with caplog.at_level(logging.WARNING):
        app = create_app(prod_database)
    assert app.config["SECRET_KEY"] == GOOD_KEY
    assert any("production mode" in r.getMessage() for r in caplog.records)


def test_a_demo_account_with_a_real_password_does_not_block(prod_database):  # noqa: ANN001
    from processes import accounts

    def only_admin_left_with_new_password() -> None:
        for user in db.session.execute(db.select(User)).scalars():
            if user.username == "admin":
                user.password_hash = accounts.hash_password("a-Real-and-long-passphrase-77")
            else:
                user.active = False

    _in(prod_database, only_admin_left_with_new_password)
    create_app(prod_database)  # starts


def test_an_unmarked_account_named_like_a_demo_account_with_the_demo_password_blocks(prod_database):  # noqa: ANN001
    """Demo accounts made before the `demo` column existed are unmarked: the name and password still tell."""
    def unmark_and_deactivate_all_but_verifier() -> None:
        for user in db.session.execute(db.select(User)).scalars():
            user.demo = False
            user.active = user.username == "verifier"

    _in(prod_database, unmark_and_deactivate_all_but_verifier)
    with pytest.raises(RuntimeError, match="verifier"):
        create_app(prod_database)


def test_a_cli_command_in_production_is_not_refused(prod_database, monkeypatch):  # noqa: ANN001
    """`flask demo-data --deactivate` itself must run in production (it is how the refusal is lifted)."""
    monkeypatch.setattr(startup, "serving", lambda: False)
    create_app(prod_database)


def test_demo_password_is_still_the_documented_one(demo):  # noqa: ANN001
    from processes import accounts

    assert DEMO_PASSWORD == "demo12345"
    assert "organizer" in accounts.active_demo_accounts()
