"""Supervision: Natural Resources' view of new forestry/marine sink projects (R-DEPT-NR, R-TIME-2), and
the cancellation ledger with each line's registry status for the departments (R-CAN-1, R-CAN-2)."""

from __future__ import annotations

from io import BytesIO

from flask import Blueprint, abort, render_template, request, send_file
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from models import Role
from models.offsets import Registry
from models.registry import RegistryStatus
from models.sinks import SinkStatus, SinkType
from processes import sinks
from processes.orgdata import COUNTY_NAMES
from processes.registry import importer
from processes.registry import report as registry_report
from processes.spreadsheet import add_sheet, empty_workbook, workbook_bytes
from webapp.authz import roles_required
from webapp.tasks.titles import DEADLINE_STATUS_TITLES

bp = Blueprint("supervision", __name__, url_prefix="/supervision", template_folder="templates")
SUPERVISORS = (Role.DEPARTMENT_STAFF, Role.DEPARTMENT_LEAD, Role.AUDITOR, Role.ADMIN)
COLUMNS = {  # the export's columns (keys of sinks.sink_rows) and their headings
    "id": _l("Project no."), "name": _l("Project"), "sink_type": _l("Sink type"), "event_id": _l("Event no."),
    "event_name": _l("Event"), "county": _l("County"), "location": _l("Location"), "area_ha": _l("Area (ha)"),
    "expected_tco2e": _l("Expected (t CO2e)"), "crediting_period_years": _l("Crediting period (years)"),
    "applied_on": _l("Applied on"), "application_due": _l("Application due"),
    "application_status": _l("Application deadline"), "status": _l("Status"),
    "validated_tco2e": _l("Validated (t CO2e)"), "validated_on": _l("Validated on"),
    "validation_due": _l("Validation due"), "validation_status": _l("Validation deadline"),
}


def _rows() -> list[dict]:
    if current_user.is_department and not sinks.is_natural_resources(current_user):
        abort(403)
    filters = {k: v for k, v in request.args.items() if k in ("county", "status", "year", "overdue") and v}
    return sinks.sink_rows(filters)


@bp.route("/sink-projects")
@roles_required(*SUPERVISORS)
def sink_projects():  # noqa: ANN201
    """All sink projects with status, deadlines (due, overdue), monitoring history; filters; XLSX."""
    return render_template("supervision/sink_projects.html", rows=_rows(), counties=COUNTY_NAMES,
                           statuses=list(SinkStatus), args=request.args)


@bp.route("/sink-projects.xlsx")
@roles_required(*SUPERVISORS)
def sink_projects_xlsx():  # noqa: ANN201
    """The supervision list as XLSX, headed and worded in the UI's language."""
    def words(row: dict) -> list:
        coded = {"sink_type": SinkType(row["sink_type"]).title, "status": SinkStatus(row["status"]).title,
                 "application_status": DEADLINE_STATUS_TITLES[row["application_status"]],
                 "validation_status": DEADLINE_STATUS_TITLES[row["validation_status"]]}
        return [str(coded[c]) if c in coded else row.get(c) for c in COLUMNS] + [
            "; ".join(f"{r['submitted_on']} SHA-256 {r['sha256'][:12]}" for r in row["monitoring_reports"])]

    book = empty_workbook()
    add_sheet(book, _("Sink projects")[:31], [str(title) for title in COLUMNS.values()] + [_("Monitoring reports")],
              [words(row) for row in _rows()])
    return send_file(BytesIO(workbook_bytes(book)), as_attachment=True, download_name="sink-projects.xlsx",
                     mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


# --------------------------------------------------------------------------- the cancellation ledger
LEDGER_FILTERS = ("registry", "registry_status", "instrument", "year", "serial", "event_id")
LEDGER_PAGE = 100


def _ledger_filters() -> dict[str, str]:
    return {k: v for k, v in request.args.items() if k in LEDGER_FILTERS and v}


@bp.route("/cancellations")
@roles_required(*SUPERVISORS)
def cancellations():  # noqa: ANN201
    """The ledger with what each registry's own data says (issue #22), filtered by registry and status."""
    rows = registry_report.ledger(_ledger_filters())
    page = min(max(request.args.get("page", 1, type=int), 1), max((len(rows) - 1) // LEDGER_PAGE + 1, 1))
    shown = rows[(page - 1) * LEDGER_PAGE:page * LEDGER_PAGE]
    return render_template("supervision/cancellations.html", rows=shown, total=len(rows), page=page,
                           pages=max((len(rows) - 1) // LEDGER_PAGE + 1, 1), args=request.args,
                           registries=list(Registry), statuses=list(RegistryStatus),
                           may_import=importer.may_import(current_user))


@bp.route("/cancellations.xlsx")
@roles_required(*SUPERVISORS)
def cancellations_xlsx():  # noqa: ANN201
    """The city's cancellations for the competent departments (R-CAN-1): one sheet per registry."""
    content = registry_report.workbook(_ledger_filters())
    return send_file(BytesIO(content), as_attachment=True, download_name="cancellations.xlsx",
                     mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
