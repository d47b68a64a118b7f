"""Dashboards and the compliance report for departments, DRC, auditors and admins, with XLSX exports
(R-GOAL-2025, R-GOAL-2027, R-POL-2; issue 7 "Dashboards" and "Process audit")."""

from __future__ import annotations

import tempfile
from datetime import date
from typing import Any

from flask import Blueprint, render_template, request, send_file
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user

from models.db import utcnow
from processes import events, reports
from processes.dates import local_today
from processes.localtime import with_zone
from processes.orgdata import COUNTY_NAMES
from processes.reports import REPORT_ROLES, Scope, Table
from webapp.authz import roles_required
from webapp.dashboard.tables import compliance_tables, county_label, dashboard_tables

bp = Blueprint("dashboard", __name__, url_prefix="/dashboard", template_folder="templates")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PAGE_ROWS = 50  # rows of a list shown on the page (read in SQL with its total); the XLSX export has them all
SPOOL_BYTES = 4 * 1024 * 1024  # an export larger than this is written to a temporary file


def _locale() -> str:
    return str(get_locale() or "zh_Hans_CN")


def _scope() -> Scope:
    """The filters asked for; a county EEB branch sees its own county unless it asks for another."""
    return Scope.parse(request.args.get("year"), request.args.get("county"), reports.default_county(current_user))


def _filters(scope: Scope) -> dict[str, Any]:
    """What the filter form and the export link need."""
    locale = _locale()
    return {
        "scope": scope,
        "years": reports.event_years(),
        "counties": [(county, county_label(county, locale)) for county in COUNTY_NAMES],
        "args": {"year": scope.year or "", "county": scope.county or ""},
        "county_label": county_label(scope.county, locale) if scope.county else None,
    }


def _xlsx(title: str, scope: Scope, tables: list[Table], today: date, name: str) -> Any:
    about = [
        (_("Report"), title),
        (_("Year"), scope.year or _("All years")),
        (_("County"), county_label(scope.county, _locale()) if scope.county else _("All counties")),
        (_("Figures as of"), today),
        (with_zone(_("Exported at")), utcnow()),
        (_("Exported by"), current_user.display_name),
    ]
    # Written row by row to a temporary file (in memory while small), then sent from it in chunks: a
    # whole history's export never sits in memory as a workbook of cell objects (issue #19).
    out = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)  # noqa: SIM115 - send_file closes it
    reports.write_workbook(tables, about, out)
    out.seek(0)
    return send_file(out, mimetype=XLSX, as_attachment=True, download_name=f"{name}-{today.isoformat()}.xlsx")


@bp.route("/")
@roles_required(*REPORT_ROLES)
def index():  # noqa: ANN201
    scope, today = _scope(), local_today(utcnow())
    figures = reports.dashboard(scope, today)
    return render_template("dashboard/index.html", figures=figures, tables=dashboard_tables(figures, _locale()),
                           today=today, **_filters(scope))


@bp.route("/export.xlsx")
@roles_required(*REPORT_ROLES)
def export():  # noqa: ANN201
    scope, today = _scope(), local_today(utcnow())
    tables = dashboard_tables(reports.dashboard(scope, today), _locale())
    return _xlsx(_("Dashboard"), scope, tables, today, "tanzhong-dashboard")


@bp.route("/compliance")
@roles_required(*REPORT_ROLES)
def compliance():  # noqa: ANN201
    scope, today = _scope(), local_today(utcnow())
    report = reports.compliance(scope, today, events.visible_events_query(current_user), limit=PAGE_ROWS)
    return render_template("dashboard/compliance.html", report=report, tables=compliance_tables(report, _locale()),
                           page_rows=PAGE_ROWS, today=today, **_filters(scope))


@bp.route("/compliance.xlsx")
@roles_required(*REPORT_ROLES)
def compliance_export():  # noqa: ANN201
    scope, today = _scope(), local_today(utcnow())
    report = reports.compliance(scope, today, events.visible_events_query(current_user), stream=True)
    return _xlsx(_("Compliance report"), scope, compliance_tables(report, _locale()), today, "tanzhong-compliance")
