"""A provincial history, bulk-inserted (issue #19): N events at a realistic mix of stages, each with
the rows its lifecycle would have left — inbox rows (completed and open), deadlines, review decisions,
plan and account lines, reductions, offset plans, cancellations, sink projects, notifications and
about 30 hash-chained audit entries — written in bulk (COPY on PostgreSQL), so 100,000 events take
minutes, not the days that 100,000 lifecycles through the services would.

The rows follow the shapes a real lifecycle writes (`bench/lifecycle.py` walks one through the
services: 25–27 audit entries, 7 inbox rows, 10 notifications, one offset deadline). The process
state is a placeholder: no seeded timer is due (`next_timer_at` lies in the future or is empty), so
nothing restores it; the event page reads the projection (`diagram_json`) written here instead.
Seeding again continues the ids and the audit chain, so a run can seed 10,000, measure, seed 90,000
more and measure 100,000.
"""

from __future__ import annotations

import enum
import json
import random
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from time import perf_counter
from types import SimpleNamespace
from typing import Any

from sqlalchemy import JSON, Table, func, insert, select, text

from models import (
    ActivityLine,
    AuditCheckpoint,
    AuditEntry,
    Decision,
    Department,
    EmissionFactor,
    Event,
    EventDeadline,
    HumanTask,
    Notification,
    Organization,
    ProcessInstance,
    ReductionMeasure,
    Role,
    User,
    db,
)
from models.accounting import AccountStage, ReductionKind
from models.event import DeadlineKind, EventKind, EventStatus, Sector, Tier
from models.notifications import NotificationKind
from models.offsets import Cancellation, Instrument, OffsetPlanLine, Registry
from models.org import DepartmentKind, OrganizerType
from models.sinks import SinkProject, SinkStatus, SinkType
from models.uploads import Upload
from processes import accounting, workflow
from processes.audit import GENESIS, entry_hash
from processes.dates import add_months, local_today, offset_due, sink_application_due
from processes.lanes import SECTOR_DEPARTMENT
from processes.orgdata import COUNTY_NAMES

S = EventStatus
# Share of each stage in a history of several years: most events are long confirmed.
STAGE_MIX: dict[EventStatus, int] = {
    S.CONFIRMED: 56, S.CONFIRMING: 4, S.OFFSETTING: 8, S.ACCOUNTING: 4, S.REDUCING: 6, S.PLAN_REVIEW: 5,
    S.PLANNING: 6, S.OUT_OF_SCOPE: 8, S.VOLUNTARY: 3,
}
# Days from today to the event's start, by stage (confirmed events go back four years).
START_WINDOW: dict[EventStatus, tuple[int, int]] = {
    S.CONFIRMED: (-1460, -40), S.CONFIRMING: (-200, -12), S.OFFSETTING: (-400, -8), S.ACCOUNTING: (-60, -3),
    S.REDUCING: (-1, 90), S.PLAN_REVIEW: (5, 120), S.PLANNING: (10, 180), S.OUT_OF_SCOPE: (-1460, 180),
    S.VOLUNTARY: (-1460, 180),
}
ORDER = [S.PLANNING, S.PLAN_REVIEW, S.REDUCING, S.ACCOUNTING, S.OFFSETTING, S.CONFIRMING, S.CONFIRMED]
LANE = {"prepare_plan": "Organizer", "review_plan_sector": "SectorBureau", "review_plan_eeb": "EEB",
        "review_funding": "Finance", "report_reductions": "Organizer", "account_emissions": "Organizer",
        "cancel_units": "Organizer", "third_party_evaluation": "Verifier", "sign_commitment": "Organizer"}
DAY_OF_ENTRIES = 8_219  # a province's audit entries of one day: 100,000 lifecycles × 30 a year / 365
EVENTS_PER_ORGANIZATION = 20
ORGANIZER_SHARE = 0.005  # events of the demo organizer's company (≈ 500 of 100,000)


@dataclass
class Seeded:
    events: int = 0
    rows: int = 0
    audit_entries: int = 0
    seconds: float = 0.0


def _value(value: Any) -> Any:
    """A Python value as COPY writes it: enums by value, JSON as text."""
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    return value


def _defaults(table: Table, given: set[str]) -> dict[str, Callable[[], Any]]:
    """The Python-side column defaults COPY would skip (insert() applies them itself)."""
    result: dict[str, Callable[[], Any]] = {}
    for column in table.columns:
        if column.name in given or column.default is None or not column.default.is_scalar and not \
                column.default.is_callable:
            continue
        default = column.default
        result[column.name] = (lambda d=default: d.arg) if default.is_scalar else (lambda d=default: d.arg(None))
    return result


def write(model: Any, rows: list[dict[str, Any]]) -> None:
    """Bulk-insert rows (dicts of one shape): COPY on PostgreSQL, executemany elsewhere."""
    if not rows:
        return
    table: Table = model.__table__
    if db.session.get_bind().dialect.name != "postgresql":
        for start in range(0, len(rows), 5000):
            db.session.execute(insert(table), rows[start:start + 5000])
        return
    names = list(rows[0])
    defaults = _defaults(table, set(names))
    columns = names + list(defaults)
    json_columns = {c.name for c in table.columns if isinstance(c.type, JSON)}
    raw = db.session.connection().connection.driver_connection
    with raw.cursor() as cursor, cursor.copy(f"COPY {table.name} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            values = [json.dumps(row[n], ensure_ascii=False) if n in json_columns else _value(row[n]) for n in names]
            copy.write_row(values + [_value(make()) for make in defaults.values()])


def _reset_sequences(models: list[Any]) -> None:
    if db.session.get_bind().dialect.name != "postgresql":
        return
    for model in models:
        key = next(iter(model.__table__.primary_key.columns))
        highest = select(func.coalesce(func.max(key), 1)).scalar_subquery()
        db.session.execute(select(func.setval(func.pg_get_serial_sequence(model.__tablename__, key.name), highest)))


def _next(column: Any) -> int:
    return (db.session.execute(select(func.max(column))).scalar() or 0) + 1


def _at(day: date, hour: int = 10) -> datetime:
    return datetime.combine(day, time(hour % 24), UTC)


class _Ids:
    """Counters continuing each table's ids."""

    def __init__(self) -> None:
        self.next = {m: _next(m.id) for m in (Organization, User, Event, ProcessInstance, HumanTask, EventDeadline,
                                              Decision, Cancellation, SinkProject, Notification)}

    def __call__(self, model: Any) -> int:
        value = self.next[model]
        self.next[model] = value + 1
        return value


class _Chain:
    """The audit chain's tail, continued entry by entry (real hashes: `audit verify` checks them)."""

    def __init__(self) -> None:
        last = db.session.execute(select(AuditEntry.seq, AuditEntry.hash).order_by(AuditEntry.seq.desc())
                                  .limit(1)).first()
        self.seq, self.hash = (last.seq, last.hash) if last else (0, GENESIS)
        self.rows: list[dict[str, Any]] = []

    def add(self, at: datetime, actor: tuple[int | None, str, str | None, int | None], action: str,
            event_id: int | None, task: str | None = None, reason: str | None = None,
            detail: dict[str, Any] | None = None) -> int:
        self.seq += 1
        row = {"seq": self.seq, "at": at, "actor_id": actor[0], "actor": actor[1], "role": actor[2],
               "department_id": actor[3], "event_id": event_id, "action": action, "task": task, "reason": reason,
               "detail": detail or {}, "prev_hash": self.hash}
        row["hash"] = self.hash = entry_hash(SimpleNamespace(**row))
        self.rows.append(row)
        return self.seq


SYSTEM = (None, "system", None, None)


class _Seeder:
    """Builds the rows of `n` events in memory, a chunk at a time."""

    def __init__(self, n: int, rng: random.Random, today: date) -> None:
        self.rng, self.today, self.ids = rng, today, _Ids()
        self.version = workflow.newest_version().id
        departments = db.session.execute(select(Department)).scalars().all()
        self.city = {d.kind: d.id for d in departments if d.county is None}
        self.branch = {d.county: d.id for d in departments if d.kind == DepartmentKind.EEB and d.county}
        self.sector_department = {s: self.city[k] for s, k in SECTOR_DEPARTMENT.items() if k in self.city}
        staff = db.session.execute(select(User).where(User.department_id.is_not(None))
                                   .order_by(User.id)).scalars().all()
        self.staff: dict[int, tuple] = {}
        for member in staff:
            self.staff.setdefault(member.department_id, (member.id, member.username, member.role.value,
                                                         member.department_id))
        demo_organizer = db.session.execute(select(User).where(User.username == "organizer")).scalar_one()
        verifier = db.session.execute(select(User).where(User.username == "verifier")).scalar_one()
        self.verifier = (verifier.id, verifier.username, verifier.role.value, None)
        self.body = verifier.verifier_body_id
        factor_set = accounting.current_factor_set()
        self.factors = db.session.execute(select(EmissionFactor).where(EmissionFactor.set_id == factor_set.id)
                                          .order_by(EmissionFactor.id).limit(4)).scalars().all()
        self.organizations = self._organizations(max(n // EVENTS_PER_ORGANIZATION, 1), demo_organizer)
        self.serial = _next(Cancellation.serial_end) + 1_000_000
        evidence = Upload(sha256="e" * 64, size=48_213, filename="注销证明.pdf", content_type="application/pdf",
                          stored_name=uuid.uuid4().hex, uploaded_by_id=demo_organizer.id)
        db.session.add(evidence)
        db.session.flush()
        self.evidence = evidence.id  # one certificate file stands for every seeded cancellation's
        self.chain = _Chain()
        self.rows: dict[Any, list[dict[str, Any]]] = {}

    def _organizations(self, count: int, demo: User) -> list[tuple[int, tuple]]:
        """New organizer companies with one account each; the demo organizer's company is first."""
        orgs, users = [], []
        for _k in range(count):
            org_id, user_id = self.ids(Organization), self.ids(User)
            name = f"规模基准主办单位 {org_id}"
            orgs.append({"id": org_id, "name": name, "org_type": self.rng.choice(list(OrganizerType))})
            users.append({"id": user_id, "username": f"scale_org_{org_id}", "password_hash": "!",
                          "display_name": name, "role": Role.ORGANIZER, "organization_id": org_id})
        write(Organization, orgs)
        write(User, users)
        holders = [(demo.organization_id, (demo.id, demo.username, demo.role.value, None))]
        return holders + [(o["id"], (u["id"], u["username"], "organizer", None))
                          for o, u in zip(orgs, users, strict=True)]

    def add(self, model: Any, **row: Any) -> dict[str, Any]:
        self.rows.setdefault(model, []).append(row)
        return row

    def flush(self) -> int:
        """Write the rows built so far, parents first."""
        order = [Event, ProcessInstance, HumanTask, EventDeadline, Decision, ActivityLine, ReductionMeasure,
                 OffsetPlanLine, Cancellation, SinkProject, Notification]
        written = 0
        for model in order:
            rows = self.rows.pop(model, [])
            write(model, rows)
            written += len(rows)
        write(AuditEntry, self.chain.rows)
        written += len(self.chain.rows)
        self.chain.rows = []
        return written

    # ------------------------------------------------------------------ one event
    def event(self, k: int) -> None:
        rng = self.rng
        stage = rng.choices(list(STAGE_MIX), list(STAGE_MIX.values()))[0]
        org_id, organizer = (self.organizations[0] if rng.random() < ORGANIZER_SHARE
                             else rng.choice(self.organizations[1:] or self.organizations))
        sector, county = rng.choice(list(Sector)), rng.choice(COUNTY_NAMES)
        low, high = START_WINDOW[stage]
        starts = self.today + timedelta(days=rng.randint(low, high))
        ends = starts + timedelta(days=rng.randint(0, 3))
        if stage in (S.OUT_OF_SCOPE, S.VOLUNTARY):
            tier, participants = Tier.OUT_OF_SCOPE, rng.randint(20, 199)
        elif rng.random() < 0.15:
            tier, participants = Tier.SELF_COMMITMENT, rng.randint(200, 499)
        else:
            tier, participants = Tier.THIRD_PARTY, rng.randint(500, 20000)
        funding = tier is not Tier.OUT_OF_SCOPE and rng.random() < 0.1
        event_id = self.ids(Event)
        registered = _at(starts - timedelta(days=rng.randint(30, 90)))
        name = (rng.choice(("济宁", "曲阜", "邹城", "微山", "泗水")) + rng.choice(("国际", "全国", "第三届", "年度"))
                + rng.choice(("车展", "论坛", "马拉松", "音乐节", "博览会", "研讨会", "文化节")) + f" {event_id}")
        published = None
        index = ORDER.index(stage) if stage in ORDER else -1
        if index >= ORDER.index(S.REDUCING):
            late = rng.random() < 0.04  # R-PLAN-1: a few plans published on or after the first day
            published = _at(starts + timedelta(days=rng.randint(0, 2)) if late
                            else starts - timedelta(days=rng.randint(3, 20)), 9)
        self.add(Event, id=event_id, name=name, kind=rng.choice(list(EventKind)), sector=sector,
                 organizers=[f"主办单位 {org_id}"], organizer_type=rng.choice(list(OrganizerType)),
                 participants=participants, starts_on=starts, ends_on=ends, venue=f"{county}会展中心",
                 county=county, fiscal_funding_requested=funding, tier=tier, status=stage, organization_id=org_id,
                 created_by_id=organizer[0], verifier_body_id=self.body if tier is Tier.THIRD_PARTY else None,
                 created_at=registered, plan_published_at=published,
                 disclosed_at=_at(ends + timedelta(days=rng.randint(60, 170))) if stage is S.CONFIRMED else None)
        self.chain.add(registered, organizer, "event.registered", event_id,
                       detail={"participants": participants, "tier": tier.value,
                               "requirement": "R-TIER-1/R-TIER-2/R-TIER-0"})
        if tier is Tier.OUT_OF_SCOPE:
            return
        self._lifecycle(event_id, index, stage, tier, sector, county, funding, starts, ends, registered, published,
                        org_id, organizer)

    def _holder(self, lane: str, sector: Sector, county: str) -> int | None:
        eeb = self.branch.get(county, self.city[DepartmentKind.EEB])
        return {"SectorBureau": self.sector_department.get(sector, eeb), "EEB": eeb,
                "Finance": self.city.get(DepartmentKind.FINANCE)}.get(lane)

    def _lifecycle(self, event_id: int, index: int, stage: EventStatus, tier: Tier, sector: Sector, county: str,
                   funding: bool, starts: date, ends: date, registered: datetime, published: datetime | None,
                   org_id: int, organizer: tuple) -> None:
        rng, chain = self.rng, self.chain
        instance_id = self.ids(ProcessInstance)
        chain.add(registered, organizer, "process.started", event_id, detail={"version": self.version})
        last = "third_party_evaluation" if tier is Tier.THIRD_PARTY else "sign_commitment"
        reviews = ["review_plan_sector", "review_plan_eeb"] + (["review_funding"] if funding else [])
        open_from = ORDER.index(stage)  # the phase whose tasks are open; earlier phases are completed
        # (task, created, due, phase, first round of a returned plan?) in order: 8 % of plans come back
        # once from the EEB (R-PLAN-1 review), a second preparation and review round follows.
        plan_day = registered.date()
        review_day = plan_day + timedelta(days=rng.randint(2, 10))
        steps: list[tuple[str, date, date, int, bool]] = [("prepare_plan", plan_day, starts - timedelta(days=14), 0,
                                                           False)]
        if open_from >= 1 and rng.random() < 0.08:
            steps += [(name, review_day, review_day + timedelta(days=10), 0, True) for name in reviews]
            steps.append(("prepare_plan", review_day + timedelta(days=3), starts - timedelta(days=14), 0, False))
            review_day += timedelta(days=6)
        steps += [(name, review_day, review_day + timedelta(days=10), 1, False) for name in reviews]
        steps += [("report_reductions", ends + timedelta(days=1), ends + timedelta(days=30), 2, False),
                  ("account_emissions", ends + timedelta(days=5), ends + timedelta(days=60), 3, False),
                  ("cancel_units", ends + timedelta(days=20), offset_due(ends), 4, False),
                  (last, ends + timedelta(days=40), ends + timedelta(days=90), 5, False)]
        completed: list[str] = []
        open_names: list[str] = []
        round_no = 1
        for name, created, due, phase, first_round in steps:
            if phase > open_from:
                break
            is_open = phase == open_from
            lane = LANE[name]
            department = self._holder(lane, sector, county)
            task_id = self.ids(HumanTask)
            actor = organizer if lane == "Organizer" else self.verifier if lane == "Verifier" else \
                self.staff.get(department, SYSTEM)
            created_at = _at(created, 9)
            done_at = _at(max(min(created + timedelta(days=rng.randint(1, 9)), self.today - timedelta(days=1)),
                              created), 15)
            claimed = actor[0] if not is_open and department is not None else None
            if name == "report_reductions":
                chain.add(_at(ends + timedelta(days=1), 0), SYSTEM, "timer.fired", event_id, "event_ended",
                          detail={"deadline": None})
            self.add(HumanTask, id=task_id, instance_id=instance_id, event_id=event_id,
                     spiff_task_id=str(uuid.UUID(int=rng.getrandbits(128))), name=name, title=name, lane=lane,
                     organization_id=org_id if lane == "Organizer" else None, department_id=department,
                     verifier_body_id=self.body if lane == "Verifier" else None, claimed_by_id=claimed,
                     due_on=None if rng.random() < 0.02 else due, status="open" if is_open else "completed",
                     created_at=created_at, completed_at=None if is_open else done_at,
                     completed_by_id=None if is_open else actor[0])
            chain.add(created_at, organizer if not completed else SYSTEM, "task.created", event_id, name,
                      detail={"human_task_id": task_id, "lane": lane, "department_id": department, "routing": None})
            self.add(Notification, id=self.ids(Notification), user_id=claimed or organizer[0],
                     kind=NotificationKind.TASK_CREATED, event_id=event_id, task_id=task_id,
                     params={"event_name": f"#{event_id}", "step": name, "due": due.isoformat()}, dedupe_key=None,
                     created_at=created_at, read_at=None if is_open else done_at)
            if is_open:
                open_names.append(name)
                continue
            completed.append(name)
            decision = None
            if name in reviews or name == last:
                decision = "neutral" if name == last else "return" if first_round and name == "review_plan_eeb" \
                    else "approve"
                if name != "sign_commitment":
                    self.add(Decision, id=self.ids(Decision), event_id=event_id, human_task_id=task_id, task=name,
                             round=round_no, department_id=department, decided_by_id=actor[0], decision=decision,
                             comment="减排措施不足，请补充绿电使用方案 the reductions are too thin"
                             if decision == "return" else None, created_at=done_at)
            if lane != "Organizer":  # reviewers and verifiers claim the task before they decide
                chain.add(done_at - timedelta(hours=1), actor, "task.claimed", event_id, name,
                          detail={"human_task_id": task_id})
            self._task_writes(name, event_id, done_at, actor, ends, rng)
            chain.add(done_at, actor, "task.completed", event_id, name,
                      detail={"human_task_id": task_id, "routing": {"decision": decision} if decision else {}})
            if name == "prepare_plan" and len(completed) > 1:
                round_no += 1
            if name == reviews[-1] and not first_round and published is not None:
                chain.add(published, SYSTEM, "plan.published", event_id, detail={"requirement": "R-PLAN-1"})
        self._deadlines(event_id, stage, starts, ends, rng)
        if stage is S.CONFIRMED:
            chain.add(_at(ends + timedelta(days=60)), SYSTEM, "event.disclosed", event_id,
                      detail={"requirement": "R-DIS-1"})
        timer = None if stage is S.CONFIRMED else _at(ends + timedelta(days=1), 0) if ends >= self.today else \
            _at(offset_due(ends) + timedelta(days=1), 0) if offset_due(ends) >= self.today else None
        self.add(ProcessInstance, id=instance_id, event_id=event_id, process_version_id=self.version, state_json="{}",
                 status="completed" if stage is S.CONFIRMED else "running", next_timer_at=timer,
                 version=len(completed) + 1,
                 diagram_json={"completed": completed, "current": open_names}, created_at=registered,
                 updated_at=registered)

    def _task_writes(self, name: str, event_id: int, at: datetime, actor: tuple, ends: date,
                     rng: random.Random) -> None:
        """The domain rows and audit entries a completed task leaves (plan, account, offsets, evaluation)."""
        chain = self.chain
        if name in ("report_reductions", "cancel_units", "third_party_evaluation"):  # the evidence, uploaded first
            chain.add(at - timedelta(hours=2), actor, "upload.stored", None,
                      detail={"sha256": f"{rng.getrandbits(256):064x}", "size": rng.randint(20_000, 2_000_000),
                              "filename": "证明材料.pdf"})
        if name == "prepare_plan":
            self._activity_lines(event_id, AccountStage.ESTIMATE, 2, at, rng)
            self.add(ReductionMeasure, event_id=event_id, position=0, kind=rng.choice(list(ReductionKind)),
                     description="场馆使用绿电 green electricity at the venue", expected_tco2e=Decimal("1.500"),
                     created_at=at)
            instrument = rng.choices([Instrument.SD_INCLUSION_FORESTRY, Instrument.CCER_SHANDONG, Instrument.CEA],
                                     [85, 10, 5])[0]
            reason = None if instrument.priority == 1 else "省内碳普惠减排量不足 not enough Shandong units"
            self.add(OffsetPlanLine, event_id=event_id, position=0, instrument=instrument,
                     quantity_tco2e=Decimal(rng.randint(5, 500)), reason=reason, created_at=at)
            chain.add(at, actor, "accounting.plan_saved", event_id, name,
                      detail={"digest": f"{rng.getrandbits(256):064x}", "factor_set": self.factors[0].set_id,
                              "lines": 2, "measures": 1, "total_tco2e": "61.776"})
            chain.add(at, actor, "offsets.plan_recorded", event_id,
                      detail={"lines": [{"instrument": instrument.value, "quantity_tco2e": "10.000",
                                         "reason": reason}]})
        elif name == "report_reductions":
            chain.add(at, actor, "accounting.reductions_reported", event_id, name,
                      detail={"digest": f"{rng.getrandbits(256):064x}", "measures": 1, "achieved_tco2e": "1.2"})
        elif name == "account_emissions":
            self._activity_lines(event_id, AccountStage.ACTUAL, 3, at, rng)
            chain.add(at, actor, "accounting.account_saved", event_id, name,
                      detail={"digest": f"{rng.getrandbits(256):064x}", "lines": 3, "total_tco2e": "83.552"})
        elif name == "cancel_units":
            quantity = rng.randint(5, 500)
            first, self.serial = self.serial, self.serial + quantity
            due = offset_due(ends)
            late = rng.random() < 0.05  # R-TIME-1: a few cancelled after the 6 months
            cancelled_on = due + timedelta(days=rng.randint(1, 60)) if late else min(at.date(), self.today)
            instrument = rng.choices([Instrument.SD_INCLUSION_FORESTRY, Instrument.CCER_SHANDONG, Instrument.CEA],
                                     [85, 10, 5])[0]
            cancellation_id = self.ids(Cancellation)
            self.add(Cancellation, id=cancellation_id, event_id=event_id, instrument=instrument,
                     unit_registry=Registry.SD_INCLUSION_PLATFORM, registry_name=None,
                     project_name="济宁碳普惠林业项目",
                     project_code=None, vintage=ends.year, serial_from=f"SDPH-{first:09d}",
                     serial_to=f"SDPH-{first + quantity - 1:09d}", serial_prefix="SDPH-", serial_start=first,
                     serial_end=first + quantity - 1, quantity_tco2e=Decimal(quantity), cancelled_on=cancelled_on,
                     donor=None,
                     reason=None if instrument.priority == 1 else "省内减排量不足 not enough Shandong units",
                     evidence_upload_id=self.evidence, evidence_sha256=f"{rng.getrandbits(256):064x}",
                     recorded_by_id=actor[0],
                     overdue=cancelled_on > due, reverses_id=None, created_at=at)
            chain.add(at, actor, "offsets.cancelled", event_id,
                      detail={"cancellation_id": cancellation_id, "instrument": instrument.value,
                              "registry": "sd_inclusion_platform", "serial_from": f"SDPH-{first:09d}",
                              "quantity_tco2e": f"{quantity}.000", "cancelled_on": cancelled_on.isoformat(),
                              "overdue": cancelled_on > due})
        elif name in ("third_party_evaluation", "sign_commitment"):
            action = "evaluation.neutral" if name == "third_party_evaluation" else "commitment.signed"
            chain.add(at, actor, action, event_id, name, detail={"verified_tco2e": "83.552"})

    def _activity_lines(self, event_id: int, stage: AccountStage, count: int, at: datetime,
                        rng: random.Random) -> None:
        for position, factor in enumerate(self.factors[:count]):
            quantity = Decimal(rng.randint(1000, 90000))
            self.add(ActivityLine, event_id=event_id, stage=stage, position=position, category=factor.category,
                     factor_key=factor.key, factor_set_id=factor.set_id, quantity=quantity, unit=factor.unit,
                     kgco2e_per_unit=factor.kgco2e_per_unit,
                     tco2e=(quantity * factor.kgco2e_per_unit / 1000).quantize(Decimal("0.001")), created_at=at)

    def _deadlines(self, event_id: int, stage: EventStatus, starts: date, ends: date, rng: random.Random) -> None:
        """The offset deadline (R-TIME-1) of every in-scope event; sink deadlines (R-TIME-2) for a few."""
        due = offset_due(ends)
        met = stage in (S.CONFIRMING, S.CONFIRMED)
        overdue = due < self.today and (not met or rng.random() < 0.05)
        self.add(EventDeadline, id=self.ids(EventDeadline), event_id=event_id, kind=DeadlineKind.OFFSET, due_on=due,
                 met_at=_at(min(due, self.today) - timedelta(days=rng.randint(1, 60))) if met else None,
                 overdue_at=_at(due + timedelta(days=1), 0) if overdue else None)
        if overdue:
            self.chain.add(_at(due + timedelta(days=1), 0), SYSTEM, "deadline.passed", event_id, "offset_deadline",
                           detail={"deadline": "offset"})
        if stage in ORDER and ORDER.index(stage) >= ORDER.index(S.OFFSETTING) and rng.random() < 0.04:
            application_due = sink_application_due(ends)
            validation_due = add_months(ends, 24)
            applied = application_due - timedelta(days=rng.randint(-30, 200))
            validated = stage is S.CONFIRMED and rng.random() < 0.7
            self.add(SinkProject, id=self.ids(SinkProject), event_id=event_id, name=f"新造林碳汇项目 {event_id}",
                     project_code=None, sink_type=SinkType.FORESTRY, location="泗水县某村", county="泗水县",
                     area_ha=Decimal("12.50"), expected_tco2e=Decimal("150.000"), crediting_period_years=20,
                     applied_on=applied, application_late=applied > application_due,
                     status=SinkStatus.VALIDATED if validated else SinkStatus.REGISTERED,
                     validated_tco2e=Decimal("120.000") if validated else None,
                     validated_on=min(validation_due, self.today) if validated else None,
                     validated_by_id=None, validation_late=False, decision_comment=None,
                     other_mechanism_claimed=False, registered_by_id=self.verifier[0], created_at=_at(applied))
            for kind, kind_due, done in ((DeadlineKind.SINK_APPLICATION, application_due, applied),
                                         (DeadlineKind.SINK_VALIDATION, validation_due, None)):
                self.add(EventDeadline, id=self.ids(EventDeadline), event_id=event_id, kind=kind, due_on=kind_due,
                         met_at=_at(done) if done and done <= self.today else None,
                         overdue_at=_at(kind_due + timedelta(days=1), 0) if kind_due < self.today and (
                             done is None or done > kind_due) else None)


def seed(n: int, *, seed_value: int = 19, chunk: int = 5000, progress: Callable[[str], None] = print) -> Seeded:
    """Bulk-insert `n` more events with their history; return what was written."""
    started = perf_counter()
    rng = random.Random(seed_value + _next(Event.id))
    seeder = _Seeder(n, rng, local_today(datetime.now(UTC)))
    result = Seeded(events=n)
    first_seq = seeder.chain.seq
    for k in range(n):
        seeder.event(k)
        if (k + 1) % chunk == 0 or k + 1 == n:
            result.audit_entries += len(seeder.chain.rows)
            result.rows += seeder.flush()
            db.session.commit()
            progress(f"  {k + 1:,}/{n:,} events seeded ({perf_counter() - started:.0f} s)")
    _checkpoint_a_day_back(first_seq, seeder.chain.seq)
    _reset_sequences([Organization, User, Event, ProcessInstance, HumanTask, EventDeadline, Decision, Cancellation,
                      SinkProject, Notification, ActivityLine, ReductionMeasure, OffsetPlanLine, AuditCheckpoint])
    db.session.commit()
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(text("ANALYZE"))
        db.session.commit()
    db.session.remove()
    result.seconds = perf_counter() - started
    return result


def _checkpoint_a_day_back(first_seq: int, last_seq: int) -> None:
    """Publish a checkpoint one day's entries before the head, as yesterday's tick would have: the
    incremental `audit verify --since-checkpoint` then checks a day of entries."""
    seq = max(last_seq - DAY_OF_ENTRIES, first_seq + 1)
    entry = db.session.get(AuditEntry, seq)
    if entry is None:
        return
    db.session.add(AuditCheckpoint(seq=entry.seq, hash=entry.hash, at=entry.at,
                                   day=local_today(datetime.now(UTC)) - timedelta(days=1)))
    db.session.flush()

