"""Translated titles of the coded values pages show: BPMN user tasks and timers, lanes, decisions,
audit actions, deadline and process states (the diagram's own labels are bilingual, "中文 English":
`bpmn_label` picks the UI's language)."""

import re

from flask_babel import get_locale
from flask_babel import lazy_gettext as _l

TASK_TITLES = {
    "prepare_plan": _l("Prepare the carbon-neutrality plan"),
    "review_plan_sector": _l("Review the plan (sector bureau)"),
    "review_plan_eeb": _l("Review the plan (Ecology and Environment Bureau)"),
    "review_funding": _l("Review the funding request (Finance Bureau)"),
    "report_reductions": _l("Report the reductions achieved"),
    "account_emissions": _l("Account the actual emissions"),
    "cancel_units": _l("Cancel offset units"),
    "cancel_remainder": _l("Cancel units for the shortfall"),
    "review_correction": _l("Review the request to correct the account"),
    "correct_account": _l("Correct the account"),
    "register_sink_project": _l("Register the new sink project"),
    "validate_sink_project": _l("Validate the sink project"),
    "third_party_evaluation": _l("Third-party evaluation"),
    "sign_commitment": _l("Sign the self-commitment"),
    "follow_up_overdue": _l("Follow up an overdue deadline"),
}

# Timers of the diagrams, as the history names them when they fire.
TIMER_TITLES = {
    "event_ended": _l("The event has ended"),
    "offset_deadline_passed": _l("Offsetting deadline (6 months)"),
    "application_deadline_passed": _l("Sink application deadline (1 year)"),
    "validation_deadline_passed": _l("Sink validation deadline (2 years)"),
}

# Every step the audit trail names in its `task` column (tests/web/test_language.py checks the diagrams).
STEP_TITLES = TASK_TITLES | TIMER_TITLES

LANE_TITLES = {
    "Organizer": _l("Organizer"),
    "SectorBureau": _l("Sector bureau"),
    "EEB": _l("Ecology and Environment Bureau"),
    "Finance": _l("Finance Bureau"),
    "NaturalResources": _l("Natural Resources Bureau"),
    "Verifier": _l("Third-party body"),
    "DRC": _l("Development and Reform Commission"),
}

# A deadline of the plan (EventDeadline.status, the public page's deadlines, the sink-project list).
DEADLINE_STATUS_TITLES = {
    "open": _l("open"),
    "due": _l("open"),
    "met": _l("met"),
    "met_late": _l("met late"),
    "overdue": _l("overdue"),
}

# A process instance (ProcessInstance.status) and a task (HumanTask.status).
PROCESS_STATUS_TITLES = {
    "running": _l("running"),
    "completed": _l("completed"),
    "needs_attention": _l("needs an administrator's attention"),
    "open": _l("open"),
    "cancelled": _l("withdrawn"),
}

_CHINESE = re.compile(r"[\u3400-\u9fff]")
_SPLIT = re.compile(r"\s+(?=[A-Za-z])")


def bpmn_label(name: str | None) -> str:
    """The part of a bilingual diagram label ("注销减排量 Cancel units") in the UI's language: the text
    up to the first space before a Latin letter after the first Chinese character is Chinese."""
    if not name:
        return ""
    first = _CHINESE.search(name)
    split = _SPLIT.search(name, first.end()) if first else None
    if split is None:
        return name
    english = str(get_locale() or "zh").startswith("en")
    return name[split.end():] if english else name[:split.start()]


DECISION_TITLES = {
    "approve": _l("approved"),
    "return": _l("returned"),
    "neutral": _l("carbon neutral"),
    "not_neutral": _l("not carbon neutral"),
    "done": _l("followed up"),
}

# What each audit-trail action means, for the event page's history and the audit trail (the code
# stays visible beside it for auditors). tests/unit/test_translations.py checks every action the
# services record has a title here.
ACTION_TITLES = {
    "account.activated": _l("account activated"),
    "account.corrected": _l("emissions account corrected"),
    "account.correction_approved": _l("correction of the account approved"),
    "account.correction_refused": _l("correction of the account refused"),
    "account.correction_requested": _l("correction of the account requested"),
    "account.created": _l("account created"),
    "account.deactivated": _l("account deactivated"),
    "account.locked": _l("account locked after failed sign-ins"),
    "account.password_changed": _l("password changed"),
    "account.sessions_ended": _l("signed out everywhere, API tokens revoked"),
    "account.signed_in": _l("signed in"),
    "accounting.account_saved": _l("actual emissions accounted"),
    "accounting.implausible_confirmed": _l("unusual figure confirmed"),
    "accounting.plan_saved": _l("emission estimate saved"),
    "accounting.reductions_reported": _l("reductions reported"),
    "audit.checkpoint": _l("audit trail checkpoint published"),
    "comment.added": _l("comment added"),
    "commitment.signed": _l("self-commitment signed"),
    "deadline.passed": _l("deadline passed"),
    "duties.refused": _l("refused: separation of duties"),
    "email.retried": _l("e-mail sent again"),
    "evaluation.neutral": _l("evaluated: carbon neutral"),
    "evaluation.not_neutral": _l("evaluated: not carbon neutral"),
    "event.disclosed": _l("disclosed to the public"),
    "event.participants_changed": _l("participant count changed"),
    "event.registered": _l("event registered"),
    "factors.imported": _l("emission factors imported"),
    "funding.granted_over_request": _l("funding granted above the request"),
    "offsets.cancellation_overdue": _l("units cancelled after the deadline"),
    "offsets.cancellation_reversed": _l("cancellation reversed"),
    "offsets.cancelled": _l("offset units cancelled"),
    "offsets.double_counting_refused": _l("refused: units already cancelled"),
    "offsets.plan_recorded": _l("offset plan recorded"),
    "offsets.shortfall": _l("offsets fall short of the account"),
    "offsets.sink_units_refused": _l("refused: units of another event's sink project"),
    "override.data_corrected": _l("administrator corrected data"),
    "override.reassigned": _l("administrator reassigned a task"),
    "override.step_skipped": _l("administrator skipped a failed step"),
    "plan.published": _l("plan published"),
    "plan.returned": _l("plan returned"),
    "policy.saved": _l("policy document saved"),
    "process.deployed": _l("process version deployed"),
    "process.migrated": _l("moved to another process version"),
    "process.migration_reverted": _l("process version move reverted"),
    "process.retried": _l("failed step retried"),
    "process.signalled": _l("process re-routed after a change"),
    "process.started": _l("process started"),
    "process.step_failed": _l("automatic step failed"),
    "registry.conflict": _l("cancellation conflicts with the registry's data"),
    "registry.imported": _l("registry data imported"),
    "registry.withdrawn": _l("registry data withdrawn"),
    "sink.application_late": _l("sink project registered late"),
    "sink.lock_violation": _l("refused: sink project belongs to another event"),
    "sink.monitoring_report_added": _l("sink monitoring report added"),
    "sink.other_mechanism_refused": _l("refused: sink used by another mechanism"),
    "sink.registered": _l("sink project registered"),
    "sink.returned": _l("sink project returned"),
    "sink.revised": _l("sink project revised"),
    "sink.validated": _l("sink project validated"),
    "sink.validation_late": _l("sink project validated late"),
    "task.claimed": _l("task claimed"),
    "task.completed": _l("task completed"),
    "task.created": _l("task created"),
    "task.reassigned": _l("task reassigned"),
    "task.unclaimed": _l("task given back"),
    "task.withdrawn": _l("task withdrawn"),
    "timer.fired": _l("timer fired"),
    "upload.attached": _l("evidence attached to the event"),
    "token.issued": _l("API token issued"),
    "token.revoked": _l("API token revoked"),
    "upload.stored": _l("file uploaded"),
    "verifier.reassigned": _l("third-party body replaced"),
}
