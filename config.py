"""Configuration: Config (development), TestConfig, ProductionConfig; everything from env vars."""

from __future__ import annotations

import os
import secrets
from datetime import timedelta
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent


def _bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _days(name: str, default: str) -> tuple[int, ...]:
    """A comma-separated list of whole days, e.g. "30,7", largest first."""
    raw = os.environ.get(name, default)
    return tuple(sorted({int(part) for part in raw.split(",") if part.strip()}, reverse=True))


# Keys that were, or look like, example values: production refuses them (issue #17).
KNOWN_DEFAULT_KEYS = {"dev-only-not-secret", "test-secret", "secret", "secret-key", "secretkey", "changeme",
                      "change-me", "change_me", "please-change-me", "your-secret-key", "development", "dev"}
MIN_SECRET_KEY_LENGTH = 32


class Config:
    """Development defaults; every value may be overridden by an environment variable."""

    ENV_NAME = "development"
    # Unset: generated once and kept in the instance folder (webapp/startup.py); never a constant here.
    SECRET_KEY: str | None = os.environ.get("SECRET_KEY") or None
    # None means "SQLite file in the Flask instance folder" (filled in by create_app).
    SQLALCHEMY_DATABASE_URI: str | None = os.environ.get("DATABASE_URL")
    SQLALCHEMY_ENGINE_OPTIONS: dict = {"pool_pre_ping": True}
    # PostgreSQL: psycopg prepares a statement from its 5th use on a connection (docs/operations.md).
    # Set to 0 behind a pooler in transaction mode that does not track prepared statements (PgBouncer
    # before 1.21, or without max_prepared_statements).
    DATABASE_PREPARED_STATEMENTS: bool = _bool("DATABASE_PREPARED_STATEMENTS", True)
    UPLOAD_DIR: str | None = os.environ.get("UPLOAD_DIR")
    MAX_UPLOAD_MB: int = int(os.environ.get("MAX_UPLOAD_MB", "20"))
    # A registry's public export (issue #22): larger imports are refused whole with 413.
    REGISTRY_IMPORT_MAX_MB: int = int(os.environ.get("REGISTRY_IMPORT_MAX_MB", "200"))
    BABEL_DEFAULT_LOCALE: str = os.environ.get("BABEL_DEFAULT_LOCALE", "zh_Hans_CN")
    # Times are stored in UTC and shown in this zone (pages, exports, documents; processes/localtime.py).
    TIMEZONE: str = os.environ.get("TIMEZONE", "Asia/Shanghai")
    BABEL_DEFAULT_TIMEZONE: str = TIMEZONE
    LANGUAGES: tuple[str, ...] = ("zh_Hans_CN", "en")
    BPMN_DIR: str = os.environ.get("BPMN_DIR", str(PROJECT_ROOT / "bpmn"))
    MIGRATIONS_DIR: str = str(PROJECT_ROOT / "migrations")

    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = _bool("SESSION_COOKIE_SECURE", False)
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    PERMANENT_SESSION_LIFETIME = timedelta(hours=int(os.environ.get("SESSION_HOURS", "8")))
    WTF_CSRF_TIME_LIMIT: int | None = None  # valid for the session's lifetime

    # Lock of one client address out of one account after repeated wrong passwords (issues #2, #17).
    LOGIN_MAX_FAILURES: int = int(os.environ.get("LOGIN_MAX_FAILURES", "5"))
    LOGIN_LOCK_MINUTES: int = int(os.environ.get("LOGIN_LOCK_MINUTES", "15"))

    API_TOKEN_DAYS: int = int(os.environ.get("API_TOKEN_DAYS", "90"))  # a new API token expires after this

    RATELIMIT_ENABLED: bool = _bool("RATELIMIT_ENABLED", True)
    RATELIMIT_STORAGE_URI: str = os.environ.get("RATELIMIT_STORAGE_URI", "memory://")
    RATELIMIT_LOGIN: str = os.environ.get("RATELIMIT_LOGIN", "20 per minute")  # per client address
    # Wrong passwords for one username from all addresses together (issue #17).
    RATELIMIT_LOGIN_USER: str = os.environ.get("RATELIMIT_LOGIN_USER", "10 per minute")
    # Proxies in front that set X-Forwarded-For/-Proto (nginx: 1). 0 trusts no header: behind a proxy
    # every client would share the proxy's address, and one client's limit would be everyone's.
    TRUSTED_PROXIES: int = int(os.environ.get("TRUSTED_PROXIES", "0"))

    # Email and reminders (issue #8). Email is off while MAIL_SERVER is unset.
    MAIL_SERVER: str | None = os.environ.get("MAIL_SERVER") or None
    MAIL_PORT: int = int(os.environ.get("MAIL_PORT", "25"))
    MAIL_USERNAME: str | None = os.environ.get("MAIL_USERNAME") or None
    MAIL_PASSWORD: str | None = os.environ.get("MAIL_PASSWORD") or None
    MAIL_USE_TLS: bool = _bool("MAIL_USE_TLS", False)  # STARTTLS
    MAIL_USE_SSL: bool = _bool("MAIL_USE_SSL", False)  # implicit TLS (usually port 465)
    MAIL_FROM: str = os.environ.get("MAIL_FROM", "tanzhong@localhost")
    MAIL_TIMEOUT: int = int(os.environ.get("MAIL_TIMEOUT", "10"))  # seconds per SMTP connection
    MAIL_MAX_ATTEMPTS: int = int(os.environ.get("MAIL_MAX_ATTEMPTS", "8"))  # then the message is "failed"
    MAIL_RETRY_SECONDS: int = int(os.environ.get("MAIL_RETRY_SECONDS", "60"))  # first back-off, doubling
    MAIL_SEND_AFTER_REQUEST: bool = _bool("MAIL_SEND_AFTER_REQUEST", True)  # else only the tick sends
    PUBLIC_BASE_URL: str = os.environ.get("PUBLIC_BASE_URL", "http://127.0.0.1:5000")  # links in emails
    REMINDER_DEADLINE_DAYS: tuple[int, ...] = _days("REMINDER_DEADLINE_DAYS", "30,7")  # R-TIME-1, R-TIME-2
    REMINDER_TASK_DAYS: tuple[int, ...] = _days("REMINDER_TASK_DAYS", "3")  # before a task's due date


class TestConfig(Config):
    """Tests: a throw-away database (DATABASE_URL if set, else in-memory SQLite), CSRF on."""

    TESTING = True
    ENV_NAME = "testing"
    SECRET_KEY = secrets.token_hex(32)  # a new one per test run
    SQLALCHEMY_DATABASE_URI = os.environ.get("DATABASE_URL") or "sqlite://"
    RATELIMIT_ENABLED = False
    SESSION_COOKIE_SECURE = False
    PASSWORD_HASH_METHOD = "pbkdf2:sha256:1000"  # noqa: S105 - fast, for tests only
    MAIL_SERVER = None  # tests that send mail point it at a local SMTP sink
    MAIL_FROM = "tanzhong@test.invalid"
    MAIL_TIMEOUT = 5
    PUBLIC_BASE_URL = "https://tanzhong.test"
    REMINDER_DEADLINE_DAYS = (30, 7)
    REMINDER_TASK_DAYS = (3,)


class ProductionConfig(Config):
    """Production: a real SECRET_KEY is mandatory and cookies are Secure."""

    ENV_NAME = "production"
    SECRET_KEY = os.environ.get("SECRET_KEY")
    SESSION_COOKIE_SECURE = _bool("SESSION_COOKIE_SECURE", True)
    REMEMBER_COOKIE_SECURE = SESSION_COOKIE_SECURE

    def __init__(self) -> None:
        # Read at instantiation so a deployment can set the variable after import.
        self.SECRET_KEY = os.environ.get("SECRET_KEY")
        problem = secret_key_problem(self.SECRET_KEY)
        if problem:
            raise RuntimeError(
                f"SECRET_KEY {problem}: production refuses to start. Set SECRET_KEY to a long random value, "
                "e.g. `python -c 'import secrets; print(secrets.token_hex(32))'`."
            )


def secret_key_problem(key: str | None) -> str | None:
    """What is wrong with a production secret key: unset, short, a known example value, or too uniform."""
    if not key:
        return "is not set"
    if len(key) < MIN_SECRET_KEY_LENGTH:
        return f"is shorter than {MIN_SECRET_KEY_LENGTH} characters"
    if key.strip().lower() in KNOWN_DEFAULT_KEYS or len(set(key)) < 10:
        return "is a known example value or not random"
    return None


CONFIGS = {"development": Config, "testing": TestConfig, "production": ProductionConfig}
