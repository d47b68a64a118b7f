"""Resolve a BPMN lane to who may act on an event's task (ARCHITECTURE.md lane table)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from models import Department, Event, db
from models.event import Sector
from models.org import DepartmentKind

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


def eeb_for(event: Event) -> Department:
    """The EEB branch of the venue's county where one exists, else the city bureau (R-DEPT-EEB)."""
    branch = db.session.execute(
        select(Department).where(Department.kind == DepartmentKind.EEB, Department.county == event.county)
    ).scalar()
    own = event.organization.department_id
    if branch is not None and branch.id != own:
        return branch
    return _city(DepartmentKind.EEB)


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
            return Assignment(department_id=eeb_for(event).id, note="no sector bureau fits; EEB reviews")
        department = _city(kind)
        if department.id == event.organization.department_id:
            return Assignment(
                department_id=eeb_for(event).id,
                note=f"{department.code} organizes this event; EEB reviews instead (separation of duties)",
            )
        return Assignment(department_id=department.id)
    if lane == "EEB":
        return Assignment(department_id=eeb_for(event).id)
    if lane == "Finance":
        return Assignment(department_id=_city(DepartmentKind.FINANCE).id)
    if lane == "NaturalResources":
        return Assignment(department_id=_city(DepartmentKind.NATURAL_RESOURCES).id)
    if lane == "Verifier":
        return Assignment(verifier_body_id=event.verifier_body_id)
    raise ValueError(f"unknown lane {lane!r}")
