"""Each ledger line checked against the registry's own data (R-CAN-2, issue #22).

A line's units are compared with the retirement records of the active imports of its registry,
by range arithmetic on the normalised keys both were parsed into (processes/serials.py):

- `confirmed`: every unit lies in records retired no later than the day the line was recorded, and
  each record that names a beneficiary or note names the event or one of its organizers;
- `partly`: some units are found (or all, but some retired only after the line was recorded);
- `conflict`: a record holding the units names someone else, or the same units stand in another
  active ledger line;
- `not_found`: none is found though the data covers the line's project and vintage (or, when the
  line names neither, its series);
- `no_data`: no import covers it.

Matching informs and never blocks: the ledger's rules decide (processes/offsets.py). Statuses are
stored per line in `cancellation_registry_check` (ledger rows refuse updates) and recomputed when
an import arrives or is withdrawn and when a line is recorded or reversed. A new conflict is
audited (`registry.conflict`) and tells the venue's Ecology and Environment Bureau.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import and_, event, func, or_, select
from sqlalchemy.orm import Session, aliased

from models import Event, User, db
from models.db import utcnow
from models.offsets import Cancellation, Registry
from models.registry import CancellationCheck, ImportStatus, RegistryImport, RegistryStatus, RetirementRecord
from processes import audit, signals
from processes.localtime import local
from processes.registry.adapters import nobody, project_key, serial_project

log = logging.getLogger(__name__)
S = RegistryStatus
_PENDING = "tanzhong.registry_pending"
_WORDS = re.compile(r"[\W_]+")
CHUNK = 500


@dataclass(frozen=True)
class Outcome:
    """A line's registry status and the record it rests on."""

    status: RegistryStatus
    record: RetirementRecord | None = None
    units_found: int = 0
    reason: str | None = None
    other_cancellation_id: int | None = None


Reading = tuple[str, int, int]


def readings(row: Cancellation) -> list[Reading]:
    """The line's units in each reading (generic serials have two)."""
    alt = [(row.serial_alt_key, row.serial_alt_start, row.serial_alt_end)] if row.serial_alt_key else []
    return [(row.serial_prefix, row.serial_start, row.serial_end), *alt]


def _record_readings(record: RetirementRecord) -> list[Reading]:
    alt = [(record.alt_key, record.alt_first, record.alt_last)] if record.alt_key else []
    return [(record.units_key, record.first_unit, record.last_unit), *alt]


def _covered(first: int, last: int, intervals: Iterable[tuple[int, int]]) -> int:
    """How many units of first…last the intervals hold together (overlaps counted once)."""
    total, reach = 0, first - 1
    for start, end in sorted((max(a, first), min(b, last)) for a, b in intervals if a <= last and b >= first):
        if end > reach:
            total += end - max(start, reach + 1) + 1
            reach = end
    return total


def _folded(value: str | None) -> str:
    return _WORDS.sub("", unicodedata.normalize("NFKC", value or "").casefold())


def names_of(event: Event) -> list[str]:
    """The event's name and its organizers' names, folded for comparison (at least 2 characters)."""
    names = [event.name, *(event.organizers or []), event.organization.name if event.organization else None]
    return [folded for folded in dict.fromkeys(_folded(n) for n in names) if len(folded) >= 2]


def names_event(record: RetirementRecord, names: Sequence[str]) -> bool:
    """Whether the record names nobody, or names the event or an organizer in its beneficiary or note."""
    texts = [t for t in (None if nobody(record.beneficiary) else record.beneficiary, record.note) if t and t.strip()]
    if not texts:
        return True
    folded = [_folded(t) for t in texts]
    return any(name in text for name in names for text in folded)


_LINE_READINGS = ((Cancellation.serial_prefix, Cancellation.serial_start, Cancellation.serial_end),
                  (Cancellation.serial_alt_key, Cancellation.serial_alt_start, Cancellation.serial_alt_end))


class Context:
    """What one round of checks at a registry reads: the active imports and the widest record, then for
    a batch of lines at once their records and the other lines holding their units (a few joins per
    batch, not queries per line)."""

    def __init__(self, registry: Registry) -> None:
        self.registry = registry
        self.import_ids = list(db.session.execute(select(RegistryImport.id).where(
            RegistryImport.unit_registry == registry, RegistryImport.status == ImportStatus.ACTIVE)).scalars())
        span = (0, None)
        if self.import_ids:
            span = db.session.execute(select(
                func.max(RetirementRecord.last_unit - RetirementRecord.first_unit),
                func.max(RetirementRecord.alt_last - RetirementRecord.alt_first)).where(
                RetirementRecord.import_id.in_(self.import_ids))).one()
        self.span, self.alt_span = span[0] or 0, span[1]  # alt_span None: no record has a grouped reading
        self.names: dict[int, list[str]] = {}
        self._records: dict[int, dict[int, RetirementRecord]] = {}
        self._others: dict[int, int] = {}
        self._covers: dict[tuple, bool] = {}

    def event_names(self, row: Cancellation) -> list[str]:
        if row.event_id not in self.names:
            self.names[row.event_id] = names_of(row.event)
        return self.names[row.event_id]

    def prepare(self, rows: Sequence[Cancellation]) -> None:
        """Read the records and the other lines of these lines (those not read yet)."""
        ids = [row.id for row in rows if row.id not in self._records]
        if not ids:
            return
        for i in ids:
            self._records[i] = {}
        if self.import_ids:
            self._read_records(ids)
        self._read_others(ids)

    def _read_records(self, ids: list[int]) -> None:
        """Records of the active imports sharing a unit with the lines, in any reading of either; the
        widest record bounds the index range each line scans."""
        record = RetirementRecord
        stored = [(record.units_key, record.first_unit, record.last_unit, self.span)]
        if self.alt_span is not None:
            stored.append((record.alt_key, record.alt_first, record.alt_last, self.alt_span))
        for line_key, line_first, line_last in _LINE_READINGS:
            for key, first, last, span in stored:
                query = select(Cancellation.id, record).join(record, and_(
                    record.unit_registry == self.registry, key == line_key, first <= line_last,
                    first >= line_first - span, last >= line_first)).where(
                    Cancellation.id.in_(ids), record.import_id.in_(self.import_ids))
                for line_id, found in db.session.execute(query):
                    self._records[line_id][found.id] = found

    def _read_others(self, ids: list[int]) -> None:
        """The first other active line sharing a unit with each line (the ledger refuses such lines; this
        finds those recorded before a rule, or spelt past it). Keys name their namespace, so each line
        is compared with the lines of the registries that share its key (the index leads with them)."""
        other = aliased(Cancellation)
        registries = (sorted(_sharing(self.registry), key=lambda r: r.value))
        pairs = [(other.serial_prefix, other.serial_start, other.serial_end, True),
                 (other.serial_alt_key, other.serial_alt_start, other.serial_alt_end, False)]
        for line_key, line_first, line_last in _LINE_READINGS:
            for key, first, last, primary in pairs:
                on = and_(key == line_key, first <= line_last, last >= line_first, other.id != Cancellation.id)
                if primary:
                    on = and_(other.unit_registry.in_(registries), on)
                query = (select(Cancellation.id, func.min(other.id)).join(other, on)
                         .where(Cancellation.id.in_(ids), other.reverses_id.is_(None),
                                other.id.not_in(_reversed_ids())).group_by(Cancellation.id))
                for line_id, other_id in db.session.execute(query):
                    self._others[line_id] = min(other_id, self._others.get(line_id, other_id))

    def forget(self) -> None:
        """Drop what was read for the lines checked so far (a recheck goes through them in batches)."""
        self._records.clear()
        self._others.clear()

    def records(self, row: Cancellation) -> list[RetirementRecord]:
        self.prepare([row])
        return sorted(self._records[row.id].values(), key=lambda r: r.id)

    def other_line(self, row: Cancellation) -> int | None:
        self.prepare([row])
        return self._others.get(row.id)

    def covers(self, row: Cancellation, units: list[Reading]) -> bool:
        """Whether the imports cover the line's project and vintage (its series when it names no project)."""
        project, vintage = serial_project(row.unit_registry, row.serial_from)
        project = project_key(row.unit_registry, row.project_code) or project
        vintage = row.vintage or vintage
        memo = (project, vintage) if project is not None else tuple(k for k, _f, _l in units)
        if memo in self._covers:
            return self._covers[memo]
        query = select(RetirementRecord.id).where(RetirementRecord.import_id.in_(self.import_ids),
                                                  RetirementRecord.unit_registry == self.registry)
        if project is not None:
            query = query.where(RetirementRecord.project_key == project)
            if vintage is not None:
                query = query.where(or_(RetirementRecord.vintage == vintage, RetirementRecord.vintage.is_(None)))
        else:
            query = query.where(or_(RetirementRecord.units_key.in_([k for k, _f, _l in units]),
                                    RetirementRecord.alt_key.in_([k for k, _f, _l in units])))
        self._covers[memo] = db.session.execute(query.limit(1)).first() is not None
        return self._covers[memo]


def _reversed_ids() -> Any:
    return select(Cancellation.reverses_id).where(Cancellation.reverses_id.is_not(None))


def _active(query: Any) -> Any:
    return query.where(Cancellation.reverses_id.is_(None), Cancellation.id.not_in(_reversed_ids()))


def _sharing(registry_or_key: Registry | str) -> list[Registry]:
    """The registries whose lines can hold units of a registry or under a key (Verra and Gold Standard
    keys name their registry; the Chinese registries and `other` share one namespace)."""
    key = registry_or_key
    if key is Registry.VERRA or (isinstance(key, str) and key.startswith("verra|")):
        return [Registry.VERRA]
    if key is Registry.GOLD_STANDARD or (isinstance(key, str) and key.startswith("gs|")):
        return [Registry.GOLD_STANDARD]
    return [r for r in Registry if r not in (Registry.VERRA, Registry.GOLD_STANDARD)]


def _lines_holding(units: list[Reading]) -> Any:
    """Ledger lines sharing a unit with the readings, in either reading of theirs."""
    return or_(*(clause for key, first, last in units for clause in (
        and_(Cancellation.unit_registry.in_(_sharing(key)), Cancellation.serial_prefix == key,
             Cancellation.serial_start <= last, Cancellation.serial_end >= first),
        and_(Cancellation.serial_alt_key == key, Cancellation.serial_alt_start <= last,
             Cancellation.serial_alt_end >= first))))


def _best(records: list[RetirementRecord], units: list[Reading]) -> RetirementRecord | None:
    def share(record: RetirementRecord) -> tuple[int, int, int]:
        held = max(_covered(first, last, [(a, b) for k, a, b in _record_readings(record) if k == key])
                   for key, first, last in units)
        return held, record.import_id, -record.id

    return max(records, key=share) if records else None


def _found(records: Iterable[RetirementRecord], units: list[Reading]) -> int:
    """Units of the line the records hold, in the reading where they hold most."""
    records = list(records)
    return max(_covered(first, last, [(a, b) for r in records for k, a, b in _record_readings(r) if k == key])
               for key, first, last in units)


def check(row: Cancellation, context: Context) -> Outcome:
    """The registry status of one ledger line (see the module's docstring)."""
    units = readings(row)
    other = context.other_line(row)
    if not context.import_ids:
        return Outcome(S.CONFLICT, reason="two_ledger_lines", other_cancellation_id=other) if other else Outcome(
            S.NO_DATA)
    records = context.records(row)
    names = context.event_names(row)
    foreign = [r for r in records if not names_event(r, names)]
    if foreign:
        return Outcome(S.CONFLICT, _best(foreign, units), _found(records, units), "other_beneficiary")
    if other:
        return Outcome(S.CONFLICT, _best(records, units), _found(records, units), "two_ledger_lines", other)
    recorded = local(row.created_at).date() if row.created_at else date.today()
    in_time = [r for r in records if r.retired_on <= recorded]
    size = row.serial_end - row.serial_start + 1
    found, found_any = _found(in_time, units), _found(records, units)
    if found >= size:
        return Outcome(S.CONFIRMED, _best(in_time, units), found)
    if found_any:
        late = "retired_after_recording" if found < found_any else None
        return Outcome(S.PARTLY, _best(in_time or records, units), found, late)
    return Outcome(S.NOT_FOUND if context.covers(row, units) else S.NO_DATA)


# --------------------------------------------------------------------------- storing, recomputing
def _store(rows: Sequence[Cancellation], contexts: dict[Registry, Context], actor: User | None) -> dict[str, int]:
    """Check the lines, write their statuses; audit and announce each new conflict. Counts by status."""
    existing = {c.cancellation_id: c for c in db.session.execute(select(CancellationCheck).where(
        CancellationCheck.cancellation_id.in_([r.id for r in rows]))).scalars()}
    counts: dict[str, int] = {}
    now = utcnow()
    for registry in {row.unit_registry for row in rows}:
        if registry not in contexts:
            contexts[registry] = Context(registry)
        contexts[registry].prepare([row for row in rows if row.unit_registry is registry])
    for row in rows:
        outcome = check(row, contexts[row.unit_registry])
        counts[outcome.status.value] = counts.get(outcome.status.value, 0) + 1
        stored = existing.get(row.id)
        before = (_identity(stored.status, stored.reason, stored.record, stored.other_cancellation_id)
                  if stored else None)
        if stored is None:
            stored = CancellationCheck(cancellation_id=row.id)
            db.session.add(stored)
        stored.status, stored.record, stored.units_found = outcome.status, outcome.record, outcome.units_found
        stored.reason, stored.other_cancellation_id, stored.checked_at = (outcome.reason,
                                                                           outcome.other_cancellation_id, now)
        after = _identity(outcome.status, outcome.reason, outcome.record, outcome.other_cancellation_id)
        if outcome.status is S.CONFLICT and before != after:
            _announce(row, outcome, actor)
    db.session.flush()
    for context in contexts.values():
        context.forget()
    return counts


def _identity(status: RegistryStatus, reason: str | None, record: RetirementRecord | None,
              other: int | None) -> tuple:
    """What makes a conflict the same conflict: the same retirement (by its serial and beneficiary, in
    whichever import it stands) or the same other line."""
    return status, reason, (record.serial, record.beneficiary) if record else None, other


def _announce(row: Cancellation, outcome: Outcome, actor: User | None) -> None:
    record = outcome.record
    audit.record(actor, "registry.conflict", event=row.event_id, reason="R-CAN-2", data={
        "cancellation_id": row.id, "registry": row.unit_registry.value, "why": outcome.reason,
        "record_id": record.id if record else None, "import_id": record.import_id if record else None,
        "record_serial": record.serial if record else None,
        "record_beneficiary": record.beneficiary if record else None,
        "other_cancellation_id": outcome.other_cancellation_id})
    signals.registry_conflict.send(row.event, cancellation=row, record=record, reason=outcome.reason,
                                   other_cancellation_id=outcome.other_cancellation_id)


def recheck(registry: Registry | None = None, *, cancellation_ids: Iterable[int] | None = None,
            actor: User | None = None) -> dict[str, int]:
    """Recompute and store the statuses of the active lines at `registry` (or of the given lines);
    a reversed line loses its status. Return the counts by status."""
    query = _active(select(Cancellation))
    if registry is not None:
        query = query.where(Cancellation.unit_registry == registry)
    if cancellation_ids is not None:
        ids = list(cancellation_ids)
        query = query.where(Cancellation.id.in_(ids))
        gone = select(CancellationCheck).where(CancellationCheck.cancellation_id.in_(ids),
                                               CancellationCheck.cancellation_id.in_(_reversed_ids()))
        for check_row in db.session.execute(gone).scalars():
            db.session.delete(check_row)
    counts: dict[str, int] = {}
    contexts: dict[Registry, Context] = {}
    chunk: list[Cancellation] = []
    for row in db.session.execute(query.order_by(Cancellation.id)).scalars():
        chunk.append(row)
        if len(chunk) >= CHUNK:
            _merge(counts, _store(chunk, contexts, actor))
            chunk = []
    if chunk:
        _merge(counts, _store(chunk, contexts, actor))
    return counts


def _merge(total: dict[str, int], part: dict[str, int]) -> None:
    for key, value in part.items():
        total[key] = total.get(key, 0) + value


def _touched(row: Cancellation) -> list[int]:
    """A new line, and the lines sharing a unit with it (their two-ledger-lines status may change)."""
    return list(db.session.execute(select(Cancellation.id).where(_lines_holding(readings(row)))).scalars())


# --------------------------------------------------------------------------- new ledger lines
@event.listens_for(Session, "after_flush")
def _note_new_lines(session: Session, _context: object) -> None:
    new = [obj.id for obj in session.new if isinstance(obj, Cancellation)]
    if new:
        session.info.setdefault(_PENDING, set()).update(new)


@event.listens_for(Session, "before_commit")
def _check_new_lines(session: Session) -> None:
    """Check the lines this transaction recorded (and those they touch) before it commits; a failure
    here is logged and never blocks the cancellation."""
    session.flush()  # lines added but not yet flushed are noted by the flush
    pending = session.info.pop(_PENDING, None)
    if not pending:
        return
    try:
        with session.begin_nested():
            rows = session.execute(select(Cancellation).where(Cancellation.id.in_(pending))).scalars().all()
            ids = {i for row in rows for i in _touched(row)} | set(pending)
            recheck(cancellation_ids=sorted(ids))
    except Exception:  # noqa: BLE001 - matching informs; the ledger's rules decide (issue #22)
        log.exception("registry check of new cancellations %s failed", sorted(pending))


@event.listens_for(Session, "after_transaction_end")
def _forget_new_lines(session: Session, transaction: Any) -> None:
    if transaction.parent is None:
        session.info.pop(_PENDING, None)


def active_ids(ids: Iterable[int]) -> Any:
    """A query of those of the ids whose lines count (not a reversal, not reversed)."""
    return _active(select(Cancellation.id).where(Cancellation.id.in_(list(ids))))
