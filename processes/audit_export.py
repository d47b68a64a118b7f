"""An event's audit trail as rows, CSV and XLSX (process audit): who, when, what, why, the BPMN
path taken, and whether each entry still matches its hash and its link in the chain."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from sqlalchemy import select

from models import AuditEntry, Event, db
from processes.audit import GENESIS, entry_hash
from processes.spreadsheet import add_sheet, empty_workbook, safe_cell, workbook_bytes

COLUMNS = ("seq", "at", "actor", "role", "action", "task", "reason", "detail", "hash", "prev_hash", "intact")


def event_entries(event: Event) -> list[AuditEntry]:
    """Return the event's audit entries, oldest first."""
    return list(db.session.execute(select(AuditEntry).where(AuditEntry.event_id == event.id)
                                   .order_by(AuditEntry.seq)).scalars())


def intact_flags(entries: list[AuditEntry]) -> dict[int, bool]:
    """Return per seq whether the entry matches its hash and links to the chain's previous entry."""
    previous = dict(db.session.execute(select(AuditEntry.seq, AuditEntry.hash).where(
        AuditEntry.seq.in_([e.seq - 1 for e in entries]))).all())
    previous[0] = GENESIS
    return {e.seq: entry_hash(e) == e.hash and previous.get(e.seq - 1) == e.prev_hash for e in entries}


def bpmn_path(entries: list[AuditEntry]) -> list[str]:
    """Return the BPMN user tasks completed, in order (the path the event's process took)."""
    return [e.task for e in entries if e.action == "task.completed" and e.task]


def audit_rows(event: Event) -> list[dict[str, Any]]:
    """Return one row per entry (API.md audit fields, `detail` as JSON text, and `intact`)."""
    entries = event_entries(event)
    intact = intact_flags(entries)
    return [{
        "seq": e.seq, "at": e.at.isoformat(), "actor": e.actor, "role": e.role, "action": e.action, "task": e.task,
        "reason": e.reason, "detail": json.dumps(e.detail, ensure_ascii=False, sort_keys=True),
        "hash": e.hash, "prev_hash": e.prev_hash, "intact": intact[e.seq],
    } for e in entries]


def export_csv(event: Event) -> str:
    """Return the event's audit trail as CSV text (encode as UTF-8 with BOM for spreadsheet programs)."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\r\n")
    writer.writeheader()
    for row in audit_rows(event):
        writer.writerow({key: safe_cell(value) for key, value in row.items()})
    return out.getvalue()


def export_xlsx(event: Event) -> bytes:
    """Return the event's audit trail as an XLSX workbook: entries, the BPMN path, the event."""
    workbook = empty_workbook()
    add_sheet(workbook, "Audit", list(COLUMNS), [[row[c] for c in COLUMNS] for row in audit_rows(event)])
    add_sheet(workbook, "Path", ["step", "task"],
              [[i, name] for i, name in enumerate(bpmn_path(event_entries(event)), 1)])
    add_sheet(workbook, "Event", ["field", "value"],
              [["event_id", event.id], ["name", event.name], ["tier", event.tier.value],
               ["status", event.status.value], ["starts_on", event.starts_on.isoformat()],
               ["ends_on", event.ends_on.isoformat()]])
    return workbook_bytes(workbook)
