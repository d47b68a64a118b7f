"""The bell, the notifications page, email choices, the admin's email page, and mail sent after the
response of the request that queued it (issue #8)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from models import EmailOutbox, HumanTask, Notification, NotificationKind, NotificationPreference, db
from models.db import utcnow
from processes import mailer
from tests.conftest import csrf_token
from tests.lifecycle import complete, open_task, plan_data, register, user
from tests.mailsink import MailSink, run_sink

BADGE = re.compile(r'id="unread-count">(\d+)')


@pytest.fixture()
def smtp_sink(app, monkeypatch):  # noqa: ANN001,ANN201
    yield from run_sink(app, monkeypatch)


def unread_badge(html: str) -> int:
    match = BADGE.search(html)
    return int(match.group(1)) if match else 0


def test_bell_shows_the_unread_count_and_the_page_lists_them(client, auth, demo):
    event = register(600)
    auth.login("organizer")
    assert unread_badge(client.get("/tasks/").get_data(as_text=True)) == 1
    page = client.get("/notifications/?lang=en").get_data(as_text=True)
    assert "New task: Prepare the carbon-neutrality plan" in page and event.name in page
    assert f'href="/tasks/{open_task(event, "prepare_plan").id}"' in page
    auth.logout()
    auth.login("commerce")
    assert unread_badge(client.get("/tasks/").get_data(as_text=True)) == 0


def test_mark_read_and_mark_all_read_need_a_post_with_csrf(client, auth, demo):
    event = register(600)
    complete(event, "prepare_plan", "organizer", plan_data())
    complete(event, "review_plan_sector", "commerce", {"decision": "return", "comment": "请补充交通排放"})
    complete(event, "review_plan_eeb", "eeb_rencheng", {"decision": "approve"})
    organizer = user("organizer")
    ids = list(db.session.execute(select(Notification.id).where(Notification.user_id == organizer.id)
                                  .order_by(Notification.id)).scalars())
    assert len(ids) == 2  # the first task, then the returned plan (with its comment)
    auth.login("organizer")
    page = client.get("/notifications/").get_data(as_text=True)
    assert "请补充交通排放" in page and unread_badge(page) == 2
    assert client.post(f"/notifications/{ids[0]}/read").status_code == 400  # no CSRF token
    token = csrf_token(client, "/notifications/")
    assert client.post(f"/notifications/{ids[0]}/read", data={"csrf_token": token}).status_code == 302
    assert db.session.get(Notification, ids[0]).read_at is not None
    assert db.session.get(Notification, ids[1]).read_at is None
    assert client.post("/notifications/read-all", data={"csrf_token": token}).status_code == 302
    assert db.session.get(Notification, ids[1]).read_at is not None
    assert unread_badge(client.get("/notifications/").get_data(as_text=True)) == 0


def test_someone_elses_notification_is_404(client, auth, demo):
    register(600)
    note = db.session.execute(select(Notification)).scalars().first()
    auth.login("organizer2")
    token = csrf_token(client, "/notifications/")
    assert client.post(f"/notifications/{note.id}/read", data={"csrf_token": token}).status_code == 404
    assert db.session.get(Notification, note.id).read_at is None


@pytest.mark.parametrize("url", ["/notifications/", "/notifications/settings"])
def test_pages_need_sign_in(client, url):
    response = client.get(url)
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_outbox_page_is_for_admins_and_says_when_email_is_off(client, auth, demo):
    auth.login("organizer")
    assert client.get("/notifications/outbox").status_code == 403
    auth.logout()
    auth.login("admin")
    page = client.get("/notifications/outbox?lang=en").get_data(as_text=True)
    assert "Email is off" in page and "MAIL_SERVER" in page


def test_profile_section_chooses_which_kinds_go_by_email(client, auth, demo):
    user("organizer").email = "organizer@example.test"
    db.session.commit()
    auth.login("organizer")
    page = client.get("/notifications/settings?lang=en").get_data(as_text=True)
    assert "email_plan_returned" in page and "email_digest" not in page  # the digest is for leads
    assert "Email is not configured" in page
    token = csrf_token(client, "/notifications/settings")
    response = client.post("/notifications/settings", data={"csrf_token": token, "email_plan_returned": "y"})
    assert response.status_code == 302
    choices = dict(db.session.execute(select(NotificationPreference.kind, NotificationPreference.email).where(
        NotificationPreference.user_id == user("organizer").id)).all())
    assert choices[NotificationKind.PLAN_RETURNED] is True and choices[NotificationKind.TASK_CREATED] is False
    auth.logout()
    auth.login("eeb")
    assert "email_digest" in client.get("/notifications/settings").get_data(as_text=True)


def _approve_on_the_page(client, auth, event) -> None:  # noqa: ANN001
    """The EEB branch approves the plan on its task page (the sector bureau approved already)."""
    review = open_task(event, "review_plan_eeb")
    auth.login("eeb_rencheng")
    url = f"/tasks/{review.id}"
    token = csrf_token(client, url)
    # buffered: the test client then closes the response, as a real server does after sending it
    response = client.post(url, data={"csrf_token": token, "decision": "approve", "comment": "",
                                      "action": "complete"}, buffered=True)
    assert response.status_code == 302
    assert db.session.get(HumanTask, review.id).status == "completed"


def _reviewed_by_the_sector(organizer_email: str):  # noqa: ANN202
    user("organizer").email = organizer_email
    db.session.commit()
    event = register(600)
    complete(event, "prepare_plan", "organizer", plan_data())
    complete(event, "review_plan_sector", "commerce", {"decision": "approve"})
    mailer_rows = db.session.execute(select(func.count(EmailOutbox.id))).scalar()
    assert mailer_rows == 1  # the organizer's first task, queued by the service calls above
    db.session.execute(EmailOutbox.__table__.delete())
    db.session.commit()
    return event


def test_completing_on_the_page_mails_after_the_response(client, auth, demo, smtp_sink):
    event = _reviewed_by_the_sector("organizer@example.test")
    _approve_on_the_page(client, auth, event)
    (message,) = smtp_sink.to("organizer@example.test")
    assert "实施计划已通过审核并公开" in message["Subject"] and event.name in MailSink.body(message)


def test_failing_smtp_server_does_not_break_completion_on_the_page(client, auth, demo, smtp_sink):
    event = _reviewed_by_the_sector("organizer@example.test")
    smtp_sink.failing = True
    _approve_on_the_page(client, auth, event)
    assert db.session.get(type(event), event.id).plan_published_at is not None  # the work stands
    row = db.session.execute(select(EmailOutbox)).scalar_one()
    assert row.status == "queued" and row.attempts == 1 and smtp_sink.refused == 1
    smtp_sink.failing = False
    assert mailer.send_pending(utcnow() + timedelta(minutes=2)) == 1
    (message,) = smtp_sink.to("organizer@example.test")
    assert event.name in MailSink.body(message)
    db.session.refresh(row)
    assert row.status == "sent"
