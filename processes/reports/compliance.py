"""The compliance report across events (process audit): plans published late, cancellations after
6 months, priority deviations and their reasons, sink projects past their deadlines, returns and
their reasons, tasks overdue per department (R-PLAN-1, R-TIME-1, R-TIME-2, R-OFF-4)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Select, and_, or_, select
from sqlalchemy.orm import selectinload

from models import AuditEntry, Decision, Department, Event, EventDeadline, HumanTask, User, db
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
    """An open task past its due day, with its event's name."""

    task: HumanTask
    event_name: str

    def days_overdue(self, today: date) -> int:
        return (today - self.task.due_on).days


@dataclass(frozen=True)
class DepartmentOverdue:
    department: Department | None
    lane: str | None
    tasks: int
    oldest_due_on: date


@dataclass
class Compliance:
    scope: Scope
    today: date
    late_plans: list[LatePlan]
    late_cancellations: list[LateCancellation]
    priority_deviations: list[PriorityDeviation]
    late_sinks: list[LateSink]
    returns: list[PlanReturn]
    overdue_tasks: list[OverdueTask]
    governance: list[AuditEntry] = field(default_factory=list)  # overrides and version migrations (#10)

    def overdue_by_department(self) -> list[DepartmentOverdue]:
        """The overdue tasks counted per holding department (organizer and verifier lanes by lane)."""
        groups: dict[object, list[HumanTask]] = defaultdict(list)
        for task in (row.task for row in self.overdue_tasks):
            groups[task.department_id or task.lane].append(task)
        rows = [DepartmentOverdue(tasks[0].department, None if tasks[0].department_id else tasks[0].lane,
                                  len(tasks), min(t.due_on for t in tasks)) for tasks in groups.values()]
        return sorted(rows, key=lambda r: (-r.tasks, r.oldest_due_on))


def compliance(scope: Scope, today: date, visible: Select | None = None) -> Compliance:
    """Return the compliance report for the events in scope, within `visible` (a query on Event)."""
    ids = scope.events(visible)
    return Compliance(scope, today, late_plans(ids, today), late_cancellations(ids), priority_deviations(ids),
                      late_sinks(ids, today), plan_returns(ids), overdue_tasks(ids, today), governance(ids))


def governance(ids: Select) -> list[AuditEntry]:
    """Administrators' overrides and version migrations of the events, oldest first (issue #10)."""
    from processes.overrides import GOVERNANCE_ACTIONS

    return list(db.session.execute(select(AuditEntry).where(
        AuditEntry.action.in_(GOVERNANCE_ACTIONS), AuditEntry.event_id.in_(ids)).order_by(AuditEntry.seq)).scalars())


def late_plans(ids: Select, today: date) -> list[LatePlan]:
    """In-scope events that have started and whose plan was not published on an earlier (Jining) day."""
    rows = db.session.execute(
        select(Event.id, Event.name, Event.county, Event.starts_on, Event.plan_published_at, Event.status)
        .where(Event.id.in_(ids), Event.tier != Tier.OUT_OF_SCOPE, Event.starts_on <= today,
               or_(Event.plan_published_at.is_(None), local_date(Event.plan_published_at) >= Event.starts_on))
        .order_by(Event.starts_on, Event.id))
    return [LatePlan(*row) for row in rows]


def late_cancellations(ids: Select) -> list[LateCancellation]:
    """Cancellations flagged after the 6-month deadline (corrections excluded; reversed ones marked)."""
    reversed_ids = select(Cancellation.reverses_id).where(Cancellation.reverses_id.is_not(None))
    rows = db.session.execute(
        select(Cancellation, Event.name, Event.ends_on, Cancellation.id.in_(reversed_ids))
        .join(Event, Event.id == Cancellation.event_id)
        .where(Cancellation.event_id.in_(ids), Cancellation.overdue.is_(True), Cancellation.reverses_id.is_(None))
        .order_by(Cancellation.cancelled_on, Cancellation.id))
    return [LateCancellation(c.id, c.event_id, name, c.instrument, c.unit_registry,
                             c.serial_from + (f" – {c.serial_to}" if c.serial_to else ""), c.quantity_tco2e,
                             c.cancelled_on, offset_due(ends_on), bool(is_reversed))
            for c, name, ends_on, is_reversed in rows]


def priority_deviations(ids: Select) -> list[PriorityDeviation]:
    """Plan lines and counting cancellations of priority 2 or 3, with their reasons (R-OFF-4)."""
    planned = db.session.execute(
        select(OffsetPlanLine, Event.name).join(Event, Event.id == OffsetPlanLine.event_id)
        .where(OffsetPlanLine.event_id.in_(ids), OffsetPlanLine.instrument.in_(LOWER_PRIORITY))
        .order_by(OffsetPlanLine.event_id, OffsetPlanLine.position))
    cancelled = db.session.execute(_active(
        select(Cancellation, Event.name).join(Event, Event.id == Cancellation.event_id)
        .where(Cancellation.event_id.in_(ids), Cancellation.instrument.in_(LOWER_PRIORITY))
    ).order_by(Cancellation.event_id, Cancellation.id))
    return ([PriorityDeviation("plan", line.event_id, name, line.instrument, line.quantity_tco2e, line.reason)
             for line, name in planned]
            + [PriorityDeviation("cancellation", c.event_id, name, c.instrument, c.quantity_tco2e, c.reason)
               for c, name in cancelled])


def late_sinks(ids: Select, today: date) -> list[LateSink]:
    """Sink deadlines missed: unmet and past, or met late (the timer fired first, or the project is flagged)."""
    rows = db.session.execute(
        select(EventDeadline, Event.name, SinkProject)
        .join(Event, Event.id == EventDeadline.event_id)
        .outerjoin(SinkProject, SinkProject.event_id == EventDeadline.event_id)
        .where(EventDeadline.event_id.in_(ids), EventDeadline.kind.in_(SINK_DEADLINES), or_(
            EventDeadline.overdue_at.is_not(None), EventDeadline.late_on(today),
            and_(EventDeadline.kind == DeadlineKind.SINK_APPLICATION, SinkProject.application_late.is_(True)),
            and_(EventDeadline.kind == DeadlineKind.SINK_VALIDATION, SinkProject.validation_late.is_(True))))
        .order_by(EventDeadline.due_on, EventDeadline.id))
    result = []
    for deadline, name, project in rows:
        if deadline.kind is DeadlineKind.SINK_APPLICATION:
            done = project.applied_on if project else None
        else:
            done = project.validated_on if project and project.status is SinkStatus.VALIDATED else None
        result.append(LateSink(deadline.event_id, name, deadline.kind, deadline.due_on, done,
                               project.name if project else None, project.status if project else None))
    return result


def plan_returns(ids: Select) -> list[PlanReturn]:
    """Every return decision, oldest first, with who returned it and why."""
    rows = db.session.execute(
        select(Decision, Event.name, Department, User.display_name)
        .join(Event, Event.id == Decision.event_id)
        .join(User, User.id == Decision.decided_by_id)
        .outerjoin(Department, Department.id == Decision.department_id)
        .where(Decision.event_id.in_(ids), Decision.decision == "return")
        .order_by(Decision.created_at, Decision.id))
    return [PlanReturn(d.event_id, name, d.task, d.round, department, who, d.created_at, d.comment)
            for d, name, department, who in rows]


def overdue_tasks(ids: Select, today: date) -> list[OverdueTask]:
    """Open tasks past their due day, most overdue first, with their holders loaded."""
    rows = db.session.execute(
        select(HumanTask, Event.name).join(Event, Event.id == HumanTask.event_id)
        .where(HumanTask.event_id.in_(ids), HumanTask.status == "open", HumanTask.due_on < today)
        .options(selectinload(HumanTask.department), selectinload(HumanTask.organization),
                 selectinload(HumanTask.verifier_body), selectinload(HumanTask.claimed_by))
        .order_by(HumanTask.due_on, HumanTask.id))
    return [OverdueTask(task, name) for task, name in rows]
