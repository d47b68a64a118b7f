"""What the app decides as it starts (issue #17): its secret key, which environment runs, and what
production refuses to start with."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import click
from flask import Flask
from sqlalchemy import inspect
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.middleware.proxy_fix import ProxyFix

KEY_FILE = "secret_key"


def instance_secret_key(instance_path: str) -> str:
    """Return the key kept in the instance folder, generating a random one on first use.

    Several processes may start at once (`make run`): the first to create the file wins, the others
    read it. The file is readable by its owner only.
    """
    path = Path(instance_path) / KEY_FILE
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        key = path.read_text(encoding="ascii").strip()
        if len(key) >= 32:
            return key
        raise RuntimeError(f"{path} holds no usable secret key: delete it to have a new one generated") from None
    with os.fdopen(fd, "w", encoding="ascii") as file:
        key = secrets.token_hex(32)
        file.write(key + "\n")
    return key


def serving() -> bool:
    """Whether the app is created to serve requests (gunicorn, `flask run`) rather than for a CLI command."""
    context = click.get_current_context(silent=True)
    return context is None or context.info_name == "run"


def refuse_demo_accounts(app: Flask) -> None:
    """Production does not start while a demo account with the published password can sign in.

    :raises RuntimeError: naming the accounts, or when the database cannot be asked.
    """
    from models import db
    from processes.accounts import active_demo_accounts

    with app.app_context():
        try:
            names = active_demo_accounts() if inspect(db.engine).has_table("user_account") else []
        except SQLAlchemyError as exc:
            raise RuntimeError(f"Production could not check for demo accounts (database unreachable?): {exc}") from exc
        finally:
            db.session.remove()
    if names:
        raise RuntimeError(
            f"Demo accounts with the published password are active: {', '.join(names)}. Production refuses to "
            "start: deactivate them (`flask --app webapp demo-data --deactivate`) or give them real passwords.")


def prepare(app: Flask) -> None:
    """Secret key, trusted proxies, start-up log line and production's refusals."""
    environment = app.config.get("ENV_NAME", "development")
    if not app.config.get("SECRET_KEY"):
        if environment == "production":
            raise RuntimeError("SECRET_KEY is not set: production refuses to start.")
        app.config["SECRET_KEY"] = instance_secret_key(app.instance_path)
        source = f"generated once and kept in {Path(app.instance_path) / KEY_FILE}"
    else:
        source = "from SECRET_KEY" if os.environ.get("SECRET_KEY") else "from the configuration"
    proxies = int(app.config.get("TRUSTED_PROXIES") or 0)
    if proxies > 0:  # the client address and scheme as the proxies in front saw them (rate limits, locks)
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies)  # type: ignore[method-assign]
    if serving():
        app.logger.warning("Tanzhong starts in %s mode (TANZHONG_ENV); secret key %s; %d trusted proxies; "
                           "rate-limit store %s.", environment, source, proxies,
                           str(app.config.get("RATELIMIT_STORAGE_URI", "memory://")).split("://")[0])
    if environment == "production" and serving():
        refuse_demo_accounts(app)
