"""Registry data (issue #22, R-CAN-2): EEB staff import a registry's public export; departments and
auditors list the imports. The limit of an upload here is REGISTRY_IMPORT_MAX_MB (webapp/registry)."""

from __future__ import annotations

from flask import current_app, request
from flask_babel import lazy_gettext as _l

from models import Role, db
from models.offsets import Registry
from processes.errors import Forbidden, Invalid
from processes.registry import importer
from processes.registry.adapters import GENERIC_FIELDS
from webapp.api import bp
from webapp.api.auth import api_login_required, api_user

READERS = (Role.DEPARTMENT_STAFF, Role.DEPARTMENT_LEAD, Role.AUDITOR, Role.ADMIN)
FORM_FIELDS = {"registry", "source", *(f"column_{name}" for name in GENERIC_FIELDS)}


def registry_choice(value: str | None) -> Registry:
    """:raises Invalid: an unknown registry (field "registry")."""
    try:
        return Registry((value or "").strip())
    except ValueError:
        raise Invalid(_l("Choose the registry whose export this is."),
                      {"registry": [_l("One of: %(values)s.", values=", ".join(r.value for r in Registry))]}) from None


def mapping_of(form: dict) -> dict[str, str]:
    """The generic CSV's column names from `column_<field>` form fields."""
    return {name: form.get(f"column_{name}") or "" for name in GENERIC_FIELDS if form.get(f"column_{name}")}


@bp.post("/registry-imports")
@api_login_required(Role.DEPARTMENT_STAFF, Role.DEPARTMENT_LEAD)
def create_registry_import():  # noqa: ANN201
    """Import a registry's public export (multipart `file`, `registry`; EEB staff): all rows or none."""
    user = api_user()
    if not importer.may_import(user):
        raise Forbidden(_l("Registry data is imported by the Ecology and Environment Bureau."))
    unknown = sorted({name or "" for name in (*request.form, *request.files)} - FORM_FIELDS - {"file"})
    if unknown:
        raise Invalid(_l("Unknown fields."), {name: [_l("Unknown field: this form has no such field.")]
                                              for name in unknown})
    file = request.files.get("file")
    registry = registry_choice(request.form.get("registry"))
    if file is None or not file.filename:
        raise Invalid(_l("Send the export as multipart field 'file'."), {"file": [_l("Required.")]})
    row = importer.import_export(file.stream, registry, filename=file.filename, actor=user, channel="api",
                                 source=request.form.get("source"), mapping=mapping_of(request.form),
                                 max_bytes=current_app.config["REGISTRY_IMPORT_MAX_MB"] * 1024 * 1024)
    db.session.commit()
    return {"id": row.id, "rows": row.rows, "ranges": row.ranges, **importer.import_json(row)}, 201


@bp.get("/registry-imports")
@api_login_required(*READERS)
def registry_imports():  # noqa: ANN201
    """Every import of registry data, newest first: registry, file hash, rows, who, when, status."""
    return {"items": [importer.import_json(row) for row in importer.imports()]}
