"""Resolve a BPMN lane to who may act on an event's task (ARCHITECTURE.md lane table)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Select, or_, select

from models import Department, Event, HumanTask, User, db
from models.event import Sector
from models.org import DepartmentKind, Role

LANES = ("Organizer", "SectorBureau", "EEB", "Finance", "NaturalResources", "Verifier")

SECTOR_DEPARTMENT: dict[Sector, DepartmentKind] = {
    Sector.COMMERCE: DepartmentKind.COMMERCE,
    Sector.CULTURE_TOURISM: DepartmentKind.CULTURE_TOURISM,
    Sector.SPORTS: DepartmentKind.SPORTS,
    Sector.GOVERNMENT: DepartmentKind.GOA,
}


@dataclass(frozen=True)
class Assignment:
    """Who holds a task: an organisation, a department, or a verification body."""

    organization_id: int | None = None
    department_id: int | None = None
    verifier_body_id: int | None = None
    note: str | None = None  # why a fallback was chosen (audited)


def _city(kind: DepartmentKind) -> Department:
    return db.session.execute(
        select(Department).where(Department.kind == kind, Department.county.is_(None))
    ).scalar_one()


def staffed(department: Department) -> bool:
    """Whether anyone active works in the department (a task sent there has a holder)."""
    return db.session.execute(select(User.id).where(
        User.department_id == department.id, User.active.is_(True),
        User.role.in_((Role.DEPARTMENT_STAFF, Role.DEPARTMENT_LEAD))).limit(1)).first() is not None


def eeb_for(event: Event) -> tuple[Department, str | None]:
    """The EEB branch of the venue's county where one exists and has active staff, else the city
    bureau (R-DEPT-EEB), with the reason when a branch was passed over: no task without a holder."""
    branch = db.session.execute(
        select(Department).where(Department.kind == DepartmentKind.EEB, Department.county == event.county)
    ).scalar()
    if branch is None:
        return _city(DepartmentKind.EEB), None
    if branch.id == event.organization.department_id:
        return _city(DepartmentKind.EEB), f"{branch.code} organizes this event; the city EEB holds the task"
    if not staffed(branch):
        return _city(DepartmentKind.EEB), f"{branch.code} has no active staff; the city EEB holds the task"
    return branch, None


def _eeb(event: Event, note: str | None = None) -> Assignment:
    department, why = eeb_for(event)
    return Assignment(department_id=department.id, note="; ".join(n for n in (note, why) if n) or None)


def resolve(event: Event, lane: str) -> Assignment:
    """Return who may act in `lane` for this event.

    The sector bureau is chosen by the event's sector; when none fits, or when the sector bureau
    itself organizes the event (separation of duties), EEB reviews instead and the note says why.
    :raises ValueError: an unknown lane (a diagram/code mismatch).
    """
    if lane == "Organizer":
        return Assignment(organization_id=event.organization_id)
    if lane == "SectorBureau":
        kind = SECTOR_DEPARTMENT.get(event.sector)
        if kind is None:
            return _eeb(event, "no sector bureau fits; EEB reviews")
        department = _city(kind)
        if department.id == event.organization.department_id:
            return _eeb(event, f"{department.code} organizes this event; EEB reviews instead (separation of duties)")
        return Assignment(department_id=department.id)
    if lane == "EEB":
        return _eeb(event)
    if lane == "Finance":
        return Assignment(department_id=_city(DepartmentKind.FINANCE).id)
    if lane == "NaturalResources":
        return Assignment(department_id=_city(DepartmentKind.NATURAL_RESOURCES).id)
    if lane == "Verifier":
        return Assignment(verifier_body_id=event.verifier_body_id)
    raise ValueError(f"unknown lane {lane!r}")


# --------------------------------------------------------------------------- who oversees a department's tasks
def oversees(user: User, department: Department | None) -> bool:
    """Whether the user holds tasks sent to `department`: its own staff, or the lead of the bureau it
    is a branch of (the city EEB lead for every county branch, R-DEPT-EEB)."""
    if department is None or not user.is_department or user.department_id is None:
        return False
    if user.department_id == department.id:
        return True
    return user.role == Role.DEPARTMENT_LEAD and department.parent_id == user.department_id


def overseen_department_ids(user: User) -> Select:
    """The departments whose tasks the user holds (see `oversees`), as a query for the inbox."""
    if user.role == Role.DEPARTMENT_LEAD:
        return select(Department.id).where(or_(Department.id == user.department_id,
                                               Department.parent_id == user.department_id))
    return select(Department.id).where(Department.id == user.department_id)


def reassign_targets(actor: User, task: HumanTask) -> list[User]:
    """The active people a lead may hand `task` to: the staff of the task's department and, for a
    branch's task, of the actor's own bureau (when the branch has nobody, or nobody free)."""
    if actor.role != Role.DEPARTMENT_LEAD or not oversees(actor, task.department):
        return []
    departments = {task.department_id, actor.department_id}
    return list(db.session.execute(select(User).where(
        User.department_id.in_(departments), User.active.is_(True),
        User.role.in_((Role.DEPARTMENT_STAFF, Role.DEPARTMENT_LEAD))).order_by(User.display_name)).scalars())
