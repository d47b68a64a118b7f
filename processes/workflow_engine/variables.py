"""Checks on the process variables the caller hands in (start data and completed tasks)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

DECISIONS = frozenset({"approve", "return"})
CHOICES = {
    "tier": frozenset({"third_party", "self_commitment", "out_of_scope"}),
    "sector_decision": DECISIONS,
    "eeb_decision": DECISIONS,
    "funding_decision": DECISIONS,
    "sink_decision": DECISIONS,
    "conclusion": frozenset({"neutral", "not_neutral"}),
    "correction_decision": DECISIONS,
}
FLAGS = frozenset({"fiscal_funding_requested", "uses_units", "uses_new_sink"})
DEADLINES = ("event_end_at", "offset_deadline", "sink_application_deadline", "sink_validation_deadline")
START_VARIABLES = frozenset({"event_id", "tier", "fiscal_funding_requested", *DEADLINES})
# Variables a user task must set, because a gateway after it routes on them.
TASK_OUTPUTS = {
    "prepare_plan": ("uses_units", "uses_new_sink"),
    "review_plan_sector": ("sector_decision",),
    "review_plan_eeb": ("eeb_decision",),
    "review_funding": ("funding_decision",),
    "validate_sink_project": ("sink_decision",),
    "third_party_evaluation": ("conclusion",),
    "review_correction": ("correction_decision",),
}


def checked(data: Mapping[str, Any], required: tuple[str, ...] | frozenset[str] = ()) -> dict[str, Any]:
    """Return a JSON-clean copy of caller data after checking names and routing variables.

    :raises ValueError: a name is not a public identifier, a value is not plain JSON, a required
        variable is missing or a routing variable has a wrong type or value.
    """
    missing = sorted(set(required) - data.keys())
    if missing:
        raise ValueError(f"missing variables: {missing}")
    for key in data:
        if not (isinstance(key, str) and key.isidentifier() and not key.startswith("_")):
            raise ValueError(f"invalid variable name {key!r}")
    try:
        clean = json.loads(json.dumps(dict(data), allow_nan=False))
    except (TypeError, ValueError) as exc:
        raise ValueError(f"task data must be plain JSON: {exc}") from exc
    for key, value in clean.items():
        if key in CHOICES and value not in CHOICES[key]:
            raise ValueError(f"{key} must be one of {sorted(CHOICES[key])}, not {value!r}")
        if key in FLAGS and not isinstance(value, bool):
            raise ValueError(f"{key} must be a boolean")
        if key == "event_id" and (isinstance(value, bool) or not isinstance(value, int)):
            raise ValueError("event_id must be an integer")
        if key in DEADLINES and not _is_aware_iso(value):
            raise ValueError(f"{key} must be an ISO 8601 datetime with offset")
    return clean


def _is_aware_iso(value: Any) -> bool:
    try:
        return isinstance(value, str) and datetime.fromisoformat(value).tzinfo is not None
    except ValueError:
        return False
