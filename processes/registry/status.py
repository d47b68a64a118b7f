"""Reading the registry statuses of ledger lines for the ledger API, the pages and the open data."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from models import db
from models.offsets import Cancellation
from models.registry import CancellationCheck, RegistryImport, RegistryStatus, RetirementRecord
from processes.localtime import local
from processes.registry import matching

PUBLIC_RECORD = frozenset({RegistryStatus.CONFIRMED, RegistryStatus.PARTLY})  # records that name the event


@dataclass(frozen=True)
class Shown:
    """A line's registry status as shown: the record it rests on and the import that holds it."""

    status: RegistryStatus
    record: RetirementRecord | None = None
    imported: RegistryImport | None = None
    reason: str | None = None
    units_found: int = 0

    @property
    def imported_on(self) -> str | None:
        return local(self.imported.created_at).date().isoformat() if self.imported else None


def statuses(cancellation_ids: Iterable[int]) -> dict[int, Shown]:
    """The registry status of each given line that counts (reversals and reversed lines get none).

    Stored statuses are read in one query per 900 lines; a line without one (e.g. bulk-loaded) is
    checked now, without storing.
    """
    ids = sorted(set(cancellation_ids))
    shown: dict[int, Shown] = {}
    contexts: dict[Any, matching.Context] = {}
    for start in range(0, len(ids), 900):  # bounded IN lists
        part = ids[start:start + 900]
        active = set(db.session.execute(matching.active_ids(part)).scalars())
        query = (select(CancellationCheck, RetirementRecord, RegistryImport)
                 .outerjoin(RetirementRecord, RetirementRecord.id == CancellationCheck.record_id)
                 .outerjoin(RegistryImport, RegistryImport.id == RetirementRecord.import_id)
                 .where(CancellationCheck.cancellation_id.in_(active)))
        for check, record, imported in db.session.execute(query):
            shown[check.cancellation_id] = Shown(check.status, record, imported, check.reason, check.units_found)
        missing = [i for i in active if i not in shown]
        for row in db.session.execute(select(Cancellation).where(Cancellation.id.in_(missing))).scalars():
            if row.unit_registry not in contexts:
                contexts[row.unit_registry] = matching.Context(row.unit_registry)
            outcome = matching.check(row, contexts[row.unit_registry])
            imported = db.session.get(RegistryImport, outcome.record.import_id) if outcome.record else None
            shown[row.id] = Shown(outcome.status, outcome.record, imported, outcome.reason, outcome.units_found)
    return shown


def record_json(shown: Shown | None, *, public: bool = False) -> dict[str, Any] | None:
    """The matching record as the API shows it: serial, date, beneficiary (and, for departments, the
    note, the import and the line). Publicly only a record that names the event or nobody."""
    if shown is None or shown.record is None or (public and shown.status not in PUBLIC_RECORD):
        return None
    record = shown.record
    body = {"serial": record.serial, "date": record.retired_on.isoformat(), "beneficiary": record.beneficiary,
            "import_id": record.import_id, "imported_on": shown.imported_on}
    if not public:
        body |= {"note": record.note, "line": record.line, "units_found": shown.units_found, "reason": shown.reason}
    return body


def fields(shown: Shown | None, *, public: bool = False) -> dict[str, Any]:
    """`registry_status` and `registry_record` of one ledger line (None for a line that does not count)."""
    return {"registry_status": shown.status.value if shown else None,
            "registry_record": record_json(shown, public=public)}
