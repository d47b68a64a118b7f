"""Notifications and reminders (issue #8): every trigger reaches exactly the right people once; a
rolled-back change announces nothing; mail goes through a real SMTP sink on 127.0.0.1, survives a
failing server, and reminders are sent once however often the tick runs (R-TIME-1, R-TIME-2)."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime, time, timedelta

import pytest
from sqlalchemy import func, select

from models import Department, EmailOutbox, Notification, NotificationKind, Organization, Role, User, VerifierBody, db
from models.db import utcnow
from processes import accounts, mailer, notifications, workflow
from processes.dates import add_months, offset_due
from processes.reminders import lead_time, send_reminders
from processes.task_handlers import HANDLERS
from tests.lifecycle import (
    after_event,
    cancellation,
    complete,
    evaluation,
    open_names,
    open_task,
    plan_data,
    register,
    to_offsetting,
    user,
)
from tests.mailsink import MailSink, free_port, run_sink

K = NotificationKind


@pytest.fixture()
def smtp_sink(app, monkeypatch):  # noqa: ANN001,ANN201
    yield from run_sink(app, monkeypatch)


# --------------------------------------------------------------------------- helpers
@pytest.fixture()
def people(demo) -> None:
    """Beside the demo accounts: a second organizer user, a commerce lead, a second verifier, and
    inactive accounts that must never be notified."""
    expo = db.session.execute(select(Organization).filter_by(name="济宁会展服务有限公司")).scalar_one()
    commerce = db.session.execute(select(Department).filter_by(code="commerce")).scalar_one()
    body = db.session.execute(select(VerifierBody)).scalars().first()
    for name, role, where in [("organizer_b", Role.ORGANIZER, {"organization": expo}),
                              ("organizer_gone", Role.ORGANIZER, {"organization": expo}),
                              ("commerce_lead", Role.DEPARTMENT_LEAD, {"department": commerce}),
                              ("commerce_gone", Role.DEPARTMENT_STAFF, {"department": commerce}),
                              ("verifier_b", Role.VERIFIER, {"verifier_body": body})]:
        accounts.create_user(name, "longenough1", role, **where)
    for name in ("organizer_gone", "commerce_gone"):
        user(name).active = False
    db.session.commit()


def last_id() -> int:
    return db.session.execute(select(func.max(Notification.id))).scalar() or 0


def received(since: int) -> dict[str, list[str]]:
    """Notifications written after `since`, by recipient username."""
    rows = db.session.execute(select(User.username, Notification.kind).join(User, User.id == Notification.user_id)
                              .where(Notification.id > since).order_by(Notification.id)).all()
    by_user: dict[str, list[str]] = defaultdict(list)
    for username, kind in rows:
        by_user[username].append(kind.value)
    return dict(by_user)


def of_kind(since: int, kind: NotificationKind) -> dict[str, int]:
    counts: dict[str, int] = defaultdict(int)
    for username, kinds in received(since).items():
        counts[username] += kinds.count(kind.value)
    return {name: count for name, count in counts.items() if count}


def set_email(username: str, locale: str | None = None) -> str:
    account = user(username)
    account.email, account.locale = f"{username}@example.test", locale
    db.session.commit()
    return account.email


ORGANIZERS = {"organizer", "organizer_b"}  # the expo company's active users


# --------------------------------------------------------------------------- who is told
def test_organizer_task_reaches_the_organisations_active_users_only(people):
    mark = last_id()
    event = register(600)
    assert received(mark) == {"organizer": ["task_created"], "organizer_b": ["task_created"]}
    note = db.session.execute(select(Notification).where(Notification.id > mark)).scalars().first()
    assert note.event_id == event.id and note.task_id == open_task(event, "prepare_plan").id
    assert note.params["event_name"] == "济宁国际车展" and note.params["step"] == "prepare_plan"


def test_department_task_reaches_that_departments_staff_and_leads(people):
    event = register(600)
    mark = last_id()
    complete(event, "prepare_plan", "organizer", plan_data())
    # commerce reviews the sector; the venue's county branch (Rencheng) reviews for EEB; the city EEB
    # lead, other bureaus, the inactive commerce account and the organizers hear nothing.
    assert received(mark) == {"commerce": ["task_created"], "commerce_lead": ["task_created"],
                              "eeb_rencheng": ["task_created"]}


def test_reassignment_tells_the_new_holder_only(people):
    event = register(600)
    complete(event, "prepare_plan", "organizer", plan_data())
    task = open_task(event, "review_plan_sector")
    mark = last_id()
    workflow.reassign(user("commerce_lead"), task.id, user("commerce"), "请处理")
    db.session.commit()
    assert received(mark) == {"commerce": ["task_reassigned"]}
    note = db.session.execute(select(Notification).where(Notification.id > mark)).scalar_one()
    assert note.task_id == task.id and note.params["by"] == user("commerce_lead").display_name


def test_returned_plan_tells_the_organizer_once_with_every_comment_R_PLAN_1(people):
    event = register(600)
    complete(event, "prepare_plan", "organizer", plan_data())
    complete(event, "review_plan_sector", "commerce", {"decision": "return", "comment": "减排措施不具体"})
    mark = last_id()
    complete(event, "review_plan_eeb", "eeb_rencheng", {"decision": "return", "comment": "核算边界缺少交通"})
    assert received(mark) == {"organizer": ["plan_returned"], "organizer_b": ["plan_returned"]}
    note = db.session.execute(select(Notification).where(Notification.id > mark)).scalars().first()
    assert {c["comment"] for c in note.params["comments"]} == {"减排措施不具体", "核算边界缺少交通"}
    assert note.task_id == open_task(event, "prepare_plan").id


def test_published_plan_tells_the_organizer_R_PLAN_1(people):
    event = register(600)
    complete(event, "prepare_plan", "organizer", plan_data())
    complete(event, "review_plan_sector", "commerce", {"decision": "approve"})
    mark = last_id()
    complete(event, "review_plan_eeb", "eeb_rencheng", {"decision": "approve"})
    assert event.plan_published_at is not None
    assert received(mark) == {"organizer": ["plan_published"], "organizer_b": ["plan_published"]}


def test_verifier_task_evaluation_and_disclosure_R_TIER_1(people):
    event = register(600)
    to_offsetting(event)
    mark = last_id()
    complete(event, "cancel_units", "organizer", cancellation(event), now=after_event(event, 3))
    assert received(mark) == {"verifier": ["task_created"], "verifier_b": ["task_created"]}
    mark = last_id()
    complete(event, "third_party_evaluation", "verifier", evaluation(event), now=after_event(event, 10))
    assert received(mark) == {"organizer": ["evaluation_concluded"], "organizer_b": ["evaluation_concluded"],
                              "eeb_rencheng": ["event_disclosed"]}


def test_not_neutral_evaluation_tells_the_organizer_with_the_reasons(people):
    event = register(600)
    to_offsetting(event)
    complete(event, "cancel_units", "organizer", cancellation(event), now=after_event(event, 3))
    mark = last_id()
    complete(event, "third_party_evaluation", "verifier", evaluation(event, "not_neutral"), now=after_event(event, 9))
    assert of_kind(mark, K.EVALUATION_CONCLUDED) == {"organizer": 1, "organizer_b": 1}
    assert of_kind(mark, K.TASK_CREATED) == {"organizer": 1, "organizer_b": 1}  # cancel_units again
    note = db.session.execute(select(Notification).where(
        Notification.id > mark, Notification.kind == K.EVALUATION_CONCLUDED)).scalars().first()
    assert note.params["conclusion"] == "not_neutral" and "offset too small" in note.params["comment"]


def test_offset_deadline_passed_tells_organizer_and_the_venues_eeb_R_TIME_1(people):
    event = register(600)
    to_offsetting(event)
    due = offset_due(event.ends_on)
    mark = last_id()
    workflow.tick(after_event(event, (due - event.ends_on).days + 1))
    db.session.commit()
    assert of_kind(mark, K.DEADLINE_PASSED) == {"organizer": 1, "organizer_b": 1, "eeb_rencheng": 1}
    assert of_kind(mark, K.TASK_CREATED) == {"eeb_rencheng": 1}  # follow_up_overdue
    assert set(received(mark)) == ORGANIZERS | {"eeb_rencheng"}


def test_sink_deadline_passed_tells_organizer_and_natural_resources_R_TIME_2(people):
    event = register(600)
    to_offsetting(event, units=False, sink=True)
    workflow.tick(after_event(event, (offset_due(event.ends_on) - event.ends_on).days + 1))
    db.session.commit()
    mark = last_id()
    workflow.tick(after_event(event, (add_months(event.ends_on, 12) - event.ends_on).days + 2))
    db.session.commit()
    assert of_kind(mark, K.DEADLINE_PASSED) == {"organizer": 1, "organizer_b": 1, "nr": 1}
    note = db.session.execute(select(Notification).where(
        Notification.id > mark, Notification.kind == K.DEADLINE_PASSED)).scalars().first()
    assert note.params["deadline"] == "sink_application"


def test_subscribing_twice_still_notifies_once(people):
    notifications.connect_subscribers()
    mark = last_id()
    register(600)
    assert received(mark) == {"organizer": ["task_created"], "organizer_b": ["task_created"]}


# --------------------------------------------------------------------------- transactions and mail
def test_a_rolled_back_completion_writes_and_sends_nothing(demo, smtp_sink):
    set_email("commerce")
    event = register(600)
    mark = last_id()
    workflow.complete_task(user("organizer"), open_task(event, "prepare_plan").id, plan_data(), HANDLERS)
    db.session.flush()
    assert received(mark), "written in the transaction of the change"
    db.session.rollback()
    assert received(mark) == {}
    assert db.session.execute(select(func.count(EmailOutbox.id))).scalar() == 0
    assert mailer.send_pending() == 0 and smtp_sink.messages == []
    assert open_names(event) == {"prepare_plan"}


def test_mail_is_sent_only_after_the_commit(demo, smtp_sink):
    address = set_email("commerce")
    event = register(600)
    workflow.complete_task(user("organizer"), open_task(event, "prepare_plan").id, plan_data(), HANDLERS)
    db.session.flush()
    assert smtp_sink.messages == []
    db.session.commit()
    assert mailer.send_pending() == 1
    assert len(smtp_sink.to(address)) == 1
    assert mailer.send_pending() == 0, "sent once"


def test_failing_smtp_server_does_not_break_completion_and_sends_after_recovery(demo, smtp_sink):
    address = set_email("commerce")
    event = register(600)
    smtp_sink.failing = True
    complete(event, "prepare_plan", "organizer", plan_data())
    now = utcnow()
    assert mailer.send_pending(now) == 0  # no exception into the caller
    assert open_names(event) == {"review_plan_sector", "review_plan_eeb"}  # the work stands
    row = db.session.execute(select(EmailOutbox).where(EmailOutbox.recipient == address)).scalar_one()
    assert row.status == "queued" and row.attempts == 1 and "451" in row.last_error
    assert mailer.send_pending(now + timedelta(seconds=30)) == 0  # backing off
    assert smtp_sink.refused == 1
    smtp_sink.failing = False
    assert mailer.send_pending(now + timedelta(seconds=61)) == 1
    db.session.refresh(row)
    assert row.status == "sent" and row.attempts == 2 and row.last_error is None
    assert len(smtp_sink.to(address)) == 1


def test_unreachable_smtp_server_is_retried_with_exponential_back_off(app, demo, monkeypatch):
    monkeypatch.setitem(app.config, "MAIL_SERVER", "127.0.0.1")
    monkeypatch.setitem(app.config, "MAIL_PORT", free_port())  # nobody listens
    monkeypatch.setitem(app.config, "MAIL_MAX_ATTEMPTS", 3)
    set_email("organizer")
    register(600)
    now = utcnow()
    assert mailer.send_pending(now) == 0
    row = db.session.execute(select(EmailOutbox)).scalar_one()
    assert row.attempts == 1 and row.status == "queued"
    assert mailer.send_pending(now + timedelta(seconds=61)) == 0
    db.session.refresh(row)
    assert row.attempts == 2
    assert mailer.send_pending(now + timedelta(seconds=61 + 119)) == 0, "second wait is 120 s"
    db.session.refresh(row)
    assert row.attempts == 2
    assert mailer.send_pending(now + timedelta(seconds=61 + 121)) == 0
    db.session.refresh(row)
    assert row.attempts == 3 and row.status == "failed"
    assert mailer.retry_failed() == 1


def test_back_off_doubles_up_to_six_hours(app):
    assert [mailer.backoff(n).total_seconds() for n in (1, 2, 3)] == [60, 120, 240]
    assert mailer.backoff(30) == timedelta(hours=6)


def test_email_bodies_in_chinese_and_english(demo, smtp_sink):
    english, chinese = set_email("organizer", "en"), set_email("organizer2")
    organizer2 = user("organizer2")
    organizer2.organization_id = user("organizer").organization_id  # both hold the expo company's tasks
    db.session.commit()
    event = register(600)
    mailer.send_pending()
    task = open_task(event, "prepare_plan")
    link = f"https://tanzhong.test/tasks/{task.id}"
    (en,), (zh,) = smtp_sink.to(english), smtp_sink.to(chinese)
    for expected in (event.name, "Prepare the carbon-neutrality plan", task.due_on.isoformat(), link):
        assert expected in MailSink.body(en)
    assert en["Subject"].startswith("[Tanzhong] New task") and en["Content-Language"] == "en"
    for expected in (event.name, "编制碳中和实施计划", task.due_on.isoformat(), link, "截止日期"):
        assert expected in MailSink.body(zh)
    assert "新待办" in zh["Subject"] and zh["Content-Language"] == "zh-CN"


def test_returned_plan_email_lists_the_comments(demo, smtp_sink):
    address = set_email("organizer")
    event = register(600)
    complete(event, "prepare_plan", "organizer", plan_data())
    complete(event, "review_plan_sector", "commerce", {"decision": "return", "comment": "减排措施不具体"})
    complete(event, "review_plan_eeb", "eeb_rencheng", {"decision": "approve", "comment": "同意"})
    mailer.send_pending()
    returned = [m for m in smtp_sink.to(address) if "退回" in m["Subject"]]
    assert len(returned) == 1
    body = MailSink.body(returned[0])
    assert "减排措施不具体" in body and "同意" in body and event.name in body
    assert f"/tasks/{open_task(event, 'prepare_plan').id}" in body


def test_email_choice_off_keeps_the_notification_but_sends_no_email(demo, smtp_sink):
    set_email("organizer")
    notifications.set_email_choices(user("organizer"), {K.TASK_CREATED: False, K.PLAN_RETURNED: True})
    db.session.commit()
    mark = last_id()
    register(600)
    assert received(mark) == {"organizer": ["task_created"]}
    assert db.session.execute(select(func.count(EmailOutbox.id))).scalar() == 0
    assert notifications.email_choices(user("organizer"))[K.PLAN_RETURNED] is True


def test_mail_off_queues_no_email(demo):
    set_email("organizer")
    mark = last_id()
    register(600)
    assert received(mark) == {"organizer": ["task_created"]}
    assert db.session.execute(select(func.count(EmailOutbox.id))).scalar() == 0
    assert mailer.send_pending() == 0


# --------------------------------------------------------------------------- reminders
def test_lead_time_is_the_nearest_reached():
    assert [lead_time(days, (30, 7)) for days in (31, 30, 20, 8, 7, 1, 0, -1)] == [
        None, 30, 30, 30, 7, 7, 7, None]


def test_reminders_before_the_offset_deadline_once_each_R_TIME_1(people, runner, smtp_sink):
    addresses = {name: set_email(name) for name in ("organizer", "eeb_rencheng")}
    event = register(600)
    to_offsetting(event)
    mailer.send_pending()
    due = offset_due(event.ends_on)

    def tick(days_before: int) -> dict[str, list[str]]:
        mark = last_id()
        for _ in range(2):  # running the tick twice sends nothing twice
            day = due - timedelta(days=days_before)
            result = runner.invoke(args=["deadlines", "tick", "--now", f"{day.isoformat()}T09:00+08:00"])
            assert result.exit_code == 0, result.output
        return received(mark)

    assert tick(31) == {}
    assert tick(20) == {name: ["deadline_approaching"] for name in ORGANIZERS | {"eeb_rencheng"}}
    assert tick(19) == {}
    assert tick(5) == {name: ["deadline_approaching"] for name in ORGANIZERS | {"eeb_rencheng"}}
    # 3 days before the cancel_units task is due (it is due on the deadline): its holders only
    assert tick(2) == {name: ["task_due"] for name in ORGANIZERS}
    assert tick(1) == {}
    reminders = [m for m in smtp_sink.to(addresses["organizer"]) if "期限提醒" in m["Subject"]]
    assert len(reminders) == 2
    assert "还剩20天" in reminders[0]["Subject"] and "还剩5天" in reminders[1]["Subject"]
    body = MailSink.body(reminders[0])
    assert event.name in body and due.isoformat() in body and "完成抵消" in body
    assert f"/tasks/{open_task(event, 'cancel_units').id}" in body  # the organizer holds the task
    eeb = [m for m in smtp_sink.to(addresses["eeb_rencheng"]) if "期限提醒" in m["Subject"]]
    assert len(eeb) == 2 and f"/events/{event.id}" in MailSink.body(eeb[0])


def test_task_reminders_go_to_its_holder_once(people):
    event = register(600)
    complete(event, "prepare_plan", "organizer", plan_data())
    task = open_task(event, "review_plan_sector")
    workflow.claim(user("commerce"), task.id)
    db.session.commit()
    noon = datetime.combine(task.due_on, time(12), UTC)
    mark = last_id()
    send_reminders(noon - timedelta(days=3))
    send_reminders(noon - timedelta(days=2))
    db.session.commit()
    # claimed: only its holder; the EEB review (same due date) goes to everyone who sees it
    assert received(mark) == {"commerce": ["task_due"], "eeb_rencheng": ["task_due"]}
    mark = last_id()
    assert send_reminders(noon + timedelta(days=1)) == 2
    assert send_reminders(noon + timedelta(days=2)) == 0
    db.session.commit()
    assert received(mark) == {"commerce": ["task_overdue"], "eeb_rencheng": ["task_overdue"]}


# --------------------------------------------------------------------------- digest
def test_daily_digest_for_leads_who_chose_it_once_a_day(demo, runner, smtp_sink):
    rencheng = db.session.execute(select(Department).filter_by(code="eeb_rencheng")).scalar_one()
    lead = accounts.create_user("rencheng_lead", "longenough1", Role.DEPARTMENT_LEAD, department=rencheng)
    db.session.commit()
    address = set_email("rencheng_lead", "en")
    set_email("eeb")  # a lead who did not choose the digest
    notifications.set_email_choices(lead, {kind: True for kind in notifications.kinds_for(lead)})
    db.session.commit()
    event = register(600)
    complete(event, "prepare_plan", "organizer", plan_data())
    task = open_task(event, "review_plan_eeb")
    for _ in range(2):
        result = runner.invoke(args=["notifications", "digest"])
        assert result.exit_code == 0, result.output
    digests = [m for m in smtp_sink.messages if "Daily digest" in m["Subject"] or "每日摘要" in m["Subject"]]
    assert [m["To"] for m in digests] == [address]
    body = MailSink.body(digests[0])
    assert "Review the plan (Ecology and Environment Bureau)" in body and f"/tasks/{task.id}" in body
    assert event.name in body and "New events" in body


# --------------------------------------------------------------------------- the bell's count
def test_bell_count_follows_new_and_read_notifications_in_the_same_request(people):
    """The count is read with the signed-in user; what happens later in the request (nothing committed
    in between) still shows."""
    organizer = user("organizer")
    notifications.mark_all_read(organizer)
    assert notifications.unread_count(organizer) == 0
    event = register(600)
    db.session.commit()
    notifications.mark_all_read(organizer)
    assert notifications.unread_count(organizer) == 0
    [note] = notifications.notify([organizer], NotificationKind.PLAN_PUBLISHED, event=event, params={})
    assert notifications.unread_count(organizer) == 1
    notifications.mark_read(organizer, note.id)
    assert notifications.unread_count(organizer) == 0
