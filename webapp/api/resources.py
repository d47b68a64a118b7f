"""API resources available to any signed-in caller."""

from __future__ import annotations

from models import VerifierBody, db
from webapp.api import bp
from webapp.api.auth import api_login_required, api_user


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
