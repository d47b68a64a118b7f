"""Reports across events (issue 7): the dashboards' figures (R-GOAL-2025, R-GOAL-2027, R-POL-2) and
the compliance report of the process audit, with their XLSX export. See docs/dashboards.md."""

from processes.reports.compliance import Compliance, compliance
from processes.reports.dashboard import Dashboard, Tally, dashboard
from processes.reports.scope import REPORT_ROLES, Scope, default_county, event_years
from processes.reports.tables import Chart, Column, Table, workbook, write_workbook

__all__ = [
    "REPORT_ROLES",
    "Chart",
    "Column",
    "Compliance",
    "Dashboard",
    "Scope",
    "Table",
    "Tally",
    "compliance",
    "dashboard",
    "default_county",
    "event_years",
    "workbook",
    "write_workbook",
]
