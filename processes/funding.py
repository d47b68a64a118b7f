"""Municipal fiscal funding (R-DEPT-FIN, issue #18): the organizer states at registration how much it
asks for; Finance's review shows it and grants at most that, unless Finance says why more."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from flask_babel import lazy_gettext as _l

from models import Event, HumanTask, User
from processes import audit, bounds
from processes.errors import Invalid

MIN_REQUEST = Decimal("0.01")


def yuan(value: Decimal) -> str:
    """An amount as shown: 80,000.00."""
    return f"{value:,.2f}"


def requested_amount(data: dict[str, Any], errors: dict[str, list]) -> Decimal | None:
    """The amount asked for: required (0.01 up to the CNY bound, 2 decimals) when funding is requested,
    refused when it is not (an amount without the request is a mistake either way)."""
    value = data.get("funding_requested_cny")
    given = value is not None and not (isinstance(value, str) and not value.strip())
    if not data.get("fiscal_funding_requested"):
        if given:
            errors["funding_requested_cny"] = [_l("Tick “municipal fiscal funding is requested”, or leave the "
                                                  "amount empty.")]
        return None
    if not given:
        errors["funding_requested_cny"] = [_l("State the amount of fiscal funding requested, in yuan.")]
        return None
    try:
        amount = bounds.decimal(value, bounds.CNY)
    except ValueError:
        amount = None
    if amount is None or amount < MIN_REQUEST:
        errors["funding_requested_cny"] = [_l("An amount in yuan from 0.01 to 999,999,999,999.99, at most two "
                                              "decimals.")]
        return None
    return amount


def check_grant(event: Event, task: HumanTask, actor: User, granted: Decimal, reason: Any) -> None:
    """Refuse a grant above the requested amount unless Finance says why; audit one with its reason.
    An event registered before amounts were asked has none to keep to.

    :raises Invalid: on ``amount_cny`` and ``over_request_reason``.
    """
    requested = event.funding_requested_cny
    if requested is None or granted <= requested:
        return
    reason = reason.strip() if isinstance(reason, str) else ""
    if not reason:
        message = _l("The organizer requested %(requested)s yuan: grant at most that, or say why more is "
                     "granted.", requested=yuan(requested))
        raise Invalid(message, {"amount_cny": [message],
                                "over_request_reason": [_l("Say why more than requested is granted.")]})
    audit.record(actor, "funding.granted_over_request", event=event, task=task.name, reason=reason,
                 data={"requested_cny": str(requested), "granted_cny": str(granted), "requirement": "R-DEPT-FIN"})
