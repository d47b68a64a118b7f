"""Import a registry's public export (issue #22): streamed from the file on disk, parsed row by row
into normalised retirement ranges and inserted in batches, refused whole with the lines and columns
that cannot be read. An import never changes the ledger; it adds evidence beside it and the
ledger lines at that registry are checked again (processes/registry/matching.py)."""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import json
from collections.abc import Callable, Mapping
from typing import IO, Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from models import User, db
from models.db import utcnow
from models.offsets import Registry
from models.registry import ImportStatus, RegistryImport, RetirementRecord
from processes import audit
from processes.errors import Conflict, Invalid, NotFound, ServiceError
from processes.localtime import local
from processes.registry import matching
from processes.registry.adapters import Adapter, LineError, adapter_for, other_layout

MAX_MB = 200  # the default size limit of one export (config REGISTRY_IMPORT_MAX_MB)
MAX_ERRORS = 20  # lines reported before the reading stops
BATCH = 5_000  # rows per INSERT
CHUNK = 1 << 20
SNIFF = 64 * 1024
CHANNELS = ("web", "api", "cli")
RECORDS = RetirementRecord.__table__


class ExportTooLarge(ServiceError):
    """The file is larger than the limit (HTTP 413)."""

    code, status = "too_large", 413


def too_large(max_bytes: int) -> ExportTooLarge:
    message = _l("The file is larger than %(n)d MB: nothing was imported. Split the export (for example by "
                 "year of retirement) and import each part.", n=max_bytes // (1024 * 1024))
    return ExportTooLarge(message, {"file": [message]})


def digest(stream: IO[bytes], max_bytes: int) -> tuple[str, int]:
    """SHA-256 and size of the stream, read in chunks. :raises ExportTooLarge: beyond `max_bytes`."""
    sha, size = hashlib.sha256(), 0
    while chunk := stream.read(CHUNK):
        size += len(chunk)
        if size > max_bytes:
            raise too_large(max_bytes)
        sha.update(chunk)
    return sha.hexdigest(), size


def _encoding(stream: IO[bytes]) -> str:
    """UTF-8 (with or without BOM) when the file's start decodes so, else GB18030 (Chinese exports)."""
    start = stream.read(SNIFF)
    stream.seek(0)
    try:
        codecs.getincrementaldecoder("utf-8")().decode(start, final=False)
    except UnicodeDecodeError:
        return "gb18030"
    return "utf-8-sig"


def _line(line: int, column: str | None, problem: object) -> str:
    if column:
        return str(_l("Line %(line)d, column “%(column)s”: %(problem)s", line=line, column=column, problem=problem))
    return str(_l("Line %(line)d: %(problem)s", line=line, problem=problem))


def _refuse(problems: list[str], more: bool = False) -> Invalid:
    message = _l("The file was not imported: %(n)d line(s) cannot be read. Nothing was stored.", n=len(problems))
    if more:
        problems = [*problems, str(_l("Reading stopped after %(n)d errors.", n=MAX_ERRORS))]
    return Invalid(message, {"file": problems})


def _check_header(header: list[str], adapter: Adapter, registry: Registry) -> None:
    missing = adapter.missing(header)
    if not missing:
        return
    other = other_layout(header, adapter)
    if other is not None:
        message = _l("This is an export of %(other)s, not of %(registry)s: choose that registry.",
                     other=other.registry.title, registry=registry.title)
        raise Invalid(message, {"registry": [message], "file": [_line(1, None, message)]})
    names = ", ".join(f"“{name}”" for name in missing)
    message = _l("The file's columns are not those of this registry's export: %(names)s missing.", names=names)
    raise Invalid(message, {"file": [_line(1, None, message)]})


def _rows(stream: IO[bytes], adapter: Adapter, registry: Registry, import_id: int,
          progress: Callable[[int], None] | None) -> tuple[int, int]:
    """Read and insert every data row; return (rows, ranges). :raises Invalid: lines that cannot be read."""
    text = io.TextIOWrapper(stream, encoding=_encoding(stream), newline="")
    try:
        reader = csv.reader(text)
        try:
            header = next(reader)
        except StopIteration:
            raise Invalid(_l("The file is empty."), {"file": [_l("The file is empty.")]}) from None
        except (csv.Error, UnicodeDecodeError) as exc:
            raise _refuse([_line(1, None, exc)]) from None
        _check_header(header, adapter, registry)
        read, width = adapter.bind(header), len(header)
        problems: list[str] = []
        batch: list[dict[str, Any]] = []
        rows = stored = 0
        while len(problems) < MAX_ERRORS:
            start = reader.line_num + 1
            try:
                fields = next(reader)
            except StopIteration:
                break
            except (csv.Error, UnicodeDecodeError) as exc:
                problems.append(_line(start, None, _l("cannot be read as CSV text (%(why)s)", why=str(exc)[:120])))
                break
            if not any(field.strip() for field in fields):
                continue
            rows += 1
            if len(fields) != width:
                problems.append(_line(start, None, _l("%(n)d fields, the header has %(m)d", n=len(fields), m=width)))
                continue
            try:
                record = read(fields)
            except LineError as exc:
                problems.append(_line(start, exc.column, exc.problem))
                continue
            if problems:
                continue  # nothing more is stored once a line failed; the rest is only read for errors
            units = record.units
            alt = units.alt or (None, None, None)
            batch.append({
                "import_id": import_id, "line": start, "unit_registry": registry, "serial": record.serial,
                "units_key": units.key, "first_unit": units.first, "last_unit": units.last, "alt_key": alt[0],
                "alt_first": alt[1], "alt_last": alt[2], "quantity": record.quantity, "retired_on": record.retired_on,
                "beneficiary": record.beneficiary, "reason": record.reason, "note": record.note,
                "project_code": record.project_code, "project_key": record.project_key,
                "project_name": record.project_name, "vintage": record.vintage})
            if len(batch) >= BATCH:
                db.session.execute(RECORDS.insert(), batch)  # Core executemany: one statement per batch
                stored += len(batch)
                batch = []
                if progress is not None:
                    progress(rows)
        if problems:
            raise _refuse(problems, more=len(problems) >= MAX_ERRORS)
        if rows == 0:
            raise Invalid(_l("The file has no data rows."), {"file": [_line(2, None, _l("no data rows"))]})
        if batch:
            db.session.execute(RECORDS.insert(), batch)
            stored += len(batch)
        return rows, stored
    finally:
        text.detach()  # the caller owns the stream


def import_export(stream: IO[bytes], registry: Registry, *, filename: str, actor: User | None, channel: str,
                  source: str | None = None, mapping: Mapping[str, str | None] | None = None,
                  max_bytes: int = MAX_MB * 1024 * 1024,
                  progress: Callable[[int], None] | None = None) -> RegistryImport:
    """Import a registry's export from a seekable binary stream, all rows or none (the caller commits;
    after an error it rolls back). The ledger lines at the registry are checked again.

    :raises Invalid: a column mapping that is incomplete (fields "column_<field>"), a file of another
        registry's layout ("registry"), missing columns, or lines that cannot be read ("file", each
        message naming its line and column).
    :raises ExportTooLarge: more than `max_bytes`.
    :raises Conflict: the same file was imported for this registry already.
    """
    adapter = adapter_for(registry, mapping)
    source = (source or "").strip() or None
    if source is not None and len(source) > 300:
        raise Invalid(_l("The text is too long."), {"source": [_l("At most %(n)d characters.", n=300)]})
    sha, size = digest(stream, max_bytes)
    if size == 0:
        raise Invalid(_l("The file is empty."), {"file": [_l("The file is empty.")]})
    earlier = db.session.execute(select(RegistryImport).where(
        RegistryImport.unit_registry == registry, RegistryImport.sha256 == sha,
        RegistryImport.status == ImportStatus.ACTIVE)).scalar()
    if earlier is not None:
        message = _l("This file was imported already (import no. %(id)d).", id=earlier.id)
        raise Conflict(message, {"file": [message]})
    stream.seek(0)
    mapped = adapter.mapping_json()
    row = RegistryImport(unit_registry=registry, adapter=adapter.name, source=source, filename=(filename or "")[:255],
                         sha256=sha, size=size, rows=0, ranges=0, status=ImportStatus.ACTIVE,
                         channel=channel if channel in CHANNELS else "cli",
                         mapping=json.dumps(mapped, ensure_ascii=False) if mapped else None,
                         imported_by_id=actor.id if actor else None)
    db.session.add(row)
    db.session.flush()
    row.rows, row.ranges = _rows(stream, adapter, registry, row.id, progress)
    db.session.flush()
    statuses = matching.recheck(registry, actor=actor)
    audit.record(actor, "registry.imported", reason="R-CAN-2", data={
        "import_id": row.id, "registry": registry.value, "adapter": adapter.name, "sha256": sha, "size": size,
        "rows": row.rows, "ranges": row.ranges, "source": source, "filename": row.filename, "channel": row.channel,
        "mapping": mapped, "statuses": statuses})
    return row


def withdraw(import_id: int, actor: User, reason: str | None) -> RegistryImport:
    """Withdraw an import (e.g. a wrong file): its records stop counting and the lines at its registry
    are checked again; the records stay for the record.

    :raises Invalid: no reason. :raises Conflict: withdrawn already.
    """
    row = db.session.get(RegistryImport, import_id)
    if row is None:
        raise NotFound(_l("No such import."))
    reason = (reason or "").strip()
    if not reason or len(reason) > 2000:
        raise Invalid(_l("Say why the import is withdrawn."), {"reason": [_l("Required, at most 2000 characters.")]})
    if row.status is ImportStatus.WITHDRAWN:
        raise Conflict(_l("This import was withdrawn already."))
    row.status, row.withdrawn_reason = ImportStatus.WITHDRAWN, reason
    row.withdrawn_at = utcnow()
    db.session.flush()
    statuses = matching.recheck(row.unit_registry, actor=actor)
    audit.record(actor, "registry.withdrawn", reason=reason, data={
        "import_id": row.id, "registry": row.unit_registry.value, "sha256": row.sha256, "statuses": statuses})
    return row


def may_import(user: Any) -> bool:
    """Whether the user imports registry data: staff or leads of an Ecology and Environment Bureau."""
    department = getattr(user, "department", None)
    return bool(getattr(user, "is_authenticated", False) and user.is_department and department is not None
                and department.kind.value == "eeb")


def import_json(row: RegistryImport) -> dict[str, Any]:
    """An import as the API lists it."""
    return {"id": row.id, "registry": row.unit_registry.value, "adapter": row.adapter, "source": row.source,
            "filename": row.filename, "sha256": row.sha256, "size": row.size, "rows": row.rows, "ranges": row.ranges,
            "status": row.status.value, "channel": row.channel,
            "imported_by": row.imported_by.username if row.imported_by else None,
            "imported_at": local(row.created_at).isoformat(),
            "mapping": json.loads(row.mapping) if row.mapping else None,
            "withdrawn_at": local(row.withdrawn_at).isoformat() if row.withdrawn_at else None,
            "withdrawn_reason": row.withdrawn_reason}


def imports() -> list[RegistryImport]:
    """Every import, newest first."""
    return list(db.session.execute(select(RegistryImport).order_by(RegistryImport.id.desc())).scalars())
