"""Seed the load test's database (DATABASE_URL): reviewer and organizer accounts, and EVENTS
600-person Commerce exhibitions in 任城区 whose plans wait for the sector and EEB sign-off — two
open review tasks each, for the simulated reviewers to complete.

    DATABASE_URL=postgresql+psycopg://… python -m loadtest.seed --events 400 --reviewers 20 --organizers 10
"""

from __future__ import annotations

import argparse
import time
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import select, text

from models import Department, HumanTask, Organization, Role, User, VerifierBody, db
from models.accounting import EmissionCategory
from processes import accounts, events, workflow
from processes.demo import load_demo_data
from processes.task_handlers import HANDLERS

PASSWORD = "Quartz-meadow-4217-harbour"  # noqa: S105 - throw-away accounts of a throw-away database (issue #17: strong)
ORGANIZATION = "济宁会展服务有限公司"
SECTOR_DEPARTMENT, EEB_DEPARTMENT = "commerce", "eeb_rencheng"


def accounts_for(prefix: str, count: int, role: Role, **where: object) -> list[str]:
    names = []
    for number in range(1, count + 1):
        username = f"{prefix}{number:02d}"
        if db.session.execute(select(User.id).where(User.username == username)).first() is None:
            accounts.create_user(username, PASSWORD, role, display_name=username, **where)
        names.append(username)
    return names


def plan(body: VerifierBody) -> dict:
    return {
        "boundary": [{"category": c.value, "included": c == EmissionCategory.VENUE_ENERGY,
                      "reason": None if c == EmissionCategory.VENUE_ENERGY else "不涉及"} for c in EmissionCategory],
        "estimate": [{"factor_key": "grid_electricity_north_china_2022", "quantity": Decimal("10000")}],
        "measures": [{"kind": "green_electricity", "description": "场馆使用绿电", "expected_tco2e": Decimal("1")}],
        "offset_plan": [{"instrument": "sd_inclusion_forestry", "quantity_tco2e": Decimal("10"), "reason": None}],
        "new_sink_project": False,
        "verifier_body": body.id,
    }


def seed(event_count: int, reviewers: int, organizers: int) -> dict:
    load_demo_data()
    department = {code: db.session.execute(select(Department).filter_by(code=code)).scalar_one()
                  for code in (SECTOR_DEPARTMENT, EEB_DEPARTMENT)}
    organization = db.session.execute(select(Organization).filter_by(name=ORGANIZATION)).scalar_one()
    names = {
        "sector": accounts_for("load_commerce_", reviewers, Role.DEPARTMENT_STAFF, department=department["commerce"]),
        "eeb": accounts_for("load_eeb_", reviewers, Role.DEPARTMENT_STAFF, department=department["eeb_rencheng"]),
        "organizer": accounts_for("load_org_", organizers, Role.ORGANIZER, organization=organization),
    }
    db.session.commit()
    owner = db.session.execute(select(User).filter_by(username="organizer")).scalar_one()
    body = db.session.execute(select(VerifierBody)).scalars().first()
    started = time.monotonic()
    for number in range(event_count):
        starts = date.today() + timedelta(days=30 + number % 300)
        event = events.register_event(owner, {
            "name": f"负载测试展会 {number + 1:04d}", "kind": "exhibition", "sector": "commerce",
            "organizers": [ORGANIZATION], "organizer_type": "enterprise", "participants": 600,
            "starts_on": starts, "ends_on": starts + timedelta(days=1), "venue": "济宁国际会展中心",
            "county": "任城区", "fiscal_funding_requested": False})
        db.session.flush()
        task = db.session.execute(select(HumanTask).where(
            HumanTask.event_id == event.id, HumanTask.name == "prepare_plan")).scalar_one()
        workflow.complete_task(owner, task.id, plan(body), HANDLERS)
        db.session.commit()
    accounts.deactivate_demo_accounts()  # production refuses to start while they are active (issue #17)
    db.session.commit()
    return {"events": event_count, "seconds": round(time.monotonic() - started, 1), **names}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=400)
    parser.add_argument("--reviewers", type=int, default=20, help="accounts per reviewing department")
    parser.add_argument("--organizers", type=int, default=10)
    args = parser.parse_args()
    from webapp import create_app

    with create_app().app_context():
        result = seed(args.events, args.reviewers, args.organizers)
        if db.engine.dialect.name == "postgresql":
            # A database in service has its planner statistics and visibility map kept current by
            # autovacuum; a freshly bulk-loaded one has neither until autovacuum wakes up, which would
            # be in the middle of the measurement. Do now what autovacuum would do.
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
                connection.execute(text("VACUUM ANALYZE"))
    print(f"seeded {result['events']} events with open reviews in {result['seconds']} s; "
          f"{len(result['sector'])}+{len(result['eeb'])} reviewers, {len(result['organizer'])} organizers")


if __name__ == "__main__":
    main()
