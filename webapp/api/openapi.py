"""The OpenAPI 3.1 description of /api/v1, served at /api/v1/openapi.json."""

from __future__ import annotations

from webapp.api import bp

ERROR = {
    "type": "object",
    "required": ["error", "message"],
    "properties": {
        "error": {"type": "string"},
        "message": {"type": "string"},
        "fields": {"type": "object", "additionalProperties": {"type": "array", "items": {"type": "string"}}},
    },
}


def _err(description: str) -> dict:
    schema = {"$ref": "#/components/schemas/Error"}
    return {"description": description, "content": {"application/json": {"schema": schema}}}


SPEC: dict = {
    "openapi": "3.1.0",
    "info": {
        "title": "Tanzhong API",
        "version": "1",
        "description": "Carbon neutrality of large events in Jining (济环字〔2023〕40号). "
        "Quantities of CO2e are decimal strings in tonnes; dates ISO 8601.",
    },
    "servers": [{"url": "/api/v1"}],
    "components": {
        "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        "schemas": {"Error": ERROR},
    },
    "security": [{"bearer": []}],
    "paths": {
        "/tokens": {
            "post": {
                "summary": "Exchange username and password for a bearer token",
                "security": [],
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {
                            "schema": {
                                "type": "object",
                                "required": ["username", "password"],
                                "properties": {
                                    "username": {"type": "string"},
                                    "password": {"type": "string"},
                                    "label": {"type": "string"},
                                },
                            }
                        }
                    },
                },
                "responses": {
                    "201": {"description": "The token (shown once)"},
                    "401": _err("Wrong credentials or locked account"),
                    "422": _err("Missing fields"),
                },
            }
        },
        "/tokens/current": {
            "delete": {"summary": "Revoke the token used for this call",
                       "responses": {"204": {"description": "Revoked"}, "401": _err("Not signed in")}}
        },
        "/tokens/{token_id}": {
            "delete": {
                "summary": "Revoke one of your tokens",
                "parameters": [{"name": "token_id", "in": "path", "required": True, "schema": {"type": "integer"}}],
                "responses": {"204": {"description": "Revoked"}, "401": _err("Not signed in"),
                              "404": _err("Not your token")},
            }
        },
        "/me": {"get": {"summary": "The caller's account", "responses": {"200": {"description": "Account"},
                                                                          "401": _err("Not signed in")}}},
        "/verifier-bodies": {
            "get": {"summary": "Accredited third-party bodies (R-TIER-1)",
                    "responses": {"200": {"description": "List"}, "401": _err("Not signed in")}}
        },
    },
}


@bp.get("/openapi.json")
def openapi_json():  # noqa: ANN201
    return SPEC
