"""A comment refused because the storage is full keeps what was typed (issue #17, outside attack)."""

from __future__ import annotations

import io

from processes import uploads
from tests.conftest import csrf_token
from tests.lifecycle import register


def test_a_comment_refused_by_a_full_disk_comes_back_with_its_text(client, auth, demo, monkeypatch):
    event = register(300)
    auth.login("organizer")

    def full(*_args, **_kwargs):  # noqa: ANN002,ANN003,ANN202
        raise uploads.StorageUnavailable()

    monkeypatch.setattr(uploads, "store", full)
    token = csrf_token(client, f"/events/{event.id}")
    response = client.post(f"/events/{event.id}/comments", content_type="multipart/form-data", follow_redirects=True,
                           data={"csrf_token": token, "body": "请核对第三页的电表读数",
                                 "attachment": (io.BytesIO(b"%PDF-1.4"), "meter.pdf")})
    page = response.get_data(as_text=True)
    assert "请核对第三页的电表读数</textarea>" in page
    again = client.get(f"/events/{event.id}").get_data(as_text=True)
    assert "请核对第三页的电表读数</textarea>" not in again  # once, not for ever
