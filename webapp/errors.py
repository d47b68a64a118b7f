"""Friendly HTML error pages, and the API's JSON error format for /api/ paths."""

from __future__ import annotations

from flask import Flask, g, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DataError, DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from werkzeug.exceptions import HTTPException, InternalServerError

from models import db
from processes.errors import ServiceError
from webapp.extensions import login_manager

TITLES = {
    400: _l("Bad request"),
    401: _l("Please sign in"),
    403: _l("Not allowed"),
    404: _l("Not found"),
    405: _l("Method not allowed"),
    409: _l("Conflict"),
    413: _l("File too large"),
    422: _l("Invalid input"),
    429: _l("Too many requests"),
    500: _l("Something went wrong"),
    503: _l("Temporarily unavailable"),
    507: _l("Storage full or unavailable"),
}
RETRY_AFTER_SECONDS = 10  # told to clients when the database is unreachable


def wants_json() -> bool:
    return request.path.startswith("/api/")


def json_error(status: int, code: str, message: object, fields: dict | None = None) -> tuple[dict, int]:
    body: dict = {"error": code, "message": str(message)}
    if fields:
        body["fields"] = {name: [str(e) for e in errors] for name, errors in fields.items()}
    return body, status


def _code_for(status: int) -> str:
    return {
        400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
        405: "method_not_allowed", 409: "conflict", 413: "too_large", 422: "invalid",
        429: "rate_limited", 503: "unavailable", 507: "storage_unavailable",
    }.get(status, "server_error")


def _number_out_of_range(exc: Exception) -> bool:
    """SQLite cannot bind the integer (OverflowError); PostgreSQL: numeric_value_out_of_range (22003)."""
    if isinstance(exc, OverflowError):
        return True
    return isinstance(exc, DataError) and getattr(exc.orig, "sqlstate", None) == "22003"


def _database_unavailable(exc: BaseException) -> bool:
    """The database cannot be reached: restarted, connection killed, pool exhausted, or locked (SQLite)."""
    return isinstance(exc, OperationalError | InterfaceError | PoolTimeout) or (
        isinstance(exc, DBAPIError) and exc.connection_invalidated)


def register(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(exc: CSRFError):  # noqa: ANN202
        return render_template("errors/error.html", status=400, title=_("Form expired"),
                               message=_("The form was not accepted (missing or expired security token). "
                                         "Go back, reload the page and submit again.")), 400

    @app.errorhandler(ServiceError)
    def service_error(exc: ServiceError):  # noqa: ANN202
        db.session.rollback()
        if wants_json():
            return json_error(exc.status, exc.code, exc.message, exc.fields)
        return render_template("errors/error.html", status=exc.status, title=TITLES.get(exc.status, _("Error")),
                               message=exc.message), exc.status

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):  # noqa: ANN202
        status = exc.code or 500
        if wants_json():
            return json_error(status, _code_for(status), exc.description or str(TITLES.get(status, "")))
        return render_template("errors/error.html", status=status, title=TITLES.get(status, _("Error")),
                               message=None), status

    @app.errorhandler(Exception)
    def unexpected(exc: Exception):  # noqa: ANN202
        try:
            db.session.rollback()
        except Exception:  # a dead connection cannot roll back; the pool replaces it (pool_pre_ping)
            db.session.invalidate()
        if _database_unavailable(exc):
            # Issue #17: a database restart answers 503 with Retry-After, pages and API alike; the pool
            # drops the dead connections (pool_pre_ping) and the next request reconnects, no restart.
            app.logger.warning("Database unavailable in %s %s: %s", request.method, request.path, exc)
            g._login_user = login_manager.anonymous_user()  # the page must not ask the database who is signed in
            headers = {"Retry-After": str(RETRY_AFTER_SECONDS)}
            message = _("The database is unavailable for a moment; nothing was saved. Try again in a few seconds.")
            if wants_json():
                body, status = json_error(503, "unavailable", message)
                return body, status, headers
            return render_template("errors/error.html", status=503, title=TITLES[503], message=message), 503, headers
        if _number_out_of_range(exc):
            # A number typed into a form, a query or a JSON body that no column can hold (ids are
            # PostgreSQL INTEGERs): the request is wrong, not the server.
            app.logger.warning("Number out of range in %s %s: %s", request.method, request.path, exc)
            if wants_json():
                return json_error(400, "bad_request", "A number in the request is out of range.")
            return render_template("errors/error.html", status=400, title=TITLES[400],
                                   message=_("A number in the request is out of range.")), 400
        app.logger.exception("Unhandled error")
        if wants_json():
            return json_error(500, "server_error", "Internal error; it has been logged.")
        return render_template("errors/error.html", status=500, title=TITLES[500], message=None), 500

    # Keep Werkzeug's InternalServerError (e.g. from abort(500)) on the same page.
    app.register_error_handler(InternalServerError, unexpected)
