"""Natural Resources supervision of new forestry/marine sink projects (R-DEPT-NR, R-TIME-2)."""

from __future__ import annotations

from io import BytesIO

from flask import Blueprint, abort, render_template, request, send_file
from flask_babel import gettext as _
from flask_login import current_user
from openpyxl import Workbook

from models import Role
from models.sinks import SinkStatus
from processes import sinks
from processes.orgdata import COUNTY_NAMES
from webapp.authz import roles_required

bp = Blueprint("supervision", __name__, url_prefix="/supervision", template_folder="templates")
SUPERVISORS = (Role.DEPARTMENT_STAFF, Role.DEPARTMENT_LEAD, Role.AUDITOR, Role.ADMIN)
COLUMNS = ["id", "name", "sink_type", "event_id", "event_name", "county", "location", "area_ha", "expected_tco2e",
           "crediting_period_years", "applied_on", "application_due", "application_status", "status",
           "validated_tco2e", "validated_on", "validation_due", "validation_status"]


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
    book = Workbook()
    sheet = book.active
    sheet.title = _("Sink projects")[:31]
    sheet.append(COLUMNS + ["monitoring_reports"])
    for row in _rows():
        sheet.append([row.get(c) for c in COLUMNS] + [
            "; ".join(f"{r['submitted_on']} sha256:{r['sha256'][:12]}" for r in row["monitoring_reports"])])
    buffer = BytesIO()
    book.save(buffer)
    buffer.seek(0)
    return send_file(buffer, as_attachment=True, download_name="sink-projects.xlsx",
                     mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
