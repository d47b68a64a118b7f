"""Uploads: the size limit answers 413 (pages and API), only PDF/PNG/JPEG whose bytes match their
name are kept, files are stored under random names outside the static folder and are served only
to those who may see their event, as attachments that a browser never renders or runs."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from sqlalchemy import func, select

from models import Event, db
from models.uploads import Upload
from tests.conftest import CSRF_RE
from tests.lifecycle import PDF, register
from tests.security.conftest import bearer, session_client

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
REFUSED = {
    "html disguised as pdf": (b"<html><script>alert(1)</script></html>", "evil.pdf"),
    "svg with script": (b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>', "image.svg"),
    "pdf named png": (PDF, "photo.png"),
    "png named pdf": (PNG, "report.pdf"),
    "windows executable": (b"MZ\x90\x00\x03" + b"\x00" * 64, "setup.exe"),
    "executable named pdf": (b"MZ\x90\x00\x03" + b"\x00" * 64, "setup.pdf"),
    "shell script": (b"#!/bin/sh\nrm -rf /\n", "run.sh"),
    "html page": (b"<!doctype html><h1>x</h1>", "page.html"),
    "empty file": (b"", "empty.pdf"),
}


def _uploads() -> int:
    return db.session.execute(select(func.count(Upload.id))).scalar()


def _token(client, url: str) -> str:  # noqa: ANN001
    match = CSRF_RE.search(client.get(url).get_data(as_text=True))
    assert match, url
    return match.group(1) or match.group(2)


@pytest.fixture()
def small_limit(app, monkeypatch):  # noqa: ANN001
    """A 4 KB limit, so the test need not send megabytes (Flask reads the limit per request)."""
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 4096)
    return 4096


def test_too_large_is_413_on_pages_and_api(app, world, small_limit):  # noqa: ANN001
    big = PDF + b"0" * (small_limit + 1)
    before = _uploads()
    organizer = session_client(app, "organizer")
    token = _token(organizer, f"/events/{world.event_id}")
    page = organizer.post(f"/events/{world.event_id}/comments", content_type="multipart/form-data",
                          data={"csrf_token": token, "body": "big", "attachment": (io.BytesIO(big), "big.pdf")})
    assert page.status_code == 413 and page.mimetype == "text/html"
    commerce = session_client(app, "commerce")
    token = _token(commerce, f"/tasks/{world.task_id}")
    task = commerce.post(f"/tasks/{world.task_id}", content_type="multipart/form-data",
                         data={"csrf_token": token, "decision": "approve", "action": "complete",
                               "evidence_file": (io.BytesIO(big), "big.pdf")})
    assert task.status_code == 413
    api = session_client(app, None).post("/api/v1/uploads", headers=bearer("organizer"),
                                         content_type="multipart/form-data",
                                         data={"file": (io.BytesIO(big), "big.pdf"), "event_id": str(world.event_id)})
    assert api.status_code == 413 and api.get_json()["error"] == "too_large"
    assert _uploads() == before


@pytest.mark.parametrize("kind", sorted(REFUSED))
def test_wrong_types_are_refused_by_content(app, world, kind):  # noqa: ANN001
    content, name = REFUSED[kind]
    before = _uploads()
    api = session_client(app, None).post("/api/v1/uploads", headers=bearer("organizer"),
                                         content_type="multipart/form-data",
                                         data={"file": (io.BytesIO(content), name), "event_id": str(world.event_id)})
    assert api.status_code == 422, (kind, api.get_json())
    organizer = session_client(app, "organizer")
    token = _token(organizer, f"/events/{world.event_id}")
    page = organizer.post(f"/events/{world.event_id}/comments", content_type="multipart/form-data",
                          data={"csrf_token": token, "body": kind, "attachment": (io.BytesIO(content), name)})
    assert page.status_code == 302  # back to the event with the error shown
    assert _uploads() == before


def test_accepted_files_are_stored_outside_static_under_random_names(app, world, upload_dir):  # noqa: ANN001
    response = session_client(app, None).post(
        "/api/v1/uploads", headers=bearer("organizer"), content_type="multipart/form-data",
        data={"file": (io.BytesIO(PDF), "../../webapp/static/evil.pdf"), "event_id": str(world.event_id)})
    assert response.status_code == 201
    upload = db.session.get(Upload, response.get_json()["id"])
    assert re.fullmatch(r"[0-9a-f]{32}", upload.stored_name)  # random, no extension, nothing of the user's name
    assert upload.filename == "evil.pdf"  # the name shown is stripped of any path
    stored = Path(upload_dir) / upload.stored_name
    assert stored.read_bytes() == PDF
    static = Path(app.static_folder).resolve()
    assert static not in stored.resolve().parents
    assert not (static / "evil.pdf").exists()
    assert session_client(app, None).get(f"/static/{upload.stored_name}").status_code == 404
    assert session_client(app, None).get("/static/evil.pdf").status_code == 404


def test_default_upload_folder_is_outside_static():
    from config import Config
    from webapp import create_app

    class Default(Config):
        UPLOAD_DIR = None
        SQLALCHEMY_DATABASE_URI = "sqlite://"
        RATELIMIT_ENABLED = False

    fresh = create_app(Default)
    upload_dir = Path(fresh.config["UPLOAD_DIR"]).resolve()
    assert Path(fresh.static_folder).resolve() not in [upload_dir, *upload_dir.parents]


def test_downloads_only_for_those_who_may_see_the_event(app, world):  # noqa: ANN001
    url = f"/events/{world.event_id}/files/{world.upload_id}"
    allowed = {"organizer": 200, "commerce": 200, "eeb": 200, "eeb_rencheng": 200, "verifier": 200, "auditor": 200,
               "organizer2": 404, "sports": 404, "culture": 404}
    for username, status in allowed.items():
        assert session_client(app, username).get(url).status_code == status, username
    assert "/login" in session_client(app, None).get(url).headers["Location"]
    # The file of one event cannot be fetched through another event the reader may see.
    other = register(600, name="另一场展会")
    assert session_client(app, "organizer").get(f"/events/{other.id}/files/{world.upload_id}").status_code == 404


def test_downloads_are_attachments_never_rendered(app, world):  # noqa: ANN001
    response = session_client(app, "organizer").get(f"/events/{world.event_id}/files/{world.upload_id}")
    assert response.status_code == 200 and response.data == PDF
    assert response.mimetype == "application/pdf"  # the sniffed type, not what the client claimed
    assert response.headers["Content-Disposition"].startswith("attachment")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]


def test_a_hostile_file_name_cannot_break_the_download_header(app, world, upload_dir):  # noqa: ANN001
    """Whatever name a client managed to send is quoted safely in Content-Disposition."""
    from processes import uploads
    from tests.lifecycle import user

    event = db.session.get(Event, world.event_id)
    name = 'evil"; filename="run.exe"; x=证书\r\nX-Injected: 1.pdf'
    stored = uploads.store(PDF, name, user("organizer"), upload_dir, max_bytes=2**20, event=event)
    db.session.commit()
    download = session_client(app, "organizer").get(f"/events/{world.event_id}/files/{stored.id}")
    assert download.status_code == 200
    assert "X-Injected" not in download.headers
    disposition = download.headers["Content-Disposition"]
    assert disposition.startswith("attachment"), disposition
    assert "\r" not in disposition and "\n" not in disposition and 'filename="run.exe"' not in disposition
    # Folders (also Windows ones) and bidi overrides that disguise an extension are dropped too.
    assert uploads.display_name("C:\\Users\\x\\证书.pdf") == "证书.pdf"
    assert uploads.display_name("invoice\u202efdp.exe") == "invoicefdp.exe"
