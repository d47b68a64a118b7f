"""The JSON API (/api/v1): bearer tokens only, JSON errors, same services as the pages."""

from flask import Blueprint

bp = Blueprint("api", __name__, url_prefix="/api/v1")

from webapp.api import auth, lifecycle, openapi, participants, public, registry, resources  # noqa: E402,F401  (routes register on import)

__all__ = ["bp"]
