"""An event's documents for those who may see its audit trail: the signed commitment as PDF
(R-TIER-2) and the audit trail as CSV, XLSX and a PDF report (process audit)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, abort, current_app, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select

from models import Commitment, Event, Role, db
from processes import audit_export, events, reports_pdf
from webapp.authz import roles_required
from webapp.tasks.titles import ACTION_TITLES, STEP_TITLES

bp = Blueprint("documents", __name__, url_prefix="/events")
# API.md: the event's audit trail is for its organizer, the departments and auditors.
AUDIT_TITLES = audit_export.Titles(ACTION_TITLES, STEP_TITLES)  # the exports name actions and steps in words
AUDIT_READERS = (Role.ORGANIZER, Role.DEPARTMENT_STAFF, Role.DEPARTMENT_LEAD, Role.AUDITOR, Role.ADMIN)
MIMETYPES = {
    "csv": "text/csv",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pdf": "application/pdf",
}


def download(body: bytes, name: str, fmt: str) -> Response:
    """Answer with a file to save (never rendered inline)."""
    response = current_app.response_class(body, mimetype=MIMETYPES[fmt])
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def _commitment(event: Event) -> Commitment | None:
    return db.session.execute(select(Commitment).where(Commitment.event_id == event.id)).scalar()


@bp.route("/<int:event_id>/commitment.pdf")
@roles_required(*AUDIT_READERS)
def commitment_pdf(event_id: int):  # noqa: ANN201
    """The signed self-commitment as a PDF that renders Chinese (R-TIER-2)."""
    event = events.get_event_for(current_user, event_id)
    commitment = _commitment(event)
    if commitment is None:
        abort(404)
    return download(reports_pdf.commitment_pdf(event, commitment), f"event-{event.id}-commitment.pdf", "pdf")


@bp.route("/<int:event_id>/audit.<any(csv, xlsx, pdf):fmt>")
@roles_required(*AUDIT_READERS)
def audit_export_file(event_id: int, fmt: str):  # noqa: ANN201
    """The event's audit trail: every entry with its hash, and the BPMN path taken."""
    event = events.get_event_for(current_user, event_id)
    if fmt == "csv":
        body = audit_export.export_csv(event, AUDIT_TITLES).encode("utf-8-sig")
    elif fmt == "xlsx":
        body = audit_export.export_xlsx(event, AUDIT_TITLES)
    else:
        body = reports_pdf.audit_report_pdf(event, AUDIT_TITLES)
    return download(body, f"event-{event.id}-audit.{fmt}", fmt)


@bp.app_template_global()
def event_documents(event: Event) -> list[dict[str, Any]]:
    """The documents of the event the current user may download, for the event page."""
    items: list[dict[str, Any]] = []
    if not current_user.is_authenticated:
        return items
    if event.plan_published_at is not None:
        items.append({"label": _l("Public page"), "icon": "megaphone",
                      "url": url_for("public.event", event_id=event.id)})
    if current_user.role not in AUDIT_READERS:
        return items
    if _commitment(event) is not None:
        items.append({"label": _l("Signed commitment (PDF)"), "icon": "file-earmark-pdf",
                      "url": url_for("documents.commitment_pdf", event_id=event.id)})
    for fmt, label in (("csv", _l("Audit trail (CSV)")), ("xlsx", _l("Audit trail (XLSX)")),
                       ("pdf", _l("Audit report (PDF)"))):
        items.append({"label": label, "icon": "file-earmark-text",
                      "url": url_for("documents.audit_export_file", event_id=event.id, fmt=fmt)})
    return items
