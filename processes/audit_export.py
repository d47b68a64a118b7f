"""An event's audit trail as rows, CSV and XLSX (process audit): who, when, what, why, the BPMN
path taken, and whether each entry still matches its hash and its link in the chain. The files are
headed and worded in the UI's language, times in the display zone, and keep each code in a column of
its own for auditors (issue 18)."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from models import AuditEntry, Event, Role, db
from processes import localtime
from processes.audit import GENESIS, entry_hash
from processes.spreadsheet import add_sheet, empty_workbook, safe_cell, workbook_bytes


@dataclass(frozen=True)
class Titles:
    """Translated titles of the codes, from the web layer (webapp/tasks/titles.py): actions and steps."""

    actions: Mapping[str, Any] = field(default_factory=dict)
    steps: Mapping[str, Any] = field(default_factory=dict)


COLUMNS = ("seq", "at", "actor", "role", "action", "task", "reason", "detail", "hash", "prev_hash", "intact")
# The files' columns: each coded value in words, its code beside it (auditors search by code).
FILE_COLUMNS = ("seq", "at", "actor", "role", "action_title", "action", "task_title", "task", "reason", "detail",
                "hash", "prev_hash", "intact")
HEADINGS = {
    "seq": _l("No."), "actor": _l("Who (username)"), "role": _l("Role"), "action_title": _l("What"),
    "action": _l("Action code"), "task_title": _l("Step"), "task": _l("Step code"), "reason": _l("Why"),
    "detail": _l("Data"), "hash": _l("Hash"), "prev_hash": _l("Previous hash"), "intact": _l("Intact"),
}


def role_title(role: str | None) -> str:
    """An entry's role in words (the system's entries have none)."""
    return Role(role).title if role in Role._value2member_map_ else role or ""


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


def _row(e: AuditEntry, intact: bool) -> dict[str, Any]:
    return {
        "seq": e.seq, "at": e.at.isoformat(), "actor": e.actor, "role": e.role, "action": e.action, "task": e.task,
        "reason": e.reason, "detail": json.dumps(e.detail, ensure_ascii=False, sort_keys=True),
        "hash": e.hash, "prev_hash": e.prev_hash, "intact": intact,
    }


def audit_rows(event: Event) -> list[dict[str, Any]]:
    """Return one row per entry (API.md audit fields, `detail` as JSON text, and `intact`)."""
    entries = event_entries(event)
    intact = intact_flags(entries)
    return [_row(e, intact[e.seq]) for e in entries]


def _file_rows(entries: list[AuditEntry], titles: Titles) -> tuple[list[str], list[list[Any]]]:
    """The headings and rows of the files: each entry in words beside its codes, its time in the display zone."""
    intact = intact_flags(entries)
    yes, no = _("yes"), _("no")
    headings = [localtime.with_zone(_("When")) if c == "at" else str(HEADINGS[c]) for c in FILE_COLUMNS]
    rows = []
    for e in entries:
        words = _row(e, intact[e.seq]) | {
            "at": localtime.format_local(e.at, localtime.SECONDS),
            "actor": e.actor if e.actor_id is not None else _("system"),
            "role": role_title(e.role),
            "action_title": str(titles.actions.get(e.action, e.action)),
            "task_title": str(titles.steps.get(e.task, e.task or "")),
            "intact": yes if intact[e.seq] else no,
        }
        rows.append([safe_cell(words[c]) for c in FILE_COLUMNS])
    return headings, rows


def export_csv(event: Event, titles: Titles | None = None) -> str:
    """Return the event's audit trail as CSV text (encode as UTF-8 with BOM for spreadsheet programs)."""
    headings, rows = _file_rows(event_entries(event), titles or Titles())
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(headings)
    writer.writerows(rows)
    return out.getvalue()


def export_xlsx(event: Event, titles: Titles | None = None) -> bytes:
    """Return the event's audit trail as an XLSX workbook: entries, the BPMN path, the event."""
    titles = titles or Titles()
    entries = event_entries(event)
    workbook = empty_workbook()
    add_sheet(workbook, _("Audit trail"), *_file_rows(entries, titles))
    add_sheet(workbook, _("Path taken"), [_("No."), _("Step"), _("Step code")],
              [[i, str(titles.steps.get(name, name)), name] for i, name in enumerate(bpmn_path(entries), 1)])
    add_sheet(workbook, _("Event"), [_("Field"), _("Value")],
              [[_("Event no."), event.id], [_("Event"), event.name], [_("Tier"), event.tier.title],
               [_("Status"), event.status.title], [_("Starts on"), event.starts_on.isoformat()],
               [_("Ends on"), event.ends_on.isoformat()]])
    return workbook_bytes(workbook)
