"""The inbox and task pages: claim, unclaim, reassign, save a draft, complete, comment."""

from __future__ import annotations

from decimal import Decimal

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.orm import joinedload
from werkzeug.datastructures import MultiDict
from wtforms import FieldList, FormField

from models import Comment, Decision, Event, HumanTask, Role, User, db
from models.accounting import EmissionCategory, ReductionMeasure
from models.offsets import OffsetPlanLine
from processes import accounting, lanes, offsets, uploads, workflow
from processes.errors import Conflict, Invalid, ServiceError
from processes.task_handlers import HANDLERS
from webapp.formjson import form_data, form_data_row
from webapp.tasks.building import add_rows, build_task_form, draft_of, upload_fields
from webapp.tasks.lines_xlsx import LINE_LISTS, import_rows, template_workbook
from webapp.tasks.returned import last_review_round
from webapp.tasks.titles import TASK_TITLES

bp = Blueprint("tasks", __name__, url_prefix="/tasks", template_folder="templates")
UPLOAD_FIELD_NAMES = {"evidence", "certificate", "report", "monitoring_report"}  # the UploadIdFields
PAGE_SIZE = 25
TASK_ROLES = (Role.ORGANIZER, Role.DEPARTMENT_STAFF, Role.DEPARTMENT_LEAD, Role.VERIFIER)


def _locale_en() -> bool:
    return str(get_locale()).startswith("en")


@bp.route("/")
@login_required
def inbox():  # noqa: ANN201
    page = max(request.args.get("page", 1, type=int), 1)
    query = workflow.with_holders(workflow.inbox_query(current_user)).options(joinedload(HumanTask.event))
    tasks = db.paginate(query, page=page, per_page=PAGE_SIZE, error_out=False)
    return render_template("tasks/inbox.html", tasks=tasks)


def _stored_uploads(form_names: list[str], event: Event) -> MultiDict:
    """Store files posted beside upload-id fields (`<name>_file`) and return form data with their ids."""
    data = MultiDict(request.form)
    for name in form_names:
        file = request.files.get(f"{name}_file")
        if file and file.filename:
            upload = uploads.store(file.read(), file.filename, current_user, current_app.config["UPLOAD_DIR"],
                                   max_bytes=current_app.config["MAX_CONTENT_LENGTH"], event=event)
            data.setlist(name, [str(upload.id)])
    return data


@bp.route("/<int:task_id>", methods=["GET", "POST"])
@login_required
def show(task_id: int):  # noqa: ANN201
    task = workflow.get_task_for(current_user, task_id)
    event = task.event  # loaded with the task
    if request.method == "GET" or task.status != "open":
        form = build_task_form(task, event, locale_en=_locale_en(), blank_rows=task.status == "open")
        return _render(task, event, form)
    names = [key[: -len("_file")] for key in request.files if key.endswith("_file")]
    try:
        formdata = _stored_uploads([n for n in names if n.rsplit("-", 1)[-1] in UPLOAD_FIELD_NAMES], event)
    except Invalid as exc:
        db.session.rollback()
        form = build_task_form(task, event, formdata=MultiDict(request.form), locale_en=_locale_en())
        flash(str(exc.message), "error")
        return _render(task, event, form), 422
    form = build_task_form(task, event, formdata=formdata, locale_en=_locale_en())
    action = request.form.get("action", "")
    if action.startswith("more-"):  # "more rows" without script: the same page, what is typed, empty rows
        db.session.commit()  # keep uploads already stored
        add_rows(form, action.removeprefix("more-"))
        return _render(task, event, form)
    if action.startswith("import-"):  # lines from a spreadsheet, filled in for review, not submitted
        db.session.commit()
        return _import_lines(task, event, form, action.removeprefix("import-"))
    if request.form.get("action") == "preview":  # the page again with what is typed (the declaration to sign)
        db.session.commit()  # keep uploads already stored; nothing else is saved
        return _render(task, event, form)
    if request.form.get("action") == "draft":
        workflow.save_draft(current_user, task.id, draft_of(form))
        db.session.commit()
        flash(_("Draft saved. You can come back and finish it later."), "success")
        return redirect(url_for("tasks.show", task_id=task.id))
    db.session.commit()  # uploads stay stored (their ids in the form) whatever the service answers
    if not form.validate():
        return _render(task, event, form), 422
    try:
        workflow.complete_task(current_user, task.id, form_data(form), HANDLERS)
    except (Invalid, Conflict) as exc:  # 422, or 409 (serials already cancelled): the form comes back as typed
        db.session.rollback()
        _attach_errors(form, exc)
        flash(str(exc.message), "error")
        return _render(task, event, form), exc.status
    db.session.commit()
    flash(_("Done: “%(task)s” is completed.", task=task_title(task.name)), "success")
    return redirect(url_for("events.show", event_id=event.id))


def _attach_errors(form, exc: ServiceError) -> None:  # noqa: ANN001
    """Put service field errors ("estimate-2-quantity") on the matching form fields. The service
    counts only the rows with something typed (blank rows are dropped): its row 2 is the page's
    third row when a blank row comes before it."""
    fields = {f.name: f for f in _walk(form)}
    rows = _typed_rows(form)
    for name, messages in exc.fields.items():
        row, _sep, sub = name.rpartition("-")
        field = fields.get(f"{rows[row]}-{sub}" if row in rows else name)
        target = field.errors if field is not None else form.form_errors
        if isinstance(target, tuple):
            field.errors = list(target)
            target = field.errors
        target.extend(str(m) for m in messages)


def _typed_rows(form) -> dict[str, str]:  # noqa: ANN001
    """{"cancellations-1": "cancellations-2"}: the service's row names → the page's rows."""
    out: dict[str, str] = {}
    for field in form:
        if isinstance(field, FieldList):
            typed = [entry for entry in field.entries if form_data_row(entry)]
            out.update({f"{field.name}-{i}": entry.name for i, entry in enumerate(typed)})
    return out


def _walk(form):  # noqa: ANN001,ANN202
    for field in form:
        yield field
        if isinstance(field, FieldList):
            for entry in field.entries:
                yield entry
                if isinstance(entry, FormField):
                    yield from _walk(entry.form)
        elif isinstance(field, FormField):
            yield from _walk(field.form)


def _render(task: HumanTask, event: Event, form):  # noqa: ANN001,ANN202
    decisions = db.session.execute(
        select(Decision).where(Decision.event_id == event.id).order_by(Decision.id)).scalars().all()
    comments = db.session.execute(
        select(Comment).where(Comment.event_id == event.id).order_by(Comment.id)).scalars().all()
    colleagues = lanes.reassign_targets(current_user, task)  # a lead's choice; empty for anyone else
    emissions = accounting.emissions_summary(event)
    actual = emissions.get("actual_tco2e")
    offset_plan = db.session.execute(select(OffsetPlanLine).where(OffsetPlanLine.event_id == event.id)
                                     .order_by(OffsetPlanLine.id)).scalars().all()
    planned = {m.id: m for m in db.session.execute(select(ReductionMeasure)
                                                   .where(ReductionMeasure.event_id == event.id)).scalars()}
    return render_template("tasks/task.html", task=task, event=event, form=form, decisions=decisions,
                           planned_measures=planned, line_lists=LINE_LISTS, category_titles=_category_titles(),
                           returned=last_review_round(task),
                           comments=comments, colleagues=colleagues, title=task_title(task.name),
                           upload_names={f.name for f in upload_fields(form)}, emissions=emissions,
                           offsets=offsets.offsets_summary(event, Decimal(actual) if actual else None),
                           offset_plan=offset_plan)


def _category_titles() -> dict[str, str]:
    return {c.value: str(c.title) for c in EmissionCategory}


def _import_lines(task: HumanTask, event: Event, form, name: str):  # noqa: ANN001,ANN202
    """Fill the list `name` from the uploaded workbook (`<name>_xlsx`): every row for review, the
    bad ones with their line's error; nothing is submitted."""
    file = request.files.get(f"{name}_xlsx")
    if name not in LINE_LISTS.get(task.name, ()) or not file or not file.filename:
        form.form_errors.append(_("Choose an XLSX file made from the template."))
        return _render(task, event, form), 422
    try:
        rows, errors = import_rows(file.read(), form.locale_en)
    except Invalid as exc:
        form.form_errors.append(str(exc.message))
        return _render(task, event, form), 422
    field = getattr(form, name)
    while field.entries:
        field.pop_entry()
    for row in rows:
        field.append_entry(row)
    add_rows(form, name, 0)  # the factor choices on the new rows
    for index, messages in errors.items():
        for sub, message in messages:
            target = field.entries[index].form[sub]
            target.errors = [*target.errors, message]
    if errors:
        form.form_errors.append(_("%(n)d lines of the spreadsheet need a correction (marked below); "
                                  "nothing was submitted.", n=len(errors)))
        return _render(task, event, form), 422
    flash(_("%(n)d lines imported: check them, then submit.", n=len(rows)), "success")
    return _render(task, event, form)


@bp.route("/<int:task_id>/lines-template.xlsx")
@login_required
def lines_template(task_id: int):  # noqa: ANN201
    """The spreadsheet to fill in for "Import lines from XLSX": its columns and the current factors."""
    task = workflow.get_task_for(current_user, task_id)
    if task.name not in LINE_LISTS:
        abort(404)
    response = current_app.response_class(
        template_workbook(_locale_en()), mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response.headers["Content-Disposition"] = 'attachment; filename="activity-lines.xlsx"'
    return response


@bp.post("/<int:task_id>/claim")
@login_required
def claim(task_id: int):  # noqa: ANN201
    workflow.claim(current_user, task_id)
    db.session.commit()
    flash(_("You hold this task now."), "success")
    return redirect(url_for("tasks.show", task_id=task_id))


@bp.post("/<int:task_id>/unclaim")
@login_required
def unclaim(task_id: int):  # noqa: ANN201
    workflow.unclaim(current_user, task_id)
    db.session.commit()
    flash(_("The task is back in the department's inbox."), "success")
    return redirect(url_for("tasks.inbox"))


@bp.post("/<int:task_id>/reassign")
@login_required
def reassign(task_id: int):  # noqa: ANN201
    to_user = db.session.get(User, request.form.get("user_id", type=int) or 0)
    if to_user is None:
        raise Invalid(_("Choose a colleague."), {"user_id": [_("Choose a colleague.")]})
    workflow.reassign(current_user, task_id, to_user, request.form.get("reason") or None)
    db.session.commit()
    flash(_("Reassigned to %(name)s.", name=to_user.display_name), "success")
    return redirect(url_for("tasks.show", task_id=task_id))


def task_title(name: str) -> str:
    return str(TASK_TITLES.get(name, name))

