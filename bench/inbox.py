"""The inbox's first page with 10,000 open events (issue #3).

The inbox reads only `human_task`, so the events are bulk-inserted as rows (Event +
ProcessInstance + HumanTask), not run as 10,000 processes. They are spread over organizations,
sectors, counties (hence sector bureaus and EEB branches) and process stages; each event has its
open task(s) and the completed rows of the steps before, as a real table would. Then
`workflow.inbox_query(user)` is paginated (first page, 50 rows, with the total count, as
`db.paginate` in the inbox page and the API does) in a fresh session each time, and timed.
"""

from __future__ import annotations

import random
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta
from time import perf_counter
from typing import Any

from sqlalchemy import Select, func, insert, select

from models import Department, Event, HumanTask, Organization, ProcessInstance, Role, User, db
from models.event import EventKind, EventStatus, Sector, Tier
from models.org import DepartmentKind, OrganizerType
from processes import workflow
from processes.lanes import SECTOR_DEPARTMENT
from processes.orgdata import COUNTY_NAMES
from tests.lifecycle import user

PAGE_SIZE = 50  # the API's page (the HTML inbox shows 25)
SEQUENCE = ["prepare_plan", "review_plan_sector", "review_plan_eeb", "report_reductions", "account_emissions",
            "cancel_units", "third_party_evaluation"]
# Stage of an open event -> (weight, its open tasks); the tasks before it in SEQUENCE are completed.
STAGES: dict[EventStatus, tuple[int, list[str]]] = {
    EventStatus.PLANNING: (25, ["prepare_plan"]),
    EventStatus.PLAN_REVIEW: (25, ["review_plan_sector", "review_plan_eeb"]),
    EventStatus.REDUCING: (15, ["report_reductions"]),
    EventStatus.ACCOUNTING: (10, ["account_emissions"]),
    EventStatus.OFFSETTING: (15, ["cancel_units"]),
    EventStatus.CONFIRMING: (10, ["third_party_evaluation"]),
}
LANE = {"prepare_plan": "Organizer", "review_plan_sector": "SectorBureau", "review_plan_eeb": "EEB",
        "review_funding": "Finance", "report_reductions": "Organizer", "account_emissions": "Organizer",
        "cancel_units": "Organizer", "third_party_evaluation": "Verifier"}
INBOX_USERS = [("organizer", "organizer"), ("department staff", "commerce"), ("verifier", "verifier")]


@dataclass
class Seeded:
    events: int = 0
    open_tasks: int = 0
    task_rows: int = 0
    seconds: float = 0.0


@dataclass
class InboxTiming:
    label: str
    username: str
    pages: list[float] = field(default_factory=list)  # db.paginate: first 50 rows + total count
    rows_only: list[float] = field(default_factory=list)  # the 50-row SELECT alone
    total: int = 0
    first_page: int = 0


def _next_id(model: Any) -> int:
    return (db.session.execute(select(func.max(model.id))).scalar() or 0) + 1


def _bulk(model: Any, rows: list[dict[str, Any]], chunk: int = 5000) -> None:
    for start in range(0, len(rows), chunk):
        db.session.execute(insert(model), rows[start:start + chunk])


def seed_open_events(n: int, organizations: int, organizer_share: float, seed: int = 3) -> Seeded:
    """Bulk-insert `n` open events over `organizations` organizations (the demo organizer's one
    holding `organizer_share` of them), all sectors and counties, with their inbox rows."""
    started = perf_counter()
    rng = random.Random(seed)
    today = date.today()
    version = workflow.newest_version()
    demo_org = user("organizer").organization_id
    body = user("verifier").verifier_body_id

    # Other organizers, each with one account (created_by), and a second member per department
    # so that some department tasks are claimed by a colleague (hidden from the demo user).
    org_id, user_id = _next_id(Organization), _next_id(User)
    orgs = [{"id": org_id + k, "name": f"基准主办单位 {k:03d}", "org_type": OrganizerType.ENTERPRISE}
            for k in range(max(organizations - 1, 0))]
    _bulk(Organization, orgs)
    creators = {demo_org: user("organizer").id}
    users = []
    for k, org in enumerate(orgs):
        users.append({"id": user_id + k, "username": f"bench_organizer_{k:03d}", "password_hash": "!",
                      "display_name": org["name"], "role": Role.ORGANIZER, "organization_id": org["id"]})
        creators[org["id"]] = user_id + k
    departments = db.session.execute(select(Department)).scalars().all()
    colleagues: dict[int, int] = {}
    for department in departments:
        colleagues[department.id] = user_id + len(users)
        users.append({"id": user_id + len(users), "username": f"bench_{department.code}_2", "password_hash": "!",
                      "display_name": f"{department.name_zh} 同事", "role": Role.DEPARTMENT_STAFF,
                      "department_id": department.id})
    _bulk(User, users)
    demo_member = {u.department_id: u.id for u in db.session.execute(
        select(User).where(User.department_id.is_not(None), User.username.not_like("bench_%"))).scalars()}

    city = {d.kind: d.id for d in departments if d.county is None}
    branch = {d.county: d.id for d in departments if d.kind == DepartmentKind.EEB and d.county}
    sector_department = {s: city[kind] for s, kind in SECTOR_DEPARTMENT.items()}

    other_orgs = [org["id"] for org in orgs] or [demo_org]
    stages, weights = list(STAGES), [weight for weight, _tasks in STAGES.values()]
    event_id, instance_id = _next_id(Event), _next_id(ProcessInstance)
    event_rows, instance_rows, task_rows = [], [], []
    seeded = Seeded(events=n)
    for k in range(n):
        eid, iid = event_id + k, instance_id + k
        org = demo_org if rng.random() < organizer_share else rng.choice(other_orgs)
        sector, county = rng.choice(list(Sector)), rng.choice(COUNTY_NAMES)
        stage = rng.choices(stages, weights)[0]
        funding = rng.random() < 0.1
        starts = today + timedelta(days=rng.randint(-120, 120))
        event_rows.append({
            "id": eid, "name": f"基准活动 {k}", "kind": rng.choice(list(EventKind)), "sector": sector,
            "organizers": [f"主办单位 {org}"], "organizer_type": OrganizerType.ENTERPRISE,
            "participants": rng.randint(500, 5000), "starts_on": starts, "ends_on": starts + timedelta(days=2),
            "venue": "济宁国际会展中心", "county": county, "fiscal_funding_requested": funding,
            "tier": Tier.THIRD_PARTY, "status": stage, "organization_id": org, "created_by_id": creators[org],
            "verifier_body_id": body})
        instance_rows.append({"id": iid, "event_id": eid, "process_version_id": version.id, "state_json": "{}",
                              "status": "running", "version": 1})
        open_names = list(STAGES[stage][1]) + (["review_funding"] if funding and stage == EventStatus.PLAN_REVIEW
                                               else [])
        done_names = SEQUENCE[:SEQUENCE.index(open_names[0])]
        for name in done_names + open_names:
            lane = LANE[name]
            department = {"SectorBureau": sector_department.get(sector, branch.get(county, city[DepartmentKind.EEB])),
                          "EEB": branch.get(county, city[DepartmentKind.EEB]),
                          "Finance": city[DepartmentKind.FINANCE]}.get(lane)
            is_open = name in open_names
            claimed = None
            if is_open and department is not None:
                draw = rng.random()
                if draw < 0.05:
                    claimed = colleagues[department]
                elif draw < 0.10:
                    claimed = demo_member.get(department)
            task_rows.append({
                "instance_id": iid, "event_id": eid, "spiff_task_id": str(uuid.UUID(int=rng.getrandbits(128))),
                "name": name, "title": name, "lane": lane,
                "organization_id": org if lane == "Organizer" else None, "department_id": department,
                "verifier_body_id": body if lane == "Verifier" else None, "claimed_by_id": claimed,
                "due_on": None if rng.random() < 0.02 else starts + timedelta(days=rng.randint(-30, 200)),
                "status": "open" if is_open else "completed"})
            seeded.open_tasks += is_open
    _bulk(Event, event_rows)
    _bulk(ProcessInstance, instance_rows)
    _bulk(HumanTask, task_rows)
    db.session.commit()
    db.session.remove()
    seeded.task_rows = len(task_rows)
    seeded.seconds = perf_counter() - started
    return seeded


def time_inbox(label: str, username: str, repeats: int) -> InboxTiming:
    """Median-ready timings of the first inbox page, each in a fresh session (as a request)."""
    who = user(username)
    db.session.expunge(who)
    timing = InboxTiming(label, username)
    for attempt in range(repeats + 1):  # the first run only warms caches
        db.session.remove()
        started = perf_counter()
        page = db.paginate(workflow.inbox_query(who), page=1, per_page=PAGE_SIZE, error_out=False)
        items, total = page.items, page.total
        elapsed = perf_counter() - started
        db.session.remove()
        started = perf_counter()
        rows = db.session.execute(workflow.inbox_query(who).limit(PAGE_SIZE)).scalars().all()
        rows_elapsed = perf_counter() - started
        if attempt:
            timing.pages.append(elapsed)
            timing.rows_only.append(rows_elapsed)
        if [t.id for t in rows] != [t.id for t in items]:
            raise RuntimeError("the paginated page and the plain 50-row query disagree")
    timing.total, timing.first_page = total or 0, len(items)
    db.session.remove()
    return timing


def _count_query(query: Select) -> Select:
    """The count `db.paginate` runs beside the page (Flask-SQLAlchemy's SelectPagination)."""
    return select(func.count()).select_from(query.order_by(None).subquery())


def query_plan(query: Select) -> list[str]:
    """SQLite's EXPLAIN QUERY PLAN of a statement, one line per plan step."""
    compiled = query.compile(dialect=db.engine.dialect)
    params = tuple(compiled.params[name] for name in compiled.positiontup or ())
    rows = db.session.connection().exec_driver_sql("EXPLAIN QUERY PLAN " + str(compiled), params).all()
    return [row[-1] for row in rows]


def plans(username: str) -> dict[str, list[str]]:
    query = workflow.inbox_query(user(username))
    return {"page": query_plan(query.limit(PAGE_SIZE).offset(0)), "count": query_plan(_count_query(query))}


def indexes_used(plan_lines: list[str]) -> tuple[set[str], bool]:
    """Indexes on human_task a plan uses, and whether it scans human_task without one."""
    used, full_scan = set(), False
    for line in plan_lines:
        if "human_task" not in line:
            continue
        if " INDEX " in line:
            used.add(line.split(" INDEX ", 1)[1].split()[0])
        elif line.startswith("SCAN"):
            full_scan = True
    return used, full_scan


def open_tasks_by_lane() -> Counter:
    return Counter(dict(db.session.execute(select(HumanTask.lane, func.count()).where(
        HumanTask.status == "open").group_by(HumanTask.lane)).all()))
