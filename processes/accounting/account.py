"""The actual account after the event (R-ACC-1): the basis of offsetting."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from flask_babel import lazy_gettext as _l

from models import Event, User
from models.accounting import AccountStage
from processes import audit
from processes.accounting.calculator import AccountResult, LineInput, compute
from processes.accounting.factors import current_factor_set
from processes.accounting.lines import (
    check_boundary,
    check_line_evidence,
    confirm_plausibility,
    digest,
    lines_json,
    replace_lines,
    result_json,
    saved_boundary,
)
from processes.errors import Conflict, Invalid

ACCOUNT_TASK = "account_emissions"
FIELD = "activities"


def save_account(event: Event, activity_lines: Sequence[LineInput | Mapping[str, Any]], actor: User | None,
                 confirm_implausible: bool = False, implausible_reason: str | None = None) -> AccountResult:
    """Compute and store the actual emissions with the factor set in force, replacing a previous
    account; each line keeps the factor value it used, so later factor sets never change it (R-ACC-1).

    :raises Conflict: the plan (and so the boundary) has not been saved.
    :raises Invalid: ``activities-<i>-…`` per bad line, ``activities`` if empty, or
        ``confirm_implausible`` (and the lines concerned) when a plausibility limit is exceeded and not
        confirmed with ``implausible_reason`` — e.g. a line 10× its factor's estimate (issue #18).
    """
    boundary = saved_boundary(event)
    if not boundary:
        raise Conflict(_l("The plan with its accounting boundary has not been saved yet."))
    factor_set = current_factor_set()
    result = compute(activity_lines, factor_set, field=FIELD)
    errors: dict[str, list] = {}
    if not result.lines:
        errors[FIELD] = [_l("Account at least one source of emissions.")]
    check_boundary(result, boundary, FIELD, errors)
    evidence = check_line_evidence(result, event, FIELD, errors, actor)
    if errors:
        raise Invalid(_l("The account has errors; nothing was saved."), errors)
    confirm_plausibility(result, event, actor, stage=AccountStage.ACTUAL, task=ACCOUNT_TASK, field=FIELD,
                         confirmed=confirm_implausible, reason=implausible_reason)
    replace_lines(event, AccountStage.ACTUAL, result, factor_set, evidence)
    saved = {"factor_set": factor_set.number, "activities": lines_json(result, evidence)}
    audit.record(actor, "accounting.account_saved", event=event, task=ACCOUNT_TASK,
                 data={"digest": digest(saved), "factor_set": factor_set.number, "lines": len(result.lines),
                       **result_json(result)})
    return result
