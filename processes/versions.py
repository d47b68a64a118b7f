"""Diagram versions (issue #10): the deployed versions, and what changed between two of them.

A version is one deployment of bpmn/ (`workflow.deploy`). The comparison is Spiff's spec diff
(`engine.VersionDiff`): tasks, gateways, timers and events added, removed or changed, per process,
with the markers the diagram viewer draws.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from models import ProcessInstance, ProcessVersion, db
from processes import engine, workflow
from processes.errors import Invalid, NotFound

_PROCESS_IDS = re.compile(r"<(?:bpmn2?:)?(?:process|subProcess)\b[^>]*\bid=\"([^\"]+)\"")


@dataclass(frozen=True)
class VersionComparison:
    """What changed from version `old` to version `new`."""

    old: ProcessVersion
    new: ProcessVersion
    changes: list[engine.ElementChange]
    without_handler: list[str] = field(default_factory=list)  # new user tasks no code can complete yet

    def of(self, change: str) -> list[engine.ElementChange]:
        return [c for c in self.changes if c.change == change]

    def markers(self, side: str, file_name: str) -> dict[str, list[str]]:
        """Element ids to mark on one file of one side ("old" or "new") for diagram.js: `completed`
        (green) = added, `current` (blue) = changed, `overdue` (red) = removed."""
        version = self.new if side == "new" else self.old
        processes = processes_in(version).get(file_name, set())
        ids: dict[str, list[str]] = {"completed": [], "current": [], "overdue": []}
        wanted = {"added": "completed", "changed": "current"} if side == "new" else \
            {"removed": "overdue", "changed": "current"}
        for change in self.changes:
            if change.process in processes and change.change in wanted:
                ids[wanted[change.change]].append(change.element)
        return ids


def get(number: int) -> ProcessVersion:
    """:raises NotFound: no version has that number."""
    version = db.session.execute(select(ProcessVersion).where(ProcessVersion.number == number)).scalar()
    if version is None:
        raise NotFound(_l("There is no diagram version %(number)s.", number=number))
    return version


def listing() -> list[tuple[ProcessVersion, int]]:
    """Every version, newest first, with the number of events running (or run) on it."""
    return [(version, count) for version, count in db.session.execute(
        select(ProcessVersion, func.count(ProcessInstance.id))
        .outerjoin(ProcessInstance, ProcessInstance.process_version_id == ProcessVersion.id)
        .group_by(ProcessVersion.id).order_by(ProcessVersion.number.desc())).all()]


def pair(old_number: int, new_number: int) -> tuple[ProcessVersion, ProcessVersion]:
    """:raises Invalid: the same version twice. :raises NotFound: an unknown number."""
    if old_number == new_number:
        raise Invalid(_l("Choose two different versions."),
                      {"to": [_l("Choose two different versions.")]})
    return get(old_number), get(new_number)


def diff_of(old: ProcessVersion, new: ProcessVersion) -> engine.VersionDiff:
    return engine.VersionDiff(workflow.specs_for(old), workflow.specs_for(new))


def compare(old_number: int, new_number: int, handlers: Mapping[str, Any] | None = None) -> VersionComparison:
    """The changes between two versions; with `handlers` (task name -> handler), also the new user
    tasks that no handler completes yet (deploying such a version needs a code change first)."""
    old, new = pair(old_number, new_number)
    changes = diff_of(old, new).changes()
    missing = sorted({c.element for c in changes if c.change == "added" and c.kind == "user_task"
                      and handlers is not None and c.element not in handlers})
    return VersionComparison(old, new, changes, missing)


def processes_in(version: ProcessVersion) -> dict[str, set[str]]:
    """File name -> the ids of the processes and embedded sub-processes it defines."""
    return {name: set(_PROCESS_IDS.findall(xml)) for name, xml in (version.files or {}).items()}


def file_xml(version: ProcessVersion, file_name: str) -> str:
    """:raises NotFound: the version has no such file."""
    files = version.files or {}
    if file_name not in files:
        raise NotFound(_l("No diagram."))
    return files[file_name]
