"""What a report covers: the year and county filters, each user's default county, and the
SQL helpers every report query shares."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, Date, Select, func, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

from models import Event, Role, User, db
from models.org import DepartmentKind
from processes.orgdata import COUNTY_NAMES

REPORT_ROLES = (Role.DEPARTMENT_STAFF, Role.DEPARTMENT_LEAD, Role.AUDITOR, Role.ADMIN)


@dataclass(frozen=True)
class Scope:
    """The filters of a report: the year the events start in, and the county of their venue."""

    year: int | None = None
    county: str | None = None

    @classmethod
    def parse(cls, year: Any, county: Any, default_county: str | None = None) -> Scope:
        """Return the scope from query-string values; unknown values mean "all".

        `county` None (not given) falls back to `default_county`; "" asks for all counties.
        """
        try:
            parsed_year = int(year) if year not in (None, "") else None
        except (TypeError, ValueError):
            parsed_year = None
        if parsed_year is not None and not 1900 < parsed_year < 3000:
            parsed_year = None
        chosen = default_county if county is None else county
        return cls(parsed_year, chosen if chosen in COUNTY_NAMES else None)

    def events(self, base: Select | None = None) -> Select:
        """Return `select(Event.id)` of the events in scope, within `base` (a query on Event) if given."""
        return (base if base is not None else select(Event)).with_only_columns(Event.id).where(*self.conditions())

    def conditions(self) -> list[ColumnElement[bool]]:
        """The scope as conditions on Event (none for all years and counties)."""
        where = []
        if self.year is not None:
            where += [Event.starts_on >= date(self.year, 1, 1), Event.starts_on < date(self.year + 1, 1, 1)]
        if self.county is not None:
            where.append(Event.county == self.county)
        return where


def default_county(user: User) -> str | None:
    """The county a user's reports open on: a county EEB branch's own; city departments, DRC,
    auditors and admins see the whole city."""
    department = user.department if user.is_department else None
    if department is not None and department.kind is DepartmentKind.EEB and department.county:
        return department.county
    return None


def event_years() -> list[int]:
    """Return the years in which registered events start, newest first.

    One index lookup per year (the first start on or after each New Year's Day), not a scan of every
    event's start: the filter forms of the reports ask for it on every page.
    """
    years: list[int] = []
    first = db.session.execute(select(func.min(Event.starts_on))).scalar()
    while first is not None:
        years.append(first.year)
        first = db.session.execute(select(func.min(Event.starts_on)).where(
            Event.starts_on >= date(first.year + 1, 1, 1))).scalar()
    return years[::-1]


class local_date(FunctionElement):  # noqa: N801 - reads as the SQL function it renders
    """The Jining (Asia/Shanghai, UTC+8 without daylight saving) calendar day of a UTC timestamp."""

    type = Date()
    name = "local_date"
    inherit_cache = True


@compiles(local_date)
def _local_date_sqlite(element: local_date, compiler: Any, **kw: Any) -> str:
    return f"date({compiler.process(element.clauses, **kw)}, '+8 hours')"


@compiles(local_date, "postgresql")
def _local_date_postgresql(element: local_date, compiler: Any, **kw: Any) -> str:
    return f"CAST(({compiler.process(element.clauses, **kw)}) AT TIME ZONE 'Asia/Shanghai' AS DATE)"
