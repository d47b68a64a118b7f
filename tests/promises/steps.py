"""Steps shared by the attacks on the rules: an organ's organizer account (R-DEPT-GOA, R-POL-2) and a new
sink project's application (R-DEPT-NR, R-TIME-2)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from sqlalchemy import select

from models import Department, Event, Organization, User, db
from models.org import OrganizerType, Role
from processes import accounts
from tests.lifecycle import after_event, complete


def organ(username: str = "organ", department: str | None = None) -> User:
    """An organizer account of a party or government organ (of the plan's department `department` if named)."""
    dept = db.session.execute(select(Department).filter_by(code=department)).scalar_one() if department else None
    org = Organization(name=dept.name_zh if dept else "中共济宁市委宣传部", org_type=OrganizerType.PARTY_GOVERNMENT,
                       department_id=dept.id if dept else None)
    db.session.add(org)
    db.session.flush()
    return accounts.create_user(username, "longenough1", Role.ORGANIZER, organization=org)


def apply_for_sink(event: Event, code: str | None = "SD-LY-0077") -> None:
    """The organizer applies for the event's new forestry sink project 5 days after the event (20 t expected)."""
    complete(event, "register_sink_project", "organizer", {
        "name": "泗水新造林碳汇", "project_code": code, "sink_type": "forestry", "location": "泗水县泉林镇",
        "area_ha": Decimal("120"), "expected_tco2e": Decimal("20"), "crediting_period_years": 20,
        "applied_on": event.ends_on + timedelta(days=5)}, now=after_event(event, 5))
