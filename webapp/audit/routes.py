"""The audit trail for auditors: read everything, change nothing."""

from __future__ import annotations

from flask import Blueprint, render_template, request

from models import AuditEntry, Role, db
from processes import audit
from webapp.authz import roles_required
from webapp.pagination import window

bp = Blueprint("audit", __name__, url_prefix="/audit", template_folder="templates")
PAGE_SIZE = 50


@bp.route("/")
@roles_required(Role.AUDITOR, Role.ADMIN)
def trail():  # noqa: ANN201
    # Millions of entries at a province's scale: no count, one row more than shown (issue #19).
    entries = window(db.select(AuditEntry).order_by(AuditEntry.seq.desc()), request.args.get("page", 1, type=int),
                     PAGE_SIZE)
    report = audit.verify_chain() if request.args.get("verify") else None
    return render_template("audit/trail.html", entries=entries, report=report)
