"""Dashboard figures for departments, DRC, auditors and admins (R-GOAL-2025, R-GOAL-2027, R-POL-2):
events by year, tier, sector, organizer type and county; tonnes accounted, reduced and offset; items
overdue by department. Every figure is one query over the events in scope (a GROUP BY wherever SQL sums
exactly), never a query per event."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Hashable
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_FLOOR, Decimal, localcontext
from typing import Any

from sqlalchemy import ColumnElement, Select, String, and_, case, extract, func, or_, select, type_coerce
from sqlalchemy.orm import aliased

from models import Department, Event, EventDeadline, HumanTask, Organization, db
from models.accounting import AccountStage, ActivityLine, ReductionMeasure
from models.event import DeadlineKind, EventStatus, Sector, Tier
from models.offsets import Cancellation, Instrument
from models.org import DepartmentKind, OrganizerType
from models.sinks import SinkProject, SinkStatus, SinkType
from processes.accounting.calculator import PRECISION, round_tonnes, tonnes
from processes.offsets import _active
from processes.orgdata import COUNTY_NAMES
from processes.reports.scope import Scope

SINK_INSTRUMENT = {SinkType.FORESTRY: Instrument.NEW_FORESTRY_SINK, SinkType.MARINE: Instrument.NEW_MARINE_SINK}


@dataclass(frozen=True)
class Tally:
    """How many events, how many of them inside the plan's scope (200+ participants), ended, confirmed."""

    events: int = 0
    in_scope: int = 0
    ended: int = 0
    confirmed: int = 0

    def __add__(self, other: Tally) -> Tally:
        return Tally(self.events + other.events, self.in_scope + other.in_scope, self.ended + other.ended,
                     self.confirmed + other.confirmed)

    @property
    def share_percent(self) -> Decimal | None:
        """Confirmed (carbon neutral, disclosed) events per 100 in-scope events, rounded down to 0.1."""
        if not self.in_scope:
            return None
        return (Decimal(self.confirmed * 100) / self.in_scope).quantize(Decimal("0.1"), ROUND_FLOOR)


@dataclass(frozen=True)
class EventCell:
    """One cell of the events cube: the events sharing these attributes."""

    year: int
    tier: Tier
    sector: Sector
    organizer_type: OrganizerType
    county: str
    status: EventStatus
    events: int
    ended: int
    tally: Tally = field(init=False, compare=False)

    def __post_init__(self) -> None:  # computed once: the dashboard adds it up a dozen times
        in_scope = self.events if self.tier is not Tier.OUT_OF_SCOPE else 0
        confirmed = self.events if self.status is EventStatus.CONFIRMED else 0
        object.__setattr__(self, "tally", Tally(self.events, in_scope, self.ended if in_scope else 0, confirmed))


@dataclass(frozen=True)
class OverdueRow:
    """Overdue items one department answers for; `lane` names holders outside the departments
    (Organizer, Verifier) when `department` is None."""

    department: Department | None
    lane: str | None
    tasks: int
    deadlines: dict[DeadlineKind, int]

    @property
    def total(self) -> int:
        return self.tasks + sum(self.deadlines.values())


@dataclass
class Dashboard:
    scope: Scope
    today: date
    cells: list[EventCell]
    accounted_tco2e: Decimal
    accounted_events: int
    reduced_tco2e: Decimal
    offset_by_instrument: dict[Instrument, Decimal]
    overdue: list[OverdueRow] = field(default_factory=list)

    @property
    def total(self) -> Tally:
        return sum((cell.tally for cell in self.cells), Tally())

    def tally(self, dimension: str, cells: list[EventCell] | None = None) -> dict[Any, Tally]:
        """Return the tallies by year, tier, sector, organizer_type or county, in the natural order of its values."""
        sums: dict[Any, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
        for cell in self.cells if cells is None else cells:
            t, total = cell.tally, sums[getattr(cell, dimension)]
            total[0] += t.events
            total[1] += t.in_scope
            total[2] += t.ended
            total[3] += t.confirmed
        ordered = sorted(sums.items(), key=lambda item: _order(dimension, item[0]))
        return {key: Tally(*values) for key, values in ordered}

    @property
    def offset_tco2e(self) -> Decimal:
        return sum(self.offset_by_instrument.values(), Decimal(0))

    def offset_by_priority(self) -> dict[int | None, Decimal]:
        """Tonnes by R-OFF-4 priority 1, 2, 3, and None for new sink projects."""
        result: dict[int | None, Decimal] = {}
        for instrument, tonnes_ in self.offset_by_instrument.items():
            result[instrument.priority] = result.get(instrument.priority, Decimal(0)) + tonnes_
        return dict(sorted(result.items(), key=lambda item: item[0] or 99))

    def party_government(self) -> dict[int, Tally]:
        """R-POL-2: party and government organs' events by year (they lead in being carbon neutral)."""
        return self.tally("year", [c for c in self.cells if c.organizer_type is OrganizerType.PARTY_GOVERNMENT])

    @property
    def party_government_total(self) -> Tally:
        return sum(self.party_government().values(), Tally())

    def goal_progress(self) -> dict[int, dict[OrganizerType, Tally]]:
        """R-GOAL-2025/2027: each year's events by organizer type (organs and enterprises first, then
        the whole of society)."""
        years: dict[int, dict[OrganizerType, Tally]] = {}
        for year in self.tally("year"):
            by_type = self.tally("organizer_type", [c for c in self.cells if c.year == year])
            years[year] = {kind: by_type.get(kind, Tally()) for kind in OrganizerType}
        return years


def _order(dimension: str, value: Any) -> Any:
    """Years ascending, counties in the official order, enum members in their declared order."""
    if dimension == "year":
        return value
    if dimension == "county":
        return COUNTY_NAMES.index(value) if value in COUNTY_NAMES else len(COUNTY_NAMES)
    return list(type(value)).index(value)


def dashboard(scope: Scope, today: date) -> Dashboard:
    """Return the dashboard's figures for the events starting in `scope` (`today` in Jining time)."""
    ids = scope.events()
    accounted, accounted_events = accounted_tco2e(ids)
    reduced = db.session.execute(select(func.sum(ReductionMeasure.achieved_tco2e)).where(
        *_in(ids, ReductionMeasure.event_id))).scalar()
    return Dashboard(
        scope=scope, today=today, cells=event_cells(ids, today), accounted_tco2e=accounted,
        accounted_events=accounted_events, reduced_tco2e=round_tonnes(reduced or Decimal(0)),
        offset_by_instrument=offset_by_instrument(ids), overdue=overdue_by_department(ids, today),
    )


def event_cells(ids: Select, today: date) -> list[EventCell]:
    """Count the events by year, tier, sector, organizer type, county and status in one GROUP BY."""
    year = extract("year", Event.starts_on)
    # The coded columns are read as plain strings and looked up in each enum's own map: thousands of
    # cells through SQLAlchemy's Enum result processing cost more than the GROUP BY itself.
    coded = [type_coerce(column, String) for column in (Event.tier, Event.sector, Event.organizer_type,
                                                          Event.status)]
    groups = (year, *coded, Event.county)
    ended = func.sum(case((Event.ends_on < today, 1), else_=0))
    rows = db.session.execute(select(*groups, func.count(), ended).where(*_in(ids)).group_by(*groups))
    tiers, sectors, kinds, statuses = (enum._value2member_map_ for enum in (Tier, Sector, OrganizerType, EventStatus))
    return [EventCell(int(y), tiers[tier], sectors[sector], kinds[kind], county, statuses[status], count,
                      int(done or 0))
            for y, tier, sector, kind, status, county, count, done in rows]


def _in(ids: Select, column: Any = Event.id) -> list[ColumnElement[bool]]:
    """`column IN ids`, or nothing when `ids` is every event (no filter: no semi-join over the table)."""
    return [] if ids.whereclause is None else [column.in_(ids)]


def accounted_tco2e(ids: Select) -> tuple[Decimal, int]:
    """Return the accounted (actual) emissions of the events and how many events have an account.

    Each event's total is summed from its unrounded lines and rounded once, as on its own page
    (ACCOUNTING.md). PostgreSQL sums exact numerics per event (GROUP BY); SQLite has no exact
    decimal arithmetic, so there one query reads the lines and Python sums them.
    """
    actual = and_(ActivityLine.stage == AccountStage.ACTUAL, *_in(ids, ActivityLine.event_id))
    per_event: dict[int, Decimal] = defaultdict(Decimal)
    with localcontext() as ctx:
        ctx.prec = PRECISION
        if db.session.get_bind().dialect.name == "postgresql":
            # Exact numerics: each event's total in tonnes, rounded half up (PostgreSQL's round() rounds
            # halves away from zero; emissions are not negative) and added up in the database.
            per_event_total = (select((func.sum(ActivityLine.quantity * ActivityLine.kgco2e_per_unit) / 1000)
                                      .label("tonnes")).where(actual).group_by(ActivityLine.event_id).subquery())
            total, events = db.session.execute(select(func.sum(func.round(per_event_total.c.tonnes, 3)),
                                                      func.count()).select_from(per_event_total)).one()
            return round_tonnes(Decimal(total or 0)), events
        else:
            for event_id, quantity, factor in db.session.execute(
                    select(ActivityLine.event_id, ActivityLine.quantity, ActivityLine.kgco2e_per_unit).where(actual)):
                per_event[event_id] += tonnes(quantity, factor)
    return sum((round_tonnes(value) for value in per_event.values()), Decimal(0)), len(per_event)


def offset_by_instrument(ids: Select) -> dict[Instrument, Decimal]:
    """Tonnes offset by instrument: cancellations that count (R-CAN-2), plus the validated tonnes
    of new sink projects under their sink instrument (R-OFF-1)."""
    cancelled = db.session.execute(_active(
        select(Cancellation.instrument, func.sum(Cancellation.quantity_tco2e)).where(*_in(ids, Cancellation.event_id))
    ).group_by(Cancellation.instrument)).all()
    sinks = db.session.execute(
        select(SinkProject.sink_type, func.sum(SinkProject.validated_tco2e))
        .where(*_in(ids, SinkProject.event_id), SinkProject.status == SinkStatus.VALIDATED)
        .group_by(SinkProject.sink_type)).all()
    result: dict[Instrument, Decimal] = defaultdict(Decimal)
    for instrument, quantity in cancelled:
        result[instrument] += quantity or Decimal(0)
    for sink_type, quantity in sinks:
        result[SINK_INSTRUMENT[sink_type]] += quantity or Decimal(0)
    return {i: round_tonnes(result[i]) for i in Instrument if result.get(i)}


def overdue_by_department(ids: Select, today: date) -> list[OverdueRow]:
    """Open tasks past their due day by holder, and unmet deadlines by the department supervising
    them: the venue's EEB branch (else the city EEB) for offsetting (R-TIME-1), Natural Resources
    for sink projects (R-TIME-2); most overdue first."""
    tasks = db.session.execute(
        select(HumanTask.department_id, HumanTask.lane, func.count())
        .where(HumanTask.status == "open", HumanTask.due_on < today, *_in(ids, HumanTask.event_id))
        .group_by(HumanTask.department_id, HumanTask.lane)).all()
    branch = aliased(Department)
    deadlines = db.session.execute(
        select(EventDeadline.kind, branch.id, func.count())
        .join(Event, Event.id == EventDeadline.event_id)
        .join(Organization, Organization.id == Event.organization_id)
        .outerjoin(branch, and_(branch.kind == DepartmentKind.EEB, branch.county == Event.county,
                                or_(Organization.department_id.is_(None), Organization.department_id != branch.id)))
        .where(*_in(ids, EventDeadline.event_id), EventDeadline.late_on(today))
        .group_by(EventDeadline.kind, branch.id)).all()
    city = {d.kind: d.id for d in db.session.execute(select(Department).where(
        Department.county.is_(None), Department.kind.in_([DepartmentKind.EEB, DepartmentKind.NATURAL_RESOURCES])
    )).scalars()}

    counts: dict[Hashable, list] = defaultdict(lambda: [0, defaultdict(int)])
    for department_id, lane, count in tasks:
        counts[department_id or lane][0] += count
    for kind, branch_id, count in deadlines:
        supervisor = (branch_id or city.get(DepartmentKind.EEB)) if kind is DeadlineKind.OFFSET else city.get(
            DepartmentKind.NATURAL_RESOURCES)
        counts[supervisor][1][kind] += count
    departments = _departments([key for key in counts if isinstance(key, int)])
    rows = [OverdueRow(departments.get(key) if isinstance(key, int) else None,
                       key if isinstance(key, str) else None, tasks_, dict(kinds))
            for key, (tasks_, kinds) in counts.items()]
    return sorted(rows, key=_overdue_order)


def _overdue_order(row: OverdueRow) -> tuple:
    return (-row.total, row.department.code if row.department else "~" + (row.lane or ""))


def _departments(ids: list[int]) -> dict[int, Department]:
    if not ids:
        return {}
    return {d.id: d for d in db.session.execute(select(Department).where(Department.id.in_(ids))).scalars()}
