"""The compliance report across events (process audit): plans published late, cancellations after
6 months, priority deviations and their reasons, sink projects past their deadlines, returns and
their reasons, tasks overdue per department (R-PLAN-1, R-TIME-1, R-TIME-2, R-OFF-4)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from itertools import chain
from operator import itemgetter
from typing import Any

from sqlalchemy import ColumnElement, Row, Select, and_, func, or_, select
from sqlalchemy.orm import aliased

from models import (
    AuditEntry,
    Decision,
    Department,
    Event,
    EventDeadline,
    HumanTask,
    Organization,
    User,
    VerifierBody,
    db,
)
from models.event import DeadlineKind, EventStatus, Tier
from models.offsets import Cancellation, Instrument, OffsetPlanLine, Registry
from models.sinks import SinkProject, SinkStatus
from processes.dates import offset_due
from processes.offsets import _active
from processes.reports.scope import Scope, local_date

LOWER_PRIORITY = tuple(i for i in Instrument if (i.priority or 0) > 1)  # R-OFF-4: needs a recorded reason
SINK_DEADLINES = (DeadlineKind.SINK_APPLICATION, DeadlineKind.SINK_VALIDATION)


@dataclass(frozen=True)
class LatePlan:
    """An in-scope event that started without a published plan (R-PLAN-1)."""

    event_id: int
    event_name: str
    county: str
    starts_on: date
    published_at: datetime | None
    status: EventStatus


@dataclass(frozen=True)
class LateCancellation:
    """A cancellation dated after the 6-month deadline (R-TIME-1)."""

    cancellation_id: int
    event_id: int
    event_name: str
    instrument: Instrument
    registry: Registry
    serials: str
    quantity_tco2e: Decimal
    cancelled_on: date
    due_on: date
    reversed: bool

    @property
    def days_late(self) -> int:
        return (self.cancelled_on - self.due_on).days


@dataclass(frozen=True)
class PriorityDeviation:
    """A lower-priority instrument chosen in a plan or cancelled, with the recorded reason (R-OFF-4)."""

    source: str  # "plan" | "cancellation"
    event_id: int
    event_name: str
    instrument: Instrument
    quantity_tco2e: Decimal
    reason: str | None


@dataclass(frozen=True)
class LateSink:
    """A new sink project's 1-year application or 2-year validation deadline missed (R-TIME-2)."""

    event_id: int
    event_name: str
    kind: DeadlineKind
    due_on: date
    done_on: date | None
    project_name: str | None
    project_status: SinkStatus | None

    @property
    def status(self) -> str:
        return "overdue" if self.done_on is None else "met_late"


@dataclass(frozen=True)
class PlanReturn:
    """A reviewer's return, with its reason."""

    event_id: int
    event_name: str
    task: str
    round: int
    department: Department | None
    decided_by: str
    decided_at: datetime
    reason: str | None


@dataclass(frozen=True)
class OverdueTask:
    """An open task past its due day, with its event's name and who holds it (read as plain columns)."""

    task_id: int
    name: str
    title: str
    lane: str
    event_id: int
    event_name: str
    due_on: date
    claimed_by: str | None
    department_zh: str | None
    department_en: str | None
    organization: str | None
    verifier_body: str | None

    def days_overdue(self, today: date) -> int:
        return (today - self.due_on).days

    def holder_name(self, locale: str) -> str:
        """Who holds the task: the person, else the department/organisation/body (as `HumanTask.holder_name`)."""
        if self.claimed_by is not None:
            return self.claimed_by
        if self.department_zh is not None:
            return (self.department_en if locale.startswith("en") else self.department_zh) or self.department_zh
        return self.organization or self.verifier_body or self.lane


@dataclass(frozen=True)
class DepartmentOverdue:
    department: Department | None
    lane: str | None
    tasks: int
    oldest_due_on: date


class Section(list):
    """The rows of a report section the page shows (all of them without a limit) and how many there
    are in all (`total`): the page shows the first rows and the count, the export streams them all."""

    def __init__(self, rows: Iterable[Any], total: int) -> None:
        super().__init__(rows)
        self.total = total


@dataclass
class Compliance:
    scope: Scope
    today: date
    late_plans: Iterable[LatePlan]
    late_cancellations: Iterable[LateCancellation]
    priority_deviations: Iterable[PriorityDeviation]
    late_sinks: Iterable[LateSink]
    returns: Iterable[PlanReturn]
    overdue_tasks: Iterable[OverdueTask]
    governance: Iterable[AuditEntry] = field(default_factory=list)  # overrides and version migrations (#10)
    by_department: list[DepartmentOverdue] = field(default_factory=list)

    def overdue_by_department(self) -> list[DepartmentOverdue]:
        """The overdue tasks counted per holding department (organizer and verifier lanes by lane)."""
        return self.by_department


def compliance(scope: Scope, today: date, visible: Select | None = None, *, limit: int | None = None,
               stream: bool = False) -> Compliance:
    """Return the compliance report for the events in scope, within `visible` (a query on Event).

    Every section is paged in SQL: with `limit`, each holds its first `limit` rows and its `total`
    (the page); without, all rows. `stream`: every section is a generator reading its rows in batches
    as they are consumed (the XLSX export), so the whole history never sits in memory.
    """
    where = in_scope(scope, visible)
    sections = [late_plans(where, today), late_cancellations(where), *priority_deviations(where),
                late_sinks(where, today), plan_returns(where), overdue_tasks(where, today), governance(where)]
    if stream:
        read: list[Iterable[Any]] = [_stream(query, make) for query, make in sections]
    else:
        read = [_section(query, make, limit) for query, make in sections]
    planned, cancelled = read[2], read[3]
    deviations: Iterable[PriorityDeviation]
    if stream:
        deviations = chain(planned, cancelled)
    else:
        shown = list(planned) + list(cancelled)[:None if limit is None else max(limit - len(planned), 0)]
        deviations = Section(shown, planned.total + cancelled.total)  # type: ignore[attr-defined]
    return Compliance(scope, today, read[0], read[1], deviations, read[4], read[5], read[6], read[7],
                      overdue_by_department(where, today))


Maker = Callable[[Row], Any]


def in_scope(scope: Scope, visible: Select | None) -> list[ColumnElement[bool]]:
    """The conditions on Event of the events in scope and visible (none: every event)."""
    where = list(scope.conditions())
    if visible is not None and visible.whereclause is not None:
        where.append(visible.whereclause)
    return where


def _section(query: Select, make: Maker, limit: int | None) -> Section:
    rows = [make(row) for row in db.session.execute(query if limit is None else query.limit(limit))]
    if limit is None or len(rows) < limit:
        return Section(rows, len(rows))
    total = db.session.execute(select(func.count()).select_from(query.order_by(None).subquery())).scalar() or 0
    return Section(rows, total)


def _stream(query: Select, make: Maker) -> Iterator[Any]:
    for row in db.session.execute(query.execution_options(yield_per=1000)):
        yield make(row)


def governance(where: list[ColumnElement[bool]]) -> tuple[Select, Maker]:
    """Administrators' overrides and version migrations of the events, oldest first (issue #10)."""
    from processes.overrides import GOVERNANCE_ACTIONS

    query = select(AuditEntry).join(Event, Event.id == AuditEntry.event_id).where(
        AuditEntry.action.in_(GOVERNANCE_ACTIONS), *where).order_by(AuditEntry.seq)
    return query, itemgetter(0)


def late_plans(where: list[ColumnElement[bool]], today: date) -> tuple[Select, Maker]:
    """In-scope events that have started and whose plan was not published on an earlier (Jining) day."""
    query = (select(Event.id, Event.name, Event.county, Event.starts_on, Event.plan_published_at, Event.status)
             .where(Event.tier != Tier.OUT_OF_SCOPE, Event.starts_on <= today,
                    or_(Event.plan_published_at.is_(None), local_date(Event.plan_published_at) >= Event.starts_on),
                    *where)
             .order_by(Event.starts_on, Event.id))
    return query, lambda row: LatePlan(*row)


def late_cancellations(where: list[ColumnElement[bool]]) -> tuple[Select, Maker]:
    """Cancellations flagged after the 6-month deadline (corrections excluded; reversed ones marked)."""
    reversed_ids = select(Cancellation.reverses_id).where(Cancellation.reverses_id.is_not(None))
    query = (select(Cancellation.id, Cancellation.event_id, Event.name, Cancellation.instrument,
                    Cancellation.unit_registry, Cancellation.serial_from, Cancellation.serial_to,
                    Cancellation.quantity_tco2e, Cancellation.cancelled_on, Event.ends_on,
                    Cancellation.id.in_(reversed_ids))
             .join(Event, Event.id == Cancellation.event_id)
             .where(Cancellation.overdue.is_(True), Cancellation.reverses_id.is_(None), *where)
             .order_by(Cancellation.cancelled_on, Cancellation.id))

    def make(row: Row) -> LateCancellation:
        cid, event_id, name, instrument, registry, first, last, quantity, cancelled_on, ends_on, is_reversed = row
        return LateCancellation(cid, event_id, name, instrument, registry, first + (f" – {last}" if last else ""),
                                quantity, cancelled_on, offset_due(ends_on), bool(is_reversed))

    return query, make


def priority_deviations(where: list[ColumnElement[bool]]) -> list[tuple[Select, Maker]]:
    """Plan lines and counting cancellations of priority 2 or 3, with their reasons (R-OFF-4)."""
    planned = (select(OffsetPlanLine.event_id, Event.name, OffsetPlanLine.instrument, OffsetPlanLine.quantity_tco2e,
                      OffsetPlanLine.reason)
               .join(Event, Event.id == OffsetPlanLine.event_id)
               .where(OffsetPlanLine.instrument.in_(LOWER_PRIORITY), *where)
               .order_by(OffsetPlanLine.event_id, OffsetPlanLine.position))
    cancelled = _active(
        select(Cancellation.event_id, Event.name, Cancellation.instrument, Cancellation.quantity_tco2e,
               Cancellation.reason)
        .join(Event, Event.id == Cancellation.event_id)
        .where(Cancellation.instrument.in_(LOWER_PRIORITY), *where)
    ).order_by(Cancellation.event_id, Cancellation.id)
    return [(planned, lambda row: PriorityDeviation("plan", *row)),
            (cancelled, lambda row: PriorityDeviation("cancellation", *row))]


def late_sinks(where: list[ColumnElement[bool]], today: date) -> tuple[Select, Maker]:
    """Sink deadlines missed: unmet and past, or met late (the timer fired first, or the project is flagged)."""
    query = (select(EventDeadline.event_id, Event.name, EventDeadline.kind, EventDeadline.due_on, SinkProject.name,
                    SinkProject.status, SinkProject.applied_on, SinkProject.validated_on)
             .join(Event, Event.id == EventDeadline.event_id)
             .outerjoin(SinkProject, SinkProject.event_id == EventDeadline.event_id)
             .where(EventDeadline.kind.in_(SINK_DEADLINES), or_(
                 EventDeadline.overdue_at.is_not(None), EventDeadline.late_on(today),
                 and_(EventDeadline.kind == DeadlineKind.SINK_APPLICATION, SinkProject.application_late.is_(True)),
                 and_(EventDeadline.kind == DeadlineKind.SINK_VALIDATION, SinkProject.validation_late.is_(True))),
                 *where)
             .order_by(EventDeadline.due_on, EventDeadline.id))

    def make(row: Row) -> LateSink:
        event_id, name, kind, due_on, project, status, applied_on, validated_on = row
        if kind is DeadlineKind.SINK_APPLICATION:
            done = applied_on
        else:
            done = validated_on if status is SinkStatus.VALIDATED else None
        return LateSink(event_id, name, kind, due_on, done, project, status)

    return query, make


def plan_returns(where: list[ColumnElement[bool]]) -> tuple[Select, Maker]:
    """Every return decision, oldest first, with who returned it and why."""
    query = (select(Decision.event_id, Event.name, Decision.task, Decision.round, Department, User.display_name,
                    Decision.created_at, Decision.comment)
             .join(Event, Event.id == Decision.event_id)
             .join(User, User.id == Decision.decided_by_id)
             .outerjoin(Department, Department.id == Decision.department_id)
             .where(Decision.decision == "return", *where)
             .order_by(Decision.created_at, Decision.id))
    return query, lambda row: PlanReturn(*row)


def overdue_tasks(where: list[ColumnElement[bool]], today: date) -> tuple[Select, Maker]:
    """Open tasks past their due day, most overdue first, with who holds them (plain columns, no objects)."""
    claimant = aliased(User)
    query = (select(HumanTask.id, HumanTask.name, HumanTask.title, HumanTask.lane, HumanTask.event_id, Event.name,
                    HumanTask.due_on, claimant.display_name, Department.name_zh, Department.name_en,
                    Organization.name, VerifierBody.name)
             .join(Event, Event.id == HumanTask.event_id)
             .outerjoin(claimant, claimant.id == HumanTask.claimed_by_id)
             .outerjoin(Department, Department.id == HumanTask.department_id)
             .outerjoin(Organization, Organization.id == HumanTask.organization_id)
             .outerjoin(VerifierBody, VerifierBody.id == HumanTask.verifier_body_id)
             .where(HumanTask.status == "open", HumanTask.due_on < today, *where)
             .order_by(HumanTask.due_on, HumanTask.id))
    return query, lambda row: OverdueTask(*row)


def overdue_by_department(where: list[ColumnElement[bool]], today: date) -> list[DepartmentOverdue]:
    """The overdue tasks counted per holding department (organizer and verifier lanes by lane), in SQL."""
    query = (select(HumanTask.department_id, HumanTask.lane, func.count(), func.min(HumanTask.due_on))
             .where(HumanTask.status == "open", HumanTask.due_on < today)
             .group_by(HumanTask.department_id, HumanTask.lane))
    if where:
        query = query.join(Event, Event.id == HumanTask.event_id).where(*where)
    groups: dict[int | str, list[Any]] = {}
    for department_id, lane, count, oldest in db.session.execute(query):
        group = groups.setdefault(department_id or lane, [department_id, lane, 0, oldest])
        group[2] += count
        group[3] = min(group[3], oldest)
    ids = [key for key in groups if isinstance(key, int)]
    departments = {d.id: d for d in db.session.execute(select(Department).where(Department.id.in_(ids))).scalars()} \
        if ids else {}
    rows = [DepartmentOverdue(departments.get(department_id) if department_id else None,
                              None if department_id else lane, count, oldest)
            for department_id, lane, count, oldest in groups.values()]
    return sorted(rows, key=lambda r: (-r.tasks, r.oldest_due_on))
