"""API resources available to any signed-in caller."""

from __future__ import annotations

from flask import request
from flask_babel import lazy_gettext as _l

from models import Role, VerifierBody, db
from processes import accounting, sinks
from processes.accounting.factors import factor_set_numbered
from processes.errors import NotFound
from processes.registry import report as registry_report
from webapp.api import bp
from webapp.api.auth import api_login_required, api_user
from webapp.errors import json_error


@bp.get("/me")
@api_login_required()
def me():  # noqa: ANN201
    user = api_user()
    return {
        "id": user.id,
        "username": user.username,
        "display_name": user.display_name,
        "role": user.role.value,
        "department": user.department.code if user.department else None,
        "organization": user.organization.name if user.organization else None,
    }


@bp.get("/verifier-bodies")
@api_login_required()
def verifier_bodies():  # noqa: ANN201
    bodies = db.session.execute(db.select(VerifierBody).order_by(VerifierBody.name)).scalars()
    return {
        "items": [
            {
                "id": b.id,
                "name": b.name,
                "accreditation_no": b.accreditation_no,
                "valid_until": b.valid_until.isoformat(),
            }
            for b in bodies
        ]
    }


@bp.get("/emission-factors")
def emission_factors():  # noqa: ANN201
    """The factor set in force, or version `?set=N` (404 if there is none), for anyone (no login):
    every value with its status and source (R-ACC-1)."""
    number = request.args.get("set")
    if number is None:
        factor_set = accounting.current_factor_set()
        db.session.commit()  # the default set may have been loaded just now
    else:
        factor_set = factor_set_numbered(int(number)) if number.isdecimal() and len(number) < 10 else None
        if factor_set is None:
            raise NotFound(_l("No factor set has this number."))
    return {"factor_set": factor_set.number, "sha256": factor_set.sha256,
            "imported_at": factor_set.imported_at.isoformat(),
            "items": [accounting.factor_json(f) for f in accounting.factors(factor_set)]}


@bp.get("/ledger/cancellations")
@api_login_required(Role.DEPARTMENT_STAFF, Role.DEPARTMENT_LEAD, Role.AUDITOR, Role.ADMIN)
def ledger():  # noqa: ANN201
    """Every cancellation (R-CAN-2): registry, instrument, serial range, quantity, event, date, evidence,
    and what the registry's own data says (`registry_status`, `registry_record`; filter `registry_status`)."""
    return {"items": registry_report.ledger(request.args)}


@bp.get("/sink-projects")
@api_login_required(Role.DEPARTMENT_STAFF, Role.DEPARTMENT_LEAD, Role.AUDITOR, Role.ADMIN, Role.ORGANIZER)
def sink_projects():  # noqa: ANN201
    """New sink projects with deadlines (R-TIME-2): Natural Resources and auditors see all, organizers theirs."""
    user = api_user()
    filters = dict(request.args)
    if user.role == Role.ORGANIZER:
        filters["organization_id"] = user.organization_id
    elif user.is_department and not sinks.is_natural_resources(user):
        return json_error(403, "forbidden", "Sink projects are supervised by Natural Resources.")
    return {"items": sinks.sink_rows(filters)}
