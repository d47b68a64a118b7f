"""The audit trail for auditors: read everything, change nothing."""

from __future__ import annotations

from dataclasses import dataclass

from flask import Blueprint, render_template, request

from models import AuditEntry, Role, db
from models.db import MAX_PAGE
from processes import audit
from webapp.authz import roles_required

bp = Blueprint("audit", __name__, url_prefix="/audit", template_folder="templates")
PAGE_SIZE = 50


@dataclass(frozen=True)
class TrailPage:
    """One page of the trail, newest first, without counting the whole trail (millions of entries at a
    province's scale, issue #19): one more row than shown tells whether an older page exists."""

    items: list[AuditEntry]
    page: int
    has_next: bool

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def prev_num(self) -> int:
        return self.page - 1

    @property
    def next_num(self) -> int:
        return self.page + 1


@bp.route("/")
@roles_required(Role.AUDITOR, Role.ADMIN)
def trail():  # noqa: ANN201
    page = min(max(request.args.get("page", 1, type=int), 1), MAX_PAGE)  # beyond the last: an empty page
    rows = db.session.execute(db.select(AuditEntry).order_by(AuditEntry.seq.desc())
                              .offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE + 1)).scalars().all()
    entries = TrailPage(rows[:PAGE_SIZE], page, len(rows) > PAGE_SIZE)
    report = audit.verify_chain() if request.args.get("verify") else None
    return render_template("audit/trail.html", entries=entries, report=report)
