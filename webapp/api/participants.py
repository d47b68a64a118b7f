"""API: an event organizer's requests outside the task flow — a new participant count (R-TIER-X) and a
correction of the submitted account (R-ACC-1) — on the same services as the event page."""

from __future__ import annotations

from typing import Any

from flask import request
from flask_babel import lazy_gettext as _l

from models import Role, db
from processes import events
from processes.errors import Invalid
from webapp.api import bp
from webapp.api.auth import api_login_required, api_user
from webapp.api.lifecycle import event_json

FIELDS = {"participants", "reason", "verifier_body"}


def _strict(body: dict[str, Any]) -> tuple[int, str, int | None]:
    """The body's fields with their JSON types checked. :raises Invalid: naming each bad field."""
    errors: dict[str, list] = {key: [_l("Unknown field.")] for key in sorted(set(body) - FIELDS)}
    participants, reason, body_id = body.get("participants"), body.get("reason"), body.get("verifier_body")
    if isinstance(participants, bool) or not isinstance(participants, int):
        errors["participants"] = [_l("Send a whole number (a JSON integer, not a string).")]
    if not isinstance(reason, str):
        errors["reason"] = [_l("Say why the count changed.")]
    if body_id is not None and (isinstance(body_id, bool) or not isinstance(body_id, int)):
        errors["verifier_body"] = [_l("Send a whole number (a JSON integer, not a string).")]
    if errors:
        raise Invalid(_l("Please correct the marked fields."), errors)
    return participants, reason, body_id


@bp.post("/events/<int:event_id>/participants")
@api_login_required(Role.ORGANIZER)
def change_participants(event_id: int):  # noqa: ANN201
    """R-TIER-X: record a new participant count with its reason; the process follows the new tier."""
    event = events.get_event_for(api_user(), event_id)
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise Invalid(_l("Send a JSON object."), {"body": [_l("Send a JSON object.")]})
    participants, reason, body_id = _strict(body)
    events.change_participants(api_user(), event, participants, reason, body_id)
    db.session.commit()
    return event_json(event, api_user())


@bp.post("/events/<int:event_id>/correction")
@api_login_required(Role.ORGANIZER)
def request_correction(event_id: int):  # noqa: ANN201
    """R-ACC-1: ask to correct the submitted account, with `reason`; EEB decides in its inbox."""
    event = events.get_event_for(api_user(), event_id)
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise Invalid(_l("Send a JSON object."), {"body": [_l("Send a JSON object.")]})
    errors: dict[str, list] = {key: [_l("Unknown field.")] for key in sorted(set(body) - {"reason"})}
    if not isinstance(body.get("reason"), str):
        errors["reason"] = [_l("Say what is wrong in the account (at most 2,000 characters).")]
    if errors:
        raise Invalid(_l("Please correct the marked fields."), errors)
    events.request_correction(api_user(), event, body["reason"])
    db.session.commit()
    return event_json(event, api_user())
