"""Organizer accounts of party and government organs, for the attacks on lanes and counts (R-DEPT-GOA, R-POL-2)."""

from __future__ import annotations

from sqlalchemy import select

from models import Department, Organization, User, db
from models.org import OrganizerType, Role
from processes import accounts


def organ(username: str = "organ", department: str | None = None) -> User:
    """An organizer account of a party or government organ (of the plan's department `department` if named)."""
    dept = db.session.execute(select(Department).filter_by(code=department)).scalar_one() if department else None
    org = Organization(name=dept.name_zh if dept else "中共济宁市委宣传部", org_type=OrganizerType.PARTY_GOVERNMENT,
                       department_id=dept.id if dept else None)
    db.session.add(org)
    db.session.flush()
    return accounts.create_user(username, "longenough1", Role.ORGANIZER, organization=org)
