"""Security headers on every response (CSP without inline script, framing, sniffing, referrer)."""

from __future__ import annotations

import re
from typing import Any

from flask import Flask, Response, abort, request
from flask_babel import gettext as _
from werkzeug.routing import IntegerConverter

from processes.bounds import MAX_ID
from processes.errors import Invalid
from webapp.errors import json_error, wants_json
from webapp.formjson import nul_paths, read_json

CSP = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self' 'unsafe-inline'",  # bpmn-js sets SVG style attributes; scripts stay strict
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


class IdConverter(IntegerConverter):
    """`<int:…>` in every route: at most 2**31 - 1, the largest PostgreSQL INTEGER. A larger number
    cannot be an id; without the bound it reached the database and crashed the request (SQLite:
    OverflowError, PostgreSQL: integer out of range) instead of answering 404."""

    def __init__(self, map, fixed_digits: int = 0, min: int | None = None,  # noqa: A002,ANN001
                 max: int | None = None, signed: bool = False) -> None:  # noqa: A002
        super().__init__(map, fixed_digits, min, MAX_ID if max is None else max, signed)


SUSPECT_ESCAPES = re.compile(rb"\\u0000|\\u[dD][89a-fA-F]")  # a NUL or a surrogate, escaped in JSON


def register(app: Flask) -> None:
    from webapp import startup

    startup.prepare(app)  # secret key, start-up log, production's refusals (issue #17)

    @app.before_request
    def refuse_nul_bytes() -> Any:
        """No text field of this product may hold a NUL byte (PostgreSQL refuses them): the API
        answers 422 naming each field (issue #15), a page 400."""
        if "\x00" in request.path:
            abort(400, description="Input contains a NUL byte.")
        fields = [name or "" for name, value in [*request.args.items(multi=True), *request.form.items(multi=True)]
                  if "\x00" in (name or "") or "\x00" in (value or "")]  # a multipart part may have no name
        if request.is_json and SUSPECT_ESCAPES.search(request.get_data(cache=True)):
            try:
                fields += nul_paths(read_json(request.get_data(cache=True)))
            except Invalid:
                pass  # not JSON: the endpoint says so
        if not fields:
            return None
        if wants_json():
            return json_error(422, "invalid", _("Text may not contain a NUL character."),
                              {name: [_("Text may not contain a NUL character.")] for name in fields})
        abort(400, description=_("Text may not contain a NUL character.") + " " + ", ".join(fields))

    @app.after_request
    def headers(response: Response) -> Response:
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        if app.config.get("SESSION_COOKIE_SECURE"):
            response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
        return response
