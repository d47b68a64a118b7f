"""The Flask application factory."""

from __future__ import annotations

import os
from pathlib import Path

from flask import Flask

from config import CONFIGS, Config


def create_app(config_object: object | str | None = None) -> Flask:
    """Create the app: config → extensions → blueprints → error handlers → CLI."""
    app = Flask(__name__, instance_relative_config=True)
    app.jinja_env.add_extension("jinja2.ext.do")
    from webapp.security import IdConverter

    app.url_map.converters["int"] = IdConverter  # ids beyond the database's integers: 404, not a 500
    _configure(app, config_object)

    from models import db
    from models.db import end_read_only_transaction
    from webapp.extensions import babel, csrf, limiter, login_manager, migrate, select_locale

    db.init_app(app)

    @app.teardown_appcontext
    def end_read_only(exc: BaseException | None) -> None:
        # Before Flask-SQLAlchemy removes the session (teardowns run in reverse order): a request that
        # only read commits, so PostgreSQL keeps its prepared statements (models/db.py).
        if exc is None:
            try:
                end_read_only_transaction(db.session())
            except Exception:  # the session's removal rolls back; the response is already made
                app.logger.exception("could not end a read-only transaction")

    migrate.init_app(app, db, directory=app.config["MIGRATIONS_DIR"])
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale)
    limiter.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = None

    from webapp.auth.sessions import load_user

    login_manager.user_loader(load_user)  # sessions that end: webapp/auth/sessions.py

    from webapp import (
        admin,
        api,
        audit,
        auth,
        dashboard,
        documents,
        events,
        main,
        notifications,
        public,
        registry,
        supervision,
        tasks,
    )

    app.register_blueprint(auth.bp)
    app.register_blueprint(main.bp)
    app.register_blueprint(events.bp)
    app.register_blueprint(tasks.bp)
    app.register_blueprint(admin.bp)
    app.register_blueprint(audit.bp)
    app.register_blueprint(dashboard.bp)
    app.register_blueprint(notifications.bp)
    app.register_blueprint(public.bp)  # no sign-in: what is disclosed (R-DIS-1, R-PLAT-1)
    app.register_blueprint(documents.bp)
    app.register_blueprint(supervision.bp)
    app.register_blueprint(registry.bp)  # registry data beside the ledger (issue #22, R-CAN-2)
    app.register_blueprint(api.bp)
    csrf.exempt(api.bp)  # the API authenticates with bearer tokens only, never cookies

    from processes.notifications import connect_subscribers

    connect_subscribers()  # in-app notifications and emails for the domain signals (issue #8)

    from webapp import errors, security, templating

    errors.register(app)
    security.register(app)
    templating.register(app)

    from webapp import cli, factors_cli, registry_cli

    cli.register(app)
    factors_cli.register(app)
    registry_cli.register(app)
    return app


def _configure(app: Flask, config_object: object | str | None) -> None:
    name = config_object if isinstance(config_object, str) else None
    if config_object is None or name is not None:
        name = name or os.environ.get("TANZHONG_ENV", "development")
        config_object = CONFIGS[name]
    if isinstance(config_object, type):
        config_object = config_object()
    app.config.from_object(config_object)
    app.config["MAX_CONTENT_LENGTH"] = int(app.config.get("MAX_UPLOAD_MB", 20)) * 1024 * 1024
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    if not app.config.get("SQLALCHEMY_DATABASE_URI"):
        app.config["SQLALCHEMY_DATABASE_URI"] = "sqlite:///" + str(Path(app.instance_path) / "tanzhong.sqlite")
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql") and not app.config.get(
            "DATABASE_PREPARED_STATEMENTS", True):
        options = dict(app.config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
        options["connect_args"] = {**options.get("connect_args", {}), "prepare_threshold": None}
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = options
    if not app.config.get("UPLOAD_DIR"):
        app.config["UPLOAD_DIR"] = str(Path(app.instance_path) / "uploads")
    app.config.setdefault("BPMN_DIR", Config.BPMN_DIR)
