"""The OpenAPI 3.1 description of /api/v1, generated from the routes themselves (so a new route is
never undocumented) plus the request schemas of the shared WTForms forms."""

from __future__ import annotations

import re
from typing import Any

from flask import current_app

from processes.bounds import MAX_JSON_BYTES, MAX_LINES
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
PUBLIC = {"api.create_token", "api.openapi_json", "api.emission_factors"}
TOKEN_BODY = {
    "type": "object",
    "required": ["username", "password"],
    "properties": {"username": {"type": "string"}, "password": {"type": "string"},
                   "name": {"type": "string", "maxLength": 100, "description": "what the token is for"}},
}
PARTICIPANTS_BODY = {
    "type": "object", "additionalProperties": False, "required": ["participants", "reason"],
    "properties": {"participants": {"type": "integer", "minimum": 1, "maximum": 1_000_000},
                   "reason": {"type": "string", "minLength": 1},
                   "verifier_body": {"type": ["integer", "null"],
                                     "description": "the accredited body to commission when the count reaches 500"}},
}
REGISTRY_IMPORT_BODY = {
    "type": "object", "required": ["file", "registry"],
    "properties": {
        "file": {"type": "string", "format": "binary",
                 "description": "the registry's public export as CSV (REGISTRY_IMPORT_MAX_MB, default 200 MB)"},
        "registry": {"type": "string", "enum": ["sd_inclusion_platform", "ccer_registry", "national_carbon_market",
                                                "verra", "gold_standard", "other"]},
        "source": {"type": "string", "maxLength": 300, "description": "where the file came from"},
        **{f"column_{name}": {"type": "string", "maxLength": 100,
                              "description": f"generic CSV (not Verra, Gold Standard): the column holding {name}"}
           for name in ("serial", "serial_from", "serial_to", "date", "quantity", "beneficiary", "reason", "note",
                        "project_code", "project_name", "vintage")},
    },
}
STATUS_TEXT = {
    "401": "Not signed in (missing, wrong, expired or revoked token)",
    "403": "Your role may not do this",
    "404": "Unknown, or not visible to you",
    "409": "Conflict: already done, changed concurrently, or units already cancelled",
    "413": "Upload or request body too large",
    "422": "Invalid input: `fields` says which field and why",
}


def _error(description: str) -> dict[str, Any]:
    return {"description": description,
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}


def _task_forms() -> dict[str, dict[str, Any]]:
    """Each task's form as a schema (`Task_<name>`): the limits of every body of POST /tasks/{id}/complete.
    Choices that depend on the event (emission factors, accredited bodies) are in GET /tasks/{id}."""
    from werkzeug.datastructures import MultiDict

    from webapp.formjson import schema
    from webapp.tasks.forms import TASK_FORMS

    return {f"Task_{name}": schema(form(formdata=MultiDict(), meta={"csrf": False})) | {"title": name}
            for name, form in sorted(TASK_FORMS.items())}


def _request_bodies() -> dict[str, dict[str, Any]]:
    from webapp.events.forms import EventForm
    from webapp.formjson import schema

    return {
        "api.change_participants": PARTICIPANTS_BODY,
        "api.create_token": TOKEN_BODY,
        "api.create_event": schema(EventForm(formdata=None, meta={"csrf": False})),
        "api.complete_task": {
            "anyOf": [{"$ref": f"#/components/schemas/{name}"} for name in _task_forms()],
            "description": "The fields of the task's form: `Task_<name>` for the task's `name`; `form` of "
                           "GET /tasks/{id} gives the same schema with the event's choices. Unknown keys, "
                           f"JSON floats and lists of more than {MAX_LINES} lines are refused (422), bodies "
                           f"over {MAX_JSON_BYTES} bytes too (413)."},
    }


def build_spec() -> dict[str, Any]:
    """Describe every /api/v1 rule of the running app."""
    bodies = _request_bodies()
    paths: dict[str, dict[str, Any]] = {}
    for rule in current_app.url_map.iter_rules():
        if not rule.endpoint.startswith("api.") or rule.endpoint == "api.openapi_json":
            continue
        path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule.removeprefix("/api/v1"))
        view = current_app.view_functions[rule.endpoint]
        doc = (view.__doc__ or rule.endpoint.split(".", 1)[1].replace("_", " ")).strip().splitlines()[0]
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            operation: dict[str, Any] = {
                "operationId": rule.endpoint.split(".", 1)[1] + ("" if method == "GET" else f"_{method.lower()}"),
                "summary": doc,
                "responses": {"200" if method != "POST" or rule.endpoint not in (
                    "api.create_token", "api.create_event", "api.create_upload", "api.create_registry_import")
                    else "201": {"description": "OK"}},
            }
            if rule.endpoint in PUBLIC:
                operation["security"] = []
            else:
                operation["responses"].update({"401": _error(STATUS_TEXT["401"]), "403": _error(STATUS_TEXT["403"])})
            if rule.arguments:
                operation["parameters"] = [{"name": arg, "in": "path", "required": True, "schema": {"type": "integer"}}
                                           for arg in sorted(rule.arguments)]
                operation["responses"]["404"] = _error(STATUS_TEXT["404"])
            if rule.endpoint in bodies:
                operation["requestBody"] = {"required": True,
                                            "content": {"application/json": {"schema": bodies[rule.endpoint]}}}
                operation["responses"].update({"413": _error(STATUS_TEXT["413"]), "422": _error(STATUS_TEXT["422"])})
            if rule.endpoint == "api.create_upload":
                operation["requestBody"] = {"required": True, "content": {"multipart/form-data": {"schema": {
                    "type": "object", "required": ["file"],
                    "properties": {"file": {"type": "string", "format": "binary"}, "event_id": {"type": "integer"}}}}}}
                operation["responses"].update({"413": _error(STATUS_TEXT["413"]), "422": _error(STATUS_TEXT["422"])})
            if rule.endpoint == "api.create_registry_import":
                operation["requestBody"] = {"required": True, "content": {"multipart/form-data": {
                    "schema": REGISTRY_IMPORT_BODY}}}
                operation["responses"].update({"409": _error(STATUS_TEXT["409"]), "413": _error(STATUS_TEXT["413"]),
                                               "422": _error(STATUS_TEXT["422"])})
            if rule.endpoint in ("api.complete_task", "api.claim_task", "api.unclaim_task",
                                 "api.change_participants"):
                operation["responses"]["409"] = _error(STATUS_TEXT["409"])
            paths.setdefault(path, {})[method.lower()] = operation
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Tanzhong API",
            "version": "1",
            "description": "Carbon neutrality of large events in Jining (济环字〔2023〕40号). Quantities of CO2e "
                           "are decimal strings in tonnes; dates ISO 8601. Authenticate with POST /tokens, then "
                           "`Authorization: Bearer <token>`.",
        },
        "servers": [{"url": "/api/v1"}],
        "components": {"securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
                       "schemas": {"Error": ERROR} | _task_forms()},
        "security": [{"bearer": []}],
        "paths": dict(sorted(paths.items())),
    }


@bp.get("/openapi.json")
def openapi_json():  # noqa: ANN201
    """This document."""
    return build_spec()
