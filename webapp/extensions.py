"""Flask extensions, created unbound and initialised in create_app."""

from __future__ import annotations

from flask import has_request_context, request, session
from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager, current_user
from flask_migrate import Migrate
from flask_wtf import CSRFProtect

from models import db

login_manager = LoginManager()
csrf = CSRFProtect()
migrate = Migrate()
babel = Babel()
limiter = Limiter(key_func=get_remote_address, default_limits=[])

SUPPORTED_LOCALES = ("zh_Hans_CN", "en")


def select_locale() -> str:
    """Explicit choice (?lang=, the session's switch, the user's profile), else Chinese."""
    if not has_request_context():
        return "zh_Hans_CN"  # CLI and background jobs
    wanted = request.args.get("lang") or session.get("lang")
    if not wanted and current_user and getattr(current_user, "is_authenticated", False):
        wanted = current_user.locale
    return wanted if wanted in SUPPORTED_LOCALES else "zh_Hans_CN"


__all__ = ["babel", "csrf", "db", "limiter", "login_manager", "migrate", "select_locale"]
