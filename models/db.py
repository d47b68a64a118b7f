"""The shared SQLAlchemy object and declarative base (SQLAlchemy 2 typed models)."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import has_request_context, request
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import DateTime, Engine, MetaData, event
from sqlalchemy.orm import DeclarativeBase, Mapped, ORMExecuteState, Session, SessionTransaction, mapped_column

# Stable constraint names so Alembic migrations are identical on SQLite and PostgreSQL.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


# A page number or page size from the query string may be any integer; beyond these no list of the
# platform has anything to show, and the database refuses the resulting OFFSET (a crash, not a page).
MAX_PAGE = 1_000_000
MAX_PER_PAGE = 1_000


class _SQLAlchemy(SQLAlchemy):
    def paginate(self, select, *, page=None, per_page=None, max_per_page=None, **kwargs):  # noqa: ANN001,ANN003,ANN201
        """`SQLAlchemy.paginate` with page and page size clamped to what the database can offset."""
        if page is None and has_request_context():
            page = request.args.get("page", 1, type=int) or 1
        if page is not None:
            page = min(page, MAX_PAGE)
        if per_page is not None:
            per_page = min(per_page, MAX_PER_PAGE)
        max_per_page = min(max_per_page or MAX_PER_PAGE, MAX_PER_PAGE)
        return super().paginate(select, page=page, per_page=per_page, max_per_page=max_per_page, **kwargs)


db = _SQLAlchemy(model_class=Base)


def utcnow() -> datetime:
    """Return the current time, timezone-aware, in UTC."""
    return datetime.now(UTC)


class TimestampMixin:
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, comment="when the row was created (UTC)"
    )


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection: object, _record: object) -> None:
    """SQLite: write-ahead log and NORMAL sync (safe with WAL), so readers don't block the writer and
    a commit costs no full fsync; wait up to 10 s for a lock instead of failing at once."""
    if type(dbapi_connection).__module__.startswith("sqlite3"):
        cursor = dbapi_connection.cursor()  # type: ignore[attr-defined]
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.close()


# --- Ending read-only transactions -------------------------------------------------------------
# A request that only read ends its transaction with COMMIT rather than ROLLBACK. For the data the
# two are the same; for the PostgreSQL driver they are not: psycopg forgets its prepared statements
# at every ROLLBACK (it cannot know whether the transaction changed the schema), so pages that always
# ended in ROLLBACK had every query parsed and planned again. Measured on the load test's pages: about
# half the PostgreSQL CPU and a fifth of the page time (docs/operations.md, "Prepared statements").
_WROTE = "tanzhong.wrote"


@event.listens_for(Session, "do_orm_execute")
def _note_statement(state: ORMExecuteState) -> None:
    if not state.is_select:  # INSERT/UPDATE/DELETE statements, and any text() whose effect is unknown
        state.session.info[_WROTE] = True


@event.listens_for(Session, "after_flush")
def _note_flush(session: Session, _context: object) -> None:
    session.info[_WROTE] = True


@event.listens_for(Session, "after_transaction_end")
def _forget_writes(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:  # the whole transaction is over (committed or rolled back)
        session.info.pop(_WROTE, None)


def end_read_only_transaction(session: Session) -> bool:
    """Commit the session's transaction if it only ever read; return whether it did.

    Anything written, flushed, pending or of unknown effect (a textual statement) leaves the
    transaction alone, so the caller's rollback still discards it.
    """
    if not session.in_transaction() or not session.is_active or session.info.get(_WROTE):
        return False  # (not active: a failed flush left the transaction to be rolled back)
    if session.new or session.dirty or session.deleted:
        return False
    session.commit()
    return True
