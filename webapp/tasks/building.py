"""Build a task's form: choices from the database, prefilled from the plan or a saved draft."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from flask_wtf import FlaskForm
from sqlalchemy import select
from werkzeug.datastructures import MultiDict
from wtforms import FieldList

from models import Event, HumanTask, VerifierBody, db
from models.accounting import ActivityLine, EmissionCategory, EmissionFactor, FactorStatus, ReductionMeasure
from processes import accounting, bounds, duties
from processes.accounting.factors import source_reference
from webapp.formjson import flatten, form_data, json_safe, payload_formdata
from webapp.tasks.forms import TASK_FORMS, ActivityLineForm, FormField, ReportReductionsForm, UploadIdField
from webapp.tasks.returned import previous_plan

BLANK_ROWS = 2  # extra empty rows on the page for lines still to be typed


def _factor_choices(locale_en: bool) -> list[tuple]:
    """Factors of the current set; one whose value is not yet checked against its primary source
    says so, so the organizer can prefer a checked one or a measured value (issue #5). Each option's
    tooltip names its check status and exact source; the public factor page has the full text (issue #16)."""
    rows = accounting.factors(accounting.current_factor_set())
    unchecked = _("not yet verified against its source")
    return [("", "—")] + [
        (f.key, f"{f.name_en if locale_en else f.name_zh} [{f.unit}]"
                + (f" ({unchecked})" if f.status is FactorStatus.TO_VERIFY else ""),
         {"title": _factor_tooltip(f), "data-unit": f.unit, "data-category": f.category.value,
          "data-kg": str(f.kgco2e_per_unit)})  # read by static/js/rows.js: the unit and the running total
        for f in rows
    ]


def _factor_tooltip(factor: EmissionFactor) -> str:
    """Status in words, the publication and its table or factor ID, and the first day it applies."""
    parts = [f"{factor.status.title}: {source_reference(factor)}"]
    if factor.valid_from:
        parts.append(_("for events from %(date)s", date=factor.valid_from.isoformat()))
    return " · ".join(parts)


def _verifier_choices(event: Event) -> list[tuple]:
    """Bodies accredited on the event's dates; a body with a declared conflict is shown, disabled,
    with the reason (separation of duties)."""
    bodies = db.session.execute(select(VerifierBody).order_by(VerifierBody.name)).scalars()
    choices: list[tuple] = [(0, "—")]
    for body in bodies:
        if not body.is_accredited_between(event.starts_on, event.ends_on):
            continue
        label = f"{body.name} ({body.accreditation_no})"
        conflict = duties.conflict_of(body, event)
        if conflict is None:
            choices.append((body.id, label))
        else:
            choices.append((body.id, f"{label} — {_('conflict of interest')}: {conflict.reason}", {"disabled": True}))
    return choices


def _set_factor_choices(form: FlaskForm) -> None:
    """The current factor set's choices on every activity line of the form."""
    factor_choices = None
    for field in form:
        if isinstance(field, FieldList):
            for entry in field.entries:
                if isinstance(entry, FormField) and isinstance(entry.form, ActivityLineForm):
                    factor_choices = factor_choices or _factor_choices(getattr(form, "locale_en", False))
                    entry.form.factor_key.choices = factor_choices


def _lines(event: Event, stage: str) -> list[dict[str, Any]]:
    rows = db.session.execute(
        select(ActivityLine).where(ActivityLine.event_id == event.id, ActivityLine.stage == stage)
        .order_by(ActivityLine.id)
    ).scalars()
    return [{"factor_key": r.factor_key, "quantity": r.quantity, "note": r.note} for r in rows]


def initial_data(task: HumanTask, event: Event) -> dict[str, Any]:
    """What the form shows before anything is typed (when no draft is saved): a returned plan as it
    was submitted, else sensible prefill."""
    if task.name == "prepare_plan":
        return previous_plan(event) or {
            "boundary": [{"category": c.value, "included": True} for c in EmissionCategory],
            "verifier_body": event.verifier_body_id or 0}
    if task.name == "report_reductions":
        measures = db.session.execute(
            select(ReductionMeasure).where(ReductionMeasure.event_id == event.id).order_by(ReductionMeasure.id)
        ).scalars()
        return {"measures": [{"measure_id": m.id} for m in measures]}
    if task.name == "account_emissions":
        return {"activities": _lines(event, "estimate")}
    if task.name == "correct_account":  # R-ACC-1: the submitted account, to be corrected
        return {"activities": _lines(event, "actual")}
    if task.name == "third_party_evaluation" and event.verifier_body is not None:
        return {"body_name": event.verifier_body.name, "accreditation_no": event.verifier_body.accreditation_no}
    return {}


def _all_fields(form: Any):  # noqa: ANN202
    for field in form:
        if isinstance(field, FieldList):
            for entry in field.entries:
                yield from _all_fields(entry.form) if isinstance(entry, FormField) else [entry]
        elif isinstance(field, FormField):
            yield from _all_fields(field.form)
        else:
            yield field


def upload_fields(form: FlaskForm) -> list[UploadIdField]:
    return [f for f in _all_fields(form) if isinstance(f, UploadIdField)]


def build_task_form(task: HumanTask, event: Event, *, formdata: MultiDict | None = None, payload: Any = None,
                    api: bool = False, locale_en: bool = False, blank_rows: bool = False) -> FlaskForm:
    """Instantiate the task's form. API callers: no CSRF; a JSON `payload` is checked against the
    form's schema (:raises Invalid:) before it becomes form data."""
    if payload is not None:
        formdata = payload_formdata(form_template(task, event), payload)
    form_cls = TASK_FORMS[task.name]
    meta = {"csrf": False} if api else {}
    if formdata is None and task.draft:
        formdata = flatten(task.draft)  # a draft is re-read exactly as if it were posted again
    if formdata is None:
        form = form_cls(formdata=None, data=initial_data(task, event), meta=meta)
    else:
        form = form_cls(formdata=formdata, meta=meta)
    if blank_rows:
        for field in form:
            if isinstance(field, FieldList) and field.short_name not in fixed_lists(form):
                for _ in range(BLANK_ROWS):
                    field.append_entry()
    form.locale_en = locale_en
    _set_factor_choices(form)
    if hasattr(form, "verifier_body"):
        form.verifier_body.choices = _verifier_choices(event)
    return form


def add_rows(form: FlaskForm, name: str, count: int = BLANK_ROWS) -> bool:
    """Append `count` empty rows to the form's list `name` (the "more rows" button without script);
    False when the form has no such growable list or it is full."""
    field = getattr(form, name, None)
    if not isinstance(field, FieldList) or name in fixed_lists(form):
        return False
    room = getattr(field, "max_rows", bounds.MAX_LINES) - len(field.entries)
    for _row in range(max(min(count, room), 0)):
        field.append_entry()
    _set_factor_choices(form)
    return room > 0


def fixed_lists(form: FlaskForm) -> set[str]:
    """Lists whose rows are given, not typed: the boundary's categories, the planned measures reported."""
    return {"boundary"} | ({"measures"} if isinstance(form, ReportReductionsForm) else set())


def form_template(task: HumanTask, event: Event) -> FlaskForm:
    """The task's form with nothing typed and a row in every list: what its JSON Schema is made of."""
    return build_task_form(task, event, formdata=MultiDict(), api=True, locale_en=True, blank_rows=True)


def draft_of(form: FlaskForm) -> dict[str, Any]:
    """Form data as JSON for a draft (Decimals as strings, dates ISO)."""
    return json_safe(form_data(form))
