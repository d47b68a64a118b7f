"""The public section, no sign-in (R-DIS-1, R-PLAT-1): events whose plan is published, what was
disclosed about them, the signed commitments, the policy documents (kept by EEB staff) and the
audit trail's checkpoints."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user

from models import PolicyDocument, Role, db
from models.accounting import ReductionKind
from models.db import utcnow
from models.event import DeadlineKind, EventKind, Sector, Tier
from models.offsets import Instrument, Registry
from models.org import OrganizerType
from models.sinks import SinkType
from processes import audit, disclosure, policies, reports_pdf, uploads
from processes.dates import local_today
from processes.errors import Invalid
from processes.orgdata import COUNTY_NAMES
from webapp.authz import roles_required
from webapp.documents.routes import download
from webapp.pagination import window
from webapp.public.forms import PolicyForm

bp = Blueprint("public", __name__, url_prefix="/public", template_folder="templates")
PAGE_SIZE = 20
MAX_SEARCH_RESULTS = 1000  # matches of a text search that can be paged through (50 pages)
CHECKPOINT_PAGE_SIZE = 50


def _titles() -> dict[str, dict[str, str]]:
    """Translated titles of the coded values the public pages show."""
    enums: dict[str, Any] = {
        "status": disclosure.PublicStatus, "kind": EventKind, "sector": Sector, "tier": Tier,
        "organizer_type": OrganizerType, "instrument": Instrument, "registry": Registry,
        "measure": ReductionKind, "deadline": DeadlineKind, "sink_type": SinkType,
    }
    return {name: {m.value: m.title for m in enum} for name, enum in enums.items()}


@bp.route("/")
def index():  # noqa: ANN201
    """Events whose plan is published, searchable by name or venue, year, sector and county."""
    filters = disclosure.parse_filters(request.args)  # the search text is cut to 100 characters there
    # No count of the whole list; a search pages through its first MAX_SEARCH_RESULTS matches only, and a
    # page beyond the last is empty (issue #19).
    listing = window(disclosure.public_events_query(filters), request.args.get("page", 1, type=int), PAGE_SIZE,
                     at_most=MAX_SEARCH_RESULTS if filters.get("q") else None)
    overdue = disclosure.overdue_event_ids(e.id for e in listing.items)
    today = local_today(utcnow())
    items = [disclosure.summary_item(e, overdue=e.id in overdue, today=today) for e in listing.items]
    return render_template("public/index.html", items=items, listing=listing, filters=filters,
                           years=disclosure.public_years(), sectors=Sector.choices(), counties=COUNTY_NAMES,
                           titles=_titles())


@bp.route("/events/<int:event_id>")
def event(event_id: int):  # noqa: ANN201
    """One event as disclosed: the plan, and once disclosed the neutrality statement."""
    found = disclosure.get_public_event(event_id)
    return render_template("public/event.html", event=disclosure.public_event(found, local_today(utcnow())),
                           titles=_titles())


@bp.route("/events/<int:event_id>/commitment.pdf")
def commitment_pdf(event_id: int):  # noqa: ANN201
    """The signed self-commitment of a disclosed event (R-TIER-2, R-DIS-1)."""
    found = disclosure.get_public_event(event_id)
    commitment = disclosure.disclosed_commitment(found)
    return download(reports_pdf.commitment_pdf(found, commitment), f"event-{found.id}-commitment.pdf", "pdf")


@bp.route("/policies")
def policy_list():  # noqa: ANN201
    """The policy documents (R-PLAT-1 "policy publication")."""
    return render_template("public/policies.html", policies=policies.published(),
                           may_maintain=policies.may_maintain(current_user))


@bp.route("/audit")
def audit_checkpoints():  # noqa: ANN201
    """The audit trail's published checkpoints, newest first: anyone may keep a copy and compare later."""
    page = max(request.args.get("page", 1, type=int), 1)
    listing = db.paginate(audit.checkpoints_query(newest_first=True),
                          page=page, per_page=CHECKPOINT_PAGE_SIZE, error_out=False)
    return render_template("public/audit_checkpoints.html", listing=listing)


@bp.route("/policies/<int:policy_id>/file")
def policy_file(policy_id: int):  # noqa: ANN201
    policy = db.session.get(PolicyDocument, policy_id)
    if policy is None or policy.upload is None:
        abort(404)
    return send_file(uploads.path_of(policy.upload, current_app.config["UPLOAD_DIR"]),
                     mimetype=policy.upload.content_type, as_attachment=True, download_name=policy.upload.filename)


@bp.route("/policies/new", methods=["GET", "POST"], defaults={"policy_id": None})
@bp.route("/policies/<int:policy_id>/edit", methods=["GET", "POST"])
@roles_required(Role.DEPARTMENT_STAFF, Role.DEPARTMENT_LEAD)
def edit_policy(policy_id: int | None):  # noqa: ANN201
    """Publish or correct a policy document (Ecology and Environment Bureau staff only)."""
    if not policies.may_maintain(current_user):
        abort(403)
    policy = db.session.get(PolicyDocument, policy_id) if policy_id is not None else None
    if policy_id is not None and policy is None:
        abort(404)
    form = PolicyForm(obj=policy)
    if form.validate_on_submit():
        try:
            upload = None
            file = form.document.data
            if file and file.filename:
                upload = uploads.store(file.read(), file.filename, current_user, current_app.config["UPLOAD_DIR"],
                                       max_bytes=current_app.config["MAX_CONTENT_LENGTH"])
            policies.save_policy(current_user, {name: getattr(form, name).data for name in policies.FIELDS},
                                 policy, upload)
        except Invalid as exc:
            db.session.rollback()
            for name, messages in exc.fields.items():
                getattr(form, "document" if name == "file" else name).errors.extend(str(m) for m in messages)
        else:
            db.session.commit()
            flash(_("The policy document is published."), "success")
            return redirect(url_for("public.policy_list"))
    return render_template("public/policy_form.html", form=form, policy=policy), 422 if form.errors else 200
