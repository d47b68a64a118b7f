"""A page of a long list without counting the list (issue #19): one row more than shown tells whether
a next page exists. For lists of a province's whole history (the audit trail, the public events),
where `db.paginate`'s COUNT(*) would read every row on every page."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select

from models import db
from models.db import MAX_PAGE


@dataclass(frozen=True)
class Window:
    """The rows of one page; what the pager needs (`has_prev`, `prev_num`, `has_next`, `next_num`)."""

    items: list[Any]
    page: int
    has_next: bool

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def prev_num(self) -> int:
        return self.page - 1

    @property
    def next_num(self) -> int:
        return self.page + 1


def window(query: Select, page: int, per_page: int, *, at_most: int | None = None) -> Window:
    """Page `page` (from 1; clamped) of an ordered query; a page beyond the last is empty, not an error.

    `at_most`: only the first so many rows can be paged through (a search's bound).
    """
    page = min(max(page, 1), MAX_PAGE)
    start = (page - 1) * per_page
    size = per_page + 1 if at_most is None else min(per_page + 1, at_most - start)
    rows = db.session.execute(query.offset(start).limit(size)).scalars().all() if size > 0 else []
    return Window(rows[:per_page], page, len(rows) > per_page)
