"""Translated titles of the BPMN user tasks (the diagram's labels are bilingual)."""

from flask_babel import lazy_gettext as _l

TASK_TITLES = {
    "prepare_plan": _l("Prepare the carbon-neutrality plan"),
    "review_plan_sector": _l("Review the plan (sector bureau)"),
    "review_plan_eeb": _l("Review the plan (Ecology and Environment Bureau)"),
    "review_funding": _l("Review the funding request (Finance Bureau)"),
    "report_reductions": _l("Report the reductions achieved"),
    "account_emissions": _l("Account the actual emissions"),
    "cancel_units": _l("Cancel offset units"),
    "register_sink_project": _l("Register the new sink project"),
    "validate_sink_project": _l("Validate the sink project"),
    "third_party_evaluation": _l("Third-party evaluation"),
    "sign_commitment": _l("Sign the self-commitment"),
    "follow_up_overdue": _l("Follow up an overdue deadline"),
}

DECISION_TITLES = {
    "approve": _l("approved"),
    "return": _l("returned"),
    "neutral": _l("carbon neutral"),
    "not_neutral": _l("not carbon neutral"),
    "done": _l("followed up"),
}
