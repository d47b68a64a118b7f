"""Service-layer errors; the web and API layers translate them to HTTP answers."""

from __future__ import annotations


class ServiceError(Exception):
    """Base class: `code` is the API error code, `status` the HTTP status it maps to."""

    code = "error"
    status = 400

    def __init__(self, message: object, fields: dict[str, list] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.fields = fields or {}


class NotFound(ServiceError):
    code, status = "not_found", 404


class Forbidden(ServiceError):
    code, status = "forbidden", 403


class Conflict(ServiceError):
    code, status = "conflict", 409


class Invalid(ServiceError):
    code, status = "invalid", 422
