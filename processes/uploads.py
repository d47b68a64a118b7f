"""Safe uploads: size limit, content sniffing (PDF and images only), random names outside static/,
written whole or not at all; and who may cite an upload as evidence (issue #17)."""

from __future__ import annotations

import errno
import hashlib
import os
import secrets
import unicodedata
from pathlib import Path
from typing import Any

from flask_babel import lazy_gettext as _l

from models import Event, User, db
from models.uploads import Upload
from processes import audit
from processes.bounds import MAX_ID
from processes.errors import Invalid

# The storage cannot take the file: full (also over quota), read-only, or gone (I/O error).
STORAGE_ERRNOS = {errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EIO, errno.EACCES, errno.EPERM}


class StorageUnavailable(Invalid):
    """The upload storage is full or unavailable; nothing was saved. Pages keep the form (like any
    refused input); the API answers 507 Insufficient Storage."""

    code, status = "storage_unavailable", 507

    def __init__(self) -> None:
        message = _l("The storage is full or unavailable; nothing was saved. Try again later or tell the "
                     "administrator.")
        super().__init__(message, {"file": [message]})

# magic bytes → (content type, allowed file name extensions)
SIGNATURES: list[tuple[bytes, str, tuple[str, ...]]] = [
    (b"%PDF-", "application/pdf", (".pdf",)),
    (b"\x89PNG\r\n\x1a\n", "image/png", (".png",)),
    (b"\xff\xd8\xff", "image/jpeg", (".jpg", ".jpeg")),
]


def sniff(content: bytes, filename: str) -> str:
    """Return the content type if the bytes are a PDF/PNG/JPEG matching the extension.

    :raises Invalid: other types, or content that does not match the file's extension.
    """
    suffix = Path(filename).suffix.lower()
    for magic, content_type, suffixes in SIGNATURES:
        if content.startswith(magic):
            if suffix not in suffixes:
                raise Invalid(_l("The file's content does not match its extension."),
                              {"file": [_l("The content is %(type)s but the name ends in %(ext)s.",
                                           type=content_type, ext=suffix or "—")]})
            return content_type
    raise Invalid(_l("Only PDF, PNG or JPEG files are accepted."),
                  {"file": [_l("Only PDF, PNG or JPEG files are accepted.")]})


def display_name(filename: str) -> str:
    """The name shown and offered on download: no folders (also Windows ones), no control or format
    characters (a CR/LF broke the download's Content-Disposition header; bidi overrides disguise
    extensions), at most 255 characters."""
    name = filename.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C").strip()
    return name[:255] or "file"


def store(content: bytes, filename: str, uploader: User, upload_dir: str, *, max_bytes: int,
          event: Event | None = None) -> Upload:
    """Check and save the file; return its row (the caller commits).

    :raises Invalid: empty, too large, or not an accepted type.
    """
    if not content:
        raise Invalid(_l("The file is empty."), {"file": [_l("The file is empty.")]})
    if len(content) > max_bytes:
        raise Invalid(_l("The file is too large."), {"file": [_l("At most %(mb)d MB.", mb=max_bytes // 2**20)]})
    content_type = sniff(content, filename)
    stored_name = secrets.token_hex(16)
    write_whole(Path(upload_dir), stored_name, content)
    upload = Upload(
        sha256=hashlib.sha256(content).hexdigest(),
        size=len(content),
        filename=display_name(filename),
        content_type=content_type,
        stored_name=stored_name,
        uploaded_by_id=uploader.id,
        event_id=event.id if event else None,
    )
    db.session.add(upload)
    db.session.flush()
    audit.record(uploader, "upload.stored", event=event, data={"upload_id": upload.id, "sha256": upload.sha256})
    return upload


def write_whole(directory: Path, name: str, content: bytes) -> None:
    """Write the file under a temporary name and rename it when complete: a full disk never leaves a
    truncated file under a real name, and the temporary one is removed.

    :raises StorageUnavailable: the disk is full, read-only or failing (ENOSPC, EDQUOT, EROFS, EIO …).
    """
    temporary = directory / f".{name}.part"
    try:
        directory.mkdir(parents=True, exist_ok=True)
        with open(temporary, "wb") as file:
            file.write(content)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, directory / name)
    except OSError as exc:
        _discard(temporary)
        if exc.errno in STORAGE_ERRNOS:
            raise StorageUnavailable() from exc
        raise


def _discard(path: Path) -> None:
    try:
        path.unlink(missing_ok=True)
    except OSError:  # read-only or gone storage: nothing could be written there either
        pass


def _may_cite(upload: Upload, actor: User | None) -> bool:
    """The uploader, or a colleague of the uploader's organizer organisation (issue #17, docs/security.md)."""
    if actor is None:
        return False
    if upload.uploaded_by_id == actor.id:
        return True
    if actor.organization_id is None:
        return False
    uploader = db.session.get(User, upload.uploaded_by_id)
    return uploader is not None and uploader.organization_id == actor.organization_id


def cite(value: Any, *, event: Event, actor: User | None, field: str) -> Upload:
    """Return the upload `value` names as evidence for `event`, attached to that event from now on.

    The one rule for every form and API path that cites an upload (plan, account, reductions,
    cancellations, sink projects, evaluation, comments): an upload may be cited if it is already
    attached to this event, or if it is attached to no event yet and was uploaded by the actor or a
    colleague of the actor's organisation. The first citation attaches it, so it supports one event
    only, and everyone who may see that event (reviewers, verifiers, auditors) can open it.

    :raises Invalid: on `field`: no such upload, someone else's, or another event's (one message for
        all three, so ids of others' files cannot be probed).
    """
    number = value if isinstance(value, int) and not isinstance(value, bool) else None
    if isinstance(value, str) and value.strip().isascii() and value.strip().isdigit():  # not "¹" or "٣"
        number = int(value.strip())
    upload = db.session.get(Upload, number) if number is not None and 0 < number <= MAX_ID else None
    if upload is None or not (upload.event_id == event.id or (upload.event_id is None and _may_cite(upload, actor))):
        raise Invalid(_l("Unknown upload; upload the evidence first."),
                      {field: [_l("Unknown upload; upload the evidence first.")]})
    if upload.event_id is None:
        upload.event_id = event.id
        audit.record(actor, "upload.attached", event=event, data={"upload_id": upload.id, "field": field})
    return upload


def path_of(upload: Upload, upload_dir: str) -> Path:
    return Path(upload_dir) / upload.stored_name
