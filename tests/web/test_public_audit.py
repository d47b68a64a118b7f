"""The public page of the audit checkpoints (issue #15 item 11): no sign-in, newest first, linked
from the other public pages, in Chinese by default and in English on request."""

from __future__ import annotations

from models import db
from processes import audit


def test_the_checkpoints_page_is_public_and_lists_the_newest_first(client, app):
    made = [audit.make_checkpoint() for _ in range(2)]
    db.session.commit()
    html = client.get("/public/audit?lang=en").get_data(as_text=True)
    assert html.index(made[1].hash) < html.index(made[0].hash)
    assert "Keep a copy" in html and "/api/v1/public/audit/checkpoints" in html
    assert "审计日志检查点" in client.get("/public/audit").get_data(as_text=True)
    for page in ("/public/", "/public/policies"):
        assert 'href="/public/audit"' in client.get(page).get_data(as_text=True), page


def test_the_checkpoints_page_says_when_there_is_none(client, app):
    response = client.get("/public/audit?lang=en&page=99999999999")
    assert response.status_code == 200 and "No checkpoint is published yet." in response.get_data(as_text=True)
