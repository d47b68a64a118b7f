"""Storage and database faults (issue #17, threat 6): a full or read-only upload storage keeps the
user's form and says nothing was saved (API: 507), with no partial file left behind; a lost database
connection answers 503 with Retry-After on pages and API alike, and the pool recovers by itself."""

from __future__ import annotations

import errno
import io
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import func, select, text
from sqlalchemy.exc import OperationalError

from config import TestConfig
from models import db
from models.uploads import Upload
from processes import uploads
from tests.conftest import CSRF_RE, IsolatedClient
from tests.lifecycle import PDF
from tests.security.conftest import bearer, session_client

FULL = "存储空间已满或不可用"


def _uploads() -> int:
    return db.session.execute(select(func.count(Upload.id))).scalar()


def _files(upload_dir: str) -> list[str]:
    folder = Path(upload_dir)
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


class _HalfWritten(io.BufferedWriter):
    """A file whose disk fills up halfway through the write."""

    def write(self, data) -> int:  # noqa: ANN001
        super().write(bytes(data)[: len(data) // 2])
        super().flush()
        raise OSError(errno.ENOSPC, "No space left on device")


@pytest.fixture(params=[errno.ENOSPC, errno.EROFS, errno.EDQUOT])
def broken_storage(request, monkeypatch) -> int:  # noqa: ANN001
    """The upload storage fails as a full disk (half the file written first), read-only or over quota."""
    code = request.param
    real_open = open

    def failing_open(path, mode="r", *args, **kwargs):  # noqa: ANN001,ANN002,ANN003,ANN202
        if code == errno.ENOSPC:
            return _HalfWritten(real_open(path, "wb", buffering=0))
        raise OSError(code, errno.errorcode[code])

    monkeypatch.setattr(uploads, "open", failing_open, raising=False)
    return code


def test_api_upload_on_broken_storage_is_507_and_leaves_nothing(app, world, upload_dir, broken_storage):  # noqa: ANN001
    before_files, before_rows = _files(upload_dir), _uploads()
    response = session_client(app, None).post(
        "/api/v1/uploads", headers=bearer("organizer"), content_type="multipart/form-data",
        data={"file": (io.BytesIO(PDF * 50), "certificate.pdf"), "event_id": str(world.event_id)})
    assert response.status_code == 507
    body = response.get_json()
    assert body["error"] == "storage_unavailable" and "未保存" in body["message"]  # nothing was saved
    assert "file" in body["fields"]
    assert _files(upload_dir) == before_files  # no truncated file, no temporary one
    assert _uploads() == before_rows


def test_task_page_on_a_full_disk_keeps_the_form_and_says_nothing_was_saved(app, world, upload_dir,  # noqa: ANN001
                                                                           broken_storage):
    before_files = _files(upload_dir)
    commerce = session_client(app, "commerce")
    page = commerce.get(f"/tasks/{world.task_id}").get_data(as_text=True)
    token = next(m.group(1) or m.group(2) for m in CSRF_RE.finditer(page))
    response = commerce.post(f"/tasks/{world.task_id}", content_type="multipart/form-data", data={
        "csrf_token": token, "decision": "return", "comment": "请补充绿电证书的来源说明", "action": "complete",
        "evidence_file": (io.BytesIO(PDF * 50), "evidence.pdf")})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert FULL in html and "未保存" in html
    assert "请补充绿电证书的来源说明" in html  # what was typed is still there
    assert _files(upload_dir) == before_files


def test_policy_form_on_a_full_disk_keeps_the_form(app, world, upload_dir, broken_storage):  # noqa: ANN001
    lead = session_client(app, "eeb")
    page = lead.get("/public/policies/new?lang=en").get_data(as_text=True)
    token = next(m.group(1) or m.group(2) for m in CSRF_RE.finditer(page))
    response = lead.post("/public/policies/new?lang=en", content_type="multipart/form-data", data={
        "csrf_token": token, "title_zh": "故障测试文件", "issuer": "济宁市生态环境局",
        "document": (io.BytesIO(PDF), "policy.pdf")})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "storage is full or unavailable" in html and "故障测试文件" in html


def test_a_complete_write_replaces_nothing_but_its_own_name(tmp_path):  # noqa: ANN001
    uploads.write_whole(tmp_path, "abc", b"%PDF-1.4 whole")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["abc"]
    assert (tmp_path / "abc").read_bytes() == b"%PDF-1.4 whole"


def test_another_os_error_is_not_disguised_as_full_storage(tmp_path, monkeypatch):  # noqa: ANN001
    def failing_open(*args, **kwargs):  # noqa: ANN002,ANN003,ANN202
        raise OSError(errno.ENAMETOOLONG, "File name too long")

    monkeypatch.setattr(uploads, "open", failing_open, raising=False)
    with pytest.raises(OSError) as raised:
        uploads.write_whole(tmp_path, "abc", b"x")
    assert not isinstance(raised.value, uploads.StorageUnavailable)


# --------------------------------------------------------------------------- the database goes away
def _lost(*args, **kwargs):  # noqa: ANN002,ANN003,ANN202
    raise OperationalError("SELECT 1", {}, Exception("server closed the connection unexpectedly"),
                           connection_invalidated=True)


def test_a_lost_database_answers_503_with_retry_after_on_pages(app, demo, monkeypatch):  # noqa: ANN001
    client = session_client(app, "organizer")
    from processes import events

    monkeypatch.setattr(events, "visible_events_query", _lost)
    response = client.get("/events/?lang=en")
    assert response.status_code == 503
    assert int(response.headers["Retry-After"]) > 0
    assert "database is unavailable" in response.get_data(as_text=True)
    monkeypatch.undo()
    assert client.get("/events/").status_code == 200  # the next request works: no restart


def test_a_lost_database_answers_503_with_retry_after_in_the_api(app, demo, monkeypatch):  # noqa: ANN001
    headers = bearer("organizer")
    from processes import accounts

    monkeypatch.setattr(accounts, "user_for_token", _lost)
    response = session_client(app, None).get("/api/v1/me", headers=headers)
    assert response.status_code == 503 and int(response.headers["Retry-After"]) > 0
    assert response.get_json()["error"] == "unavailable"


def test_a_lost_database_while_signing_in_the_user_is_503_not_500(app, demo, monkeypatch):  # noqa: ANN001
    """Even the user loader failing (every signed-in page) gives the 503 page, not a crash of the error page."""
    client = session_client(app, "organizer")
    from processes import accounts

    monkeypatch.setattr(accounts, "session_user", _lost)
    response = client.get("/events/mine")
    assert response.status_code == 503 and "Retry-After" in response.headers


class FileConfig(TestConfig):
    RATELIMIT_ENABLED = False


@pytest.fixture()
def file_app(tmp_path) -> Iterator[Flask]:  # noqa: ANN001
    """An app on a database of its own (a file, or the suite's PostgreSQL), whose connections we kill."""
    FileConfig.SQLALCHEMY_DATABASE_URI = (TestConfig.SQLALCHEMY_DATABASE_URI
                                          if TestConfig.SQLALCHEMY_DATABASE_URI.startswith("postgresql")
                                          else f"sqlite:///{tmp_path / 'faults.sqlite'}")
    app = create_file_app()
    yield app
    with app.app_context():
        db.engine.dispose()


def create_file_app() -> Flask:
    from webapp import create_app

    app = create_app(FileConfig)
    app.test_client_class = IsolatedClient
    return app


def test_the_pool_recovers_after_its_connections_are_killed(file_app):  # noqa: ANN001
    with file_app.app_context():
        if db.engine.dialect.name == "sqlite":
            db.create_all()
        client = file_app.test_client()
        assert client.get("/public/").status_code == 200
        engine = db.engine
        if engine.dialect.name == "postgresql":
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as killer:
                killer.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                                    "WHERE datname = current_database() AND pid <> pg_backend_pid()"))
        else:
            for record in list(engine.pool._pool.queue):  # noqa: SLF001 - the pooled connections, killed
                record.dbapi_connection.close()
        statuses = [client.get("/public/").status_code for _ in range(3)]
        assert statuses == [200, 200, 200]  # pool_pre_ping replaced the dead connections
