"""The dashboard's and the compliance report's figures as titled tables with their charts, in the
user's language (the page and the XLSX export both render these)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from models import Department
from models.event import DeadlineKind, EventStatus
from models.offsets import Instrument, Registry
from models.org import OrganizerType
from models.sinks import SinkStatus
from processes.localtime import local_naive, with_zone
from processes.orgdata import COUNTIES
from processes.reports import Chart, Column, Compliance, Dashboard, Table, Tally
from webapp.tasks.titles import ACTION_TITLES, TASK_TITLES

LANE_TITLES = {"Organizer": _l("Organizers"), "Verifier": _l("Verification bodies")}
PRIORITY_TITLES = {
    1: _l("Priority 1: Shandong carbon inclusion"),
    2: _l("Priority 2: CCER from Shandong, other mechanisms"),
    3: _l("Priority 3: national allowances (CEA)"),
    None: _l("New forestry or marine sink projects"),
}
DEADLINE_COLUMNS = {
    DeadlineKind.OFFSET: _l("Offsetting deadline (6 months)"),
    DeadlineKind.SINK_APPLICATION: _l("Sink application deadline (1 year)"),
    DeadlineKind.SINK_VALIDATION: _l("Sink validation deadline (2 years)"),
}
_COUNTY_EN = {zh: en for _code, zh, en in COUNTIES}


def county_label(county: str, locale: str) -> str:
    return _COUNTY_EN.get(county, county) if locale.startswith("en") else county


def holder_label(department: Department | None, lane: str | None, locale: str) -> str:
    if department is not None:
        return department.name(locale)
    return str(LANE_TITLES.get(lane or "", lane or _("Not assigned")))


def _tally_columns(first: Column) -> list[Column]:
    return [first, Column("events", _l("Registered events"), "int"),
            Column("in_scope", _l("In the plan's scope (200+)"), "int"),
            Column("confirmed", _l("Carbon neutral (confirmed)"), "int"),
            Column("share", _l("Share confirmed (%)"), "percent")]


def _tally_row(label: Any, tally: Tally) -> list[Any]:
    return [label, tally.events, tally.in_scope, tally.confirmed, tally.share_percent]


def _tally_table(key: str, title: Any, first: Column, tallies: dict[Any, Tally], label: Callable[[Any], Any],
                 chart: str) -> Table:
    rows = [_tally_row(label(value), tally) for value, tally in tallies.items()]
    names = [str(row[0]) for row in rows]
    registered = (_("Registered events"), [row[1] for row in rows])
    if chart == "bar":
        drawn = Chart("bar", names, [registered, (_("Carbon neutral (confirmed)"), [row[3] for row in rows])],
                      horizontal=key == "by_county")
    else:
        drawn = Chart(chart, names, [registered])
    return Table(key, title, _tally_columns(first), rows, drawn,
                 totals=_tally_row(_("Total"), sum(tallies.values(), Tally())))


def dashboard_tables(figures: Dashboard, locale: str) -> list[Table]:
    """Return every table of the dashboard, in page order."""
    return [
        _tally_table("by_year", _l("Events by year"), Column("year", _l("Year")), figures.tally("year"),
                     lambda year: year, "bar"),
        _tally_table("by_tier", _l("Events by tier"), Column("tier", _l("Tier")), figures.tally("tier"),
                     lambda tier: tier.title, "doughnut"),
        _tally_table("by_sector", _l("Events by sector"), Column("sector", _l("Sector")), figures.tally("sector"),
                     lambda sector: sector.title, "bar"),
        _tally_table("by_organizer_type", _l("Events by organizer type"),
                     Column("organizer_type", _l("Organizer type")), figures.tally("organizer_type"),
                     lambda kind: kind.title, "pie"),
        _tally_table("by_county", _l("Events by county"), Column("county", _l("County")), figures.tally("county"),
                     lambda county: county_label(county, locale), "bar"),
        _party_government_table(figures),
        _tonnes_table(figures),
        _instrument_table(figures),
        _priority_table(figures),
        _overdue_table(figures, locale),
        _goal_table(figures),
    ]


def _party_government_table(figures: Dashboard) -> Table:
    """R-POL-2: party and government organs' events lead in being carbon neutral."""
    by_year = figures.party_government()
    columns = [Column("year", _l("Year")), Column("in_scope", _l("In-scope events"), "int"),
               Column("ended", _l("Of which ended"), "int"),
               Column("confirmed", _l("Carbon neutral (confirmed)"), "int"),
               Column("share", _l("Share confirmed (%)"), "percent")]
    rows = [[year, t.in_scope, t.ended, t.confirmed, t.share_percent] for year, t in by_year.items()]
    total = sum(by_year.values(), Tally())
    chart = Chart("bar", [str(r[0]) for r in rows], [(_("In-scope events"), [r[1] for r in rows]),
                                                    (_("Carbon neutral (confirmed)"), [r[3] for r in rows])])
    return Table("party_government", _l("Party and government organs' events reaching neutrality"),
                 columns, rows, chart, totals=[_("Total"), total.in_scope, total.ended, total.confirmed,
                                               total.share_percent])


def _tonnes_table(figures: Dashboard) -> Table:
    rows = [[_("Emissions accounted (actual)"), figures.accounted_tco2e, figures.accounted_events],
            [_("Reductions achieved"), figures.reduced_tco2e, None],
            [_("Offset (units cancelled and validated sink projects)"), figures.offset_tco2e, None]]
    columns = [Column("figure", _l("Figure")), Column("tco2e", _l("t CO2e"), "tonnes"),
               Column("events", _l("Events with an account"), "int")]
    return Table("tonnes", _l("Tonnes accounted, reduced and offset"), columns, rows,
                 Chart("bar", [r[0] for r in rows], [(_("t CO2e"), [r[1] for r in rows])], unit="t CO2e"))


def _instrument_table(figures: Dashboard) -> Table:
    rows = [[instrument.title, PRIORITY_TITLES[instrument.priority], tonnes]
            for instrument, tonnes in figures.offset_by_instrument.items()]
    columns = [Column("instrument", _l("Instrument")), Column("priority", _l("Priority")),
               Column("tco2e", _l("t CO2e"), "tonnes")]
    return Table("by_instrument", _l("Offset by instrument"), columns, rows,
                 Chart("pie", [r[0] for r in rows], [(_("t CO2e"), [r[2] for r in rows])], unit="t CO2e"),
                 totals=[_("Total"), None, figures.offset_tco2e])


def _priority_table(figures: Dashboard) -> Table:
    rows = [[PRIORITY_TITLES[priority], tonnes] for priority, tonnes in figures.offset_by_priority().items()]
    columns = [Column("priority", _l("Priority")), Column("tco2e", _l("t CO2e"), "tonnes")]
    return Table("by_priority", _l("Offset by priority"), columns, rows,
                 Chart("bar", [r[0] for r in rows], [(_("t CO2e"), [r[1] for r in rows])], unit="t CO2e"),
                 totals=[_("Total"), figures.offset_tco2e])


def _overdue_table(figures: Dashboard, locale: str) -> Table:
    kinds = list(DEADLINE_COLUMNS)
    columns = ([Column("department", _l("Department")), Column("tasks", _l("Overdue tasks"), "int")]
               + [Column(kind.value, DEADLINE_COLUMNS[kind], "int") for kind in kinds]
               + [Column("total", _l("Total"), "int")])
    rows = [[holder_label(r.department, r.lane, locale), r.tasks, *[r.deadlines.get(k, 0) for k in kinds], r.total]
            for r in figures.overdue]
    totals = [_("Total"), *[sum(row[i] for row in rows) for i in range(1, len(columns))]]
    chart = Chart("bar", [r[0] for r in rows],
                  [(_("Overdue tasks"), [r[1] for r in rows])]
                  + [(str(DEADLINE_COLUMNS[k]), [r[2 + i] for r in rows]) for i, k in enumerate(kinds)],
                  stacked=True, horizontal=True)
    return Table("overdue", _l("Overdue items by department"), columns, rows, chart, totals=totals,
                 note=_l("Open tasks past their due day, by who holds them; deadlines missed and still unmet, by "
                         "the supervising department (EEB for offsetting, Natural Resources for sink projects)."))


def _goal_table(figures: Dashboard) -> Table:
    """R-GOAL-2025/2027: in-scope events by year and organizer type."""
    progress = figures.goal_progress()
    columns = [Column("year", _l("Year")), Column("organizer_type", _l("Organizer type")),
               Column("in_scope", _l("In-scope events"), "int"),
               Column("confirmed", _l("Carbon neutral (confirmed)"), "int"),
               Column("share", _l("Share confirmed (%)"), "percent")]
    rows = [[year, kind.title, t.in_scope, t.confirmed, t.share_percent]
            for year, by_type in progress.items() for kind, t in by_type.items()]
    chart = Chart("bar", [str(year) for year in progress],
                  [(kind.title, [progress[year][kind].in_scope for year in progress]) for kind in OrganizerType],
                  stacked=True)
    return Table("goals", _l("Progress toward the 2025 and 2027 goals"), columns, rows, chart,
                 note=_l("By 2025 party and government organs and enterprises are the main implementers; "
                         "by 2027 the whole of society takes part."))


# --- compliance report -------------------------------------------------------------------------

def _rows(section: Iterable[Any], row: Callable[[Any], list[Any]]) -> Iterable[list[Any]]:
    """A section's table rows: a list for the page, a generator (read once, row by row) for an export."""
    if isinstance(section, list):
        return [row(item) for item in section]
    return (row(item) for item in section)


def _titles(*enums: type) -> dict[Any, str]:
    """The translated titles of these enums' members, read once per report rather than once per row."""
    return {member: member.title for enum in enums for member in enum}


def compliance_tables(report: Compliance, locale: str) -> list[Table]:
    """Return every table of the compliance report, in page order (rows as the report holds them: the
    first rows of each section with its total for the page, or all of them streamed for the export).
    The sections check R-PLAN-1, R-TIME-1, R-OFF-4 and R-TIME-2; times are in the display zone."""
    event = [Column("event_id", _l("Event no."), "event_id"), Column("event", _l("Event"))]
    sink_status = {"overdue": _("Overdue, not met"), "met_late": _("Met late")}
    title = _titles(EventStatus, Instrument, Registry, DeadlineKind, SinkStatus)
    tasks = {name: str(task_title) for name, task_title in TASK_TITLES.items()}
    yes, no = _("Yes"), _("No")
    plan, cancellation, no_reason = _("Plan"), _("Cancellation"), _("No reason recorded")
    by_department = report.overdue_by_department()
    department_rows = [[holder_label(r.department, r.lane, locale), r.tasks, r.oldest_due_on] for r in by_department]
    return [
        Table("late_plans", _l("Plans not published before the event started"),
              [*event, Column("county", _l("County")), Column("starts_on", _l("Starts on"), "date"),
               Column("published_at", with_zone(_("Plan published on")), "datetime"), Column("status", _l("Status"))],
              _rows(report.late_plans, lambda p: [p.event_id, p.event_name, county_label(p.county, locale),
                                                  p.starts_on, local_naive(p.published_at), title[p.status]]),
              note=_l("Events of 200 or more participants that have started; the plan must be published "
                      "before."), count=_count(report.late_plans)),
        Table("late_cancellations", _l("Cancellations after the 6-month deadline"),
              [Column("cancellation_id", _l("Cancellation no."), "int"), *event,
               Column("instrument", _l("Instrument")), Column("registry", _l("Registry")),
               Column("serials", _l("Serial numbers")), Column("tco2e", _l("t CO2e"), "tonnes"),
               Column("cancelled_on", _l("Cancelled on"), "date"), Column("due_on", _l("Due on"), "date"),
               Column("days_late", _l("Days late"), "int"), Column("reversed", _l("Reversed later"))],
              _rows(report.late_cancellations, lambda c: [
                  c.cancellation_id, c.event_id, c.event_name, title[c.instrument], title[c.registry], c.serials,
                  c.quantity_tco2e, c.cancelled_on, c.due_on, c.days_late, yes if c.reversed else no]),
              note=_l("Offsetting is completed within 6 months after the event ends."),
              count=_count(report.late_cancellations)),
        Table("priority_deviations", _l("Priority deviations and their reasons"),
              [Column("source", _l("Recorded in")), *event, Column("instrument", _l("Instrument")),
               Column("priority", _l("Priority"), "int"), Column("tco2e", _l("t CO2e"), "tonnes"),
               Column("reason", _l("Reason"))],
              _rows(report.priority_deviations, lambda d: [
                  plan if d.source == "plan" else cancellation, d.event_id, d.event_name, title[d.instrument],
                  d.instrument.priority, d.quantity_tco2e, d.reason or no_reason]),
              note=_l("Instruments of priority 2 or 3; choosing a lower priority needs a recorded reason."),
              count=_count(report.priority_deviations)),
        Table("late_sinks", _l("Sink projects past their 1- or 2-year deadlines"),
              [*event, Column("deadline", _l("Deadline")), Column("due_on", _l("Due on"), "date"),
               Column("done_on", _l("Done on"), "date"), Column("status", _l("Status")),
               Column("project", _l("Sink project")), Column("project_status", _l("Project status"))],
              _rows(report.late_sinks, lambda s: [
                  s.event_id, s.event_name, title[s.kind], s.due_on, s.done_on, sink_status[s.status],
                  s.project_name, title[s.project_status] if s.project_status else None]),
              note=_l("Application within 1 year and validation within 2 years after the event."),
              count=_count(report.late_sinks)),
        Table("returns", _l("Returns and their reasons"),
              [*event, Column("task", _l("Task")), Column("round", _l("Round"), "int"),
               Column("department", _l("Department")), Column("decided_by", _l("Returned by")),
               Column("decided_at", with_zone(_("Returned at")), "datetime"), Column("reason", _l("Reason"))],
              _rows(report.returns, lambda r: [
                  r.event_id, r.event_name, tasks.get(r.task, r.task), r.round,
                  r.department.name(locale) if r.department else None, r.decided_by, local_naive(r.decided_at),
                  r.reason]),
              count=_count(report.returns)),
        Table("overdue_by_department", _l("Tasks overdue per department"),
              [Column("department", _l("Department")), Column("tasks", _l("Overdue tasks"), "int"),
               Column("oldest_due_on", _l("Oldest due date"), "date")],
              department_rows,
              Chart("bar", [r[0] for r in department_rows], [(_("Overdue tasks"), [r[1] for r in department_rows])],
                    horizontal=True),
              totals=[_("Total"), sum(r.tasks for r in by_department), None]),
        Table("overdue_tasks", _l("Overdue tasks"),
              [Column("task", _l("Task")), *event, Column("holder", _l("Held by")),
               Column("due_on", _l("Due on"), "date"), Column("days_overdue", _l("Days overdue"), "int")],
              _rows(report.overdue_tasks, lambda t: [
                  tasks.get(t.name, t.title), t.event_id, t.event_name, t.holder_name(locale), t.due_on,
                  t.days_overdue(report.today)]),
              count=_count(report.overdue_tasks)),
        Table("governance", _l("Administrators' overrides and process migrations"),
              [Column("event_id", _l("Event no."), "event_id"), Column("action", _l("Action")),
               Column("actor", _l("Who")), Column("at", with_zone(_("When")), "datetime"),
               Column("reason", _l("Reason"))],
              _rows(report.governance, lambda g: [g.event_id, str(ACTION_TITLES.get(g.action, g.action)), g.actor,
                                                  local_naive(g.at), g.reason]),
              note=_l("Every override needs a reason and is audited (reassignments, retried or skipped steps, "
                      "corrected drafts, moves between diagram versions)."), count=_count(report.governance)),
    ]


def _count(section: Iterable[Any]) -> int | None:
    """How many rows a paged section has in all (None for a streamed one: the export counts nothing)."""
    return getattr(section, "total", None)
