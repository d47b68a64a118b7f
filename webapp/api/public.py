"""The public API, no token (R-DIS-1, R-PLAT-1): the same disclosed data as the public pages."""

from __future__ import annotations

from flask import request, url_for
from flask_babel import lazy_gettext as _l

from models import db
from models.db import utcnow
from processes import audit, bounds, disclosure, policies
from processes.dates import local_today
from processes.errors import Invalid
from webapp.api import bp
from webapp.api.openapi import PUBLIC

PUBLIC.update({"api.public_events", "api.public_event", "api.public_policies",  # documented without security
               "api.public_audit_checkpoints"})


@bp.get("/public/events")
def public_events():  # noqa: ANN201
    """Events whose plan is published; filters q (name or venue), year, sector, county."""
    filters = disclosure.parse_filters(request.args)
    page = max(request.args.get("page", 1, type=int), 1)
    per_page = min(max(request.args.get("per_page", 50, type=int), 1), 200)
    listing = db.paginate(disclosure.public_events_query(filters), page=page, per_page=per_page, error_out=False)
    overdue = disclosure.overdue_event_ids(e.id for e in listing.items)
    today = local_today(utcnow())
    return {"items": [disclosure.summary_item(e, overdue=e.id in overdue, today=today) for e in listing.items],
            "page": listing.page, "pages": listing.pages, "total": listing.total}


@bp.get("/public/events/<int:event_id>")
def public_event(event_id: int):  # noqa: ANN201
    """What is disclosed about one event: its plan, and once disclosed its neutrality statement."""
    return disclosure.public_event(disclosure.get_public_event(event_id), local_today(utcnow()))


@bp.get("/public/policies")
def public_policies():  # noqa: ANN201
    """The policy documents (R-PLAT-1 "policy publication")."""
    return {"items": [{
        "id": p.id, "title_zh": p.title_zh, "title_en": p.title_en, "issuer": p.issuer, "number": p.number,
        "published_on": p.published_on.isoformat() if p.published_on else None, "url": p.url,
        "file_url": url_for("public.policy_file", policy_id=p.id) if p.upload else None,
        "file_sha256": p.upload.sha256 if p.upload else None, "summary": p.summary,
    } for p in policies.published()]}


@bp.get("/public/audit/checkpoints")
def public_audit_checkpoints():  # noqa: ANN201
    """The audit trail's published checkpoints, oldest first; `after` (an entry's seq) gives only newer ones."""
    after = (request.args.get("after") or "0").strip()
    if not (after.isascii() and after.isdigit()) or int(after) > bounds.MAX_ID:
        raise Invalid(_l("Unknown filter value."), {"after": [_l("An entry's number, e.g. 120.")]})
    page = max(request.args.get("page", 1, type=int), 1)
    per_page = min(max(request.args.get("per_page", 100, type=int), 1), 1000)
    listing = db.paginate(audit.checkpoints_query(int(after)), page=page, per_page=per_page, error_out=False)
    return {"items": [audit.checkpoint_json(c) for c in listing.items],
            "page": listing.page, "pages": listing.pages, "total": listing.total}
