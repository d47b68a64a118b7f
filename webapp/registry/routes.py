"""Registry data (issue #22, R-CAN-2): EEB staff upload a registry's public export, see what it holds
and how the ledger's lines compare, and withdraw a wrong file. The statuses are shown wherever
cancellations are listed (`registry_statuses` in templates)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask.blueprints import BlueprintSetupState
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select

from models import Event, Role, db
from models.offsets import Cancellation, Registry
from models.registry import CancellationCheck, RegistryImport, RegistryStatus
from processes.errors import ServiceError
from processes.registry import importer
from processes.registry.adapters import GENERIC_FIELDS
from processes.registry.status import statuses
from webapp.authz import roles_required
from webapp.registry.forms import RegistryImportForm, WithdrawForm

bp = Blueprint("registry", __name__, url_prefix="/registry", template_folder="templates")
IMPORT_ENDPOINTS = frozenset({"registry.imports", "api.create_registry_import"})
MULTIPART_SLACK = 1024 * 1024  # the other form fields and the multipart boundaries
MB = 1024 * 1024


def _allow_large_exports() -> None:
    """Let a registry's export be as large as REGISTRY_IMPORT_MAX_MB (other uploads keep MAX_UPLOAD_MB);
    beyond it refuse with the limit named, before anything is read. Runs before the CSRF check, which
    reads the form."""
    if request.method != "POST" or request.endpoint not in IMPORT_ENDPOINTS:
        return
    limit = int(current_app.config.get("REGISTRY_IMPORT_MAX_MB", importer.MAX_MB)) * MB
    if (request.content_length or 0) > limit + MULTIPART_SLACK:
        raise importer.too_large(limit)
    request.max_content_length = limit + MULTIPART_SLACK


@bp.record_once
def _first_of_all(state: BlueprintSetupState) -> None:
    state.app.before_request_funcs.setdefault(None, []).insert(0, _allow_large_exports)


@bp.app_template_global()
def registry_statuses(cancellations: Any) -> dict[int, Any]:
    """The registry status of each listed cancellation (rows or ledger dicts), by id."""
    return statuses(getattr(c, "id", None) or c["id"] for c in cancellations)


def _eeb() -> None:
    if not importer.may_import(current_user):
        abort(403)


def _counts(registry: Registry) -> dict[str, int]:
    rows = db.session.execute(select(CancellationCheck.status, func.count()).join(
        Cancellation, Cancellation.id == CancellationCheck.cancellation_id).where(
        Cancellation.unit_registry == registry).group_by(CancellationCheck.status))
    return {status.value: count for status, count in rows}


@bp.route("/imports", methods=["GET", "POST"])
@roles_required(Role.DEPARTMENT_STAFF, Role.DEPARTMENT_LEAD)
def imports():  # noqa: ANN201
    """The imports so far and the upload form (Ecology and Environment Bureau only)."""
    _eeb()
    form = RegistryImportForm()
    if form.validate_on_submit():
        mapping = {name: getattr(form, f"column_{name}").data for name in GENERIC_FIELDS
                   if getattr(form, f"column_{name}").data}
        try:
            row = importer.import_export(
                form.file.data.stream, Registry(form.registry.data), filename=form.file.data.filename or "",
                actor=current_user, channel="web", source=form.source.data, mapping=mapping,
                max_bytes=int(current_app.config.get("REGISTRY_IMPORT_MAX_MB", importer.MAX_MB)) * MB)
        except ServiceError as exc:
            db.session.rollback()
            for name, messages in exc.fields.items() or [("file", [exc.message])]:
                getattr(form, name, form.file).errors.extend(str(m) for m in messages)
        else:
            db.session.commit()
            flash(_("Imported: %(rows)d rows, %(ranges)d retirement ranges.", rows=row.rows, ranges=row.ranges),
                  "success")
            return redirect(url_for("registry.show", import_id=row.id))
    generic = form.registry.data not in (None, Registry.VERRA.value, Registry.GOLD_STANDARD.value)
    show_columns = (request.method == "POST" and generic) or any(name.startswith("column_") for name in form.errors)
    return render_template("registry/imports.html", form=form, imports=importer.imports(),
                           show_columns=show_columns), 422 if form.errors else 200


@bp.route("/imports/<int:import_id>")
@roles_required(Role.DEPARTMENT_STAFF, Role.DEPARTMENT_LEAD)
def show(import_id: int):  # noqa: ANN201
    """One import: what it holds, and the ledger's lines at its registry by status, conflicts first."""
    _eeb()
    row = db.session.get(RegistryImport, import_id) or abort(404)
    conflicts = db.session.execute(select(Cancellation, Event.name).join(Event, Event.id == Cancellation.event_id).join(
        CancellationCheck, CancellationCheck.cancellation_id == Cancellation.id).where(
        Cancellation.unit_registry == row.unit_registry, CancellationCheck.status == RegistryStatus.CONFLICT)
        .order_by(Cancellation.id).limit(200)).all()
    return render_template("registry/import.html", row=row, counts=_counts(row.unit_registry), conflicts=conflicts,
                           shown=statuses(c.id for c, _name in conflicts), form=WithdrawForm())


@bp.post("/imports/<int:import_id>/withdraw")
@roles_required(Role.DEPARTMENT_STAFF, Role.DEPARTMENT_LEAD)
def withdraw(import_id: int):  # noqa: ANN201
    """Withdraw a wrong file: its records stop counting; the lines are checked again (audited)."""
    _eeb()
    form = WithdrawForm()
    importer.withdraw(import_id, current_user, form.reason.data)
    db.session.commit()
    flash(_("The import is withdrawn; the ledger's lines were checked again."), "success")
    return redirect(url_for("registry.show", import_id=import_id))
