"""The event page says what it waits for, when it will move, and the organizer's own next step with
its date (issue #18), in Chinese by default and in English on request."""

from __future__ import annotations

from datetime import timedelta

from models import db
from tests.lifecycle import after_event, approve_all, cancellation, complete, plan_data, register, to_offsetting


def _page(client, event) -> str:  # noqa: ANN001
    response = client.get(f"/events/{event.id}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_a_published_plan_waits_for_the_event_end_and_names_the_day(client, auth, demo):
    event = register(600, days=2)
    complete(event, "prepare_plan", "organizer", plan_data())
    approve_all(event)
    opens, due = event.ends_on + timedelta(days=1), event.ends_on + timedelta(days=30)
    for username in ("organizer", "commerce"):
        auth.login(username)
        html = _page(client, event)
        assert f"活动结束后（{opens.isoformat()}）开放减排报告" in html
        assert f"请于{due.isoformat()}前填报" in html
        assert "平台正在等待（例如等待活动结束）" not in html  # no vague waiting any more
        auth.logout()


def test_during_sign_off_the_page_names_the_organizers_next_step_and_its_dates(client, auth, demo):
    event = register(600)
    complete(event, "prepare_plan", "organizer", plan_data())
    auth.login("organizer")
    html = _page(client, event)
    opens, due = event.ends_on + timedelta(days=1), event.ends_on + timedelta(days=30)
    assert (f"主办方下一步：实施计划通过且活动结束后报告减排成效（{opens.isoformat()}开放，"
            f"{due.isoformat()}前完成）") in html
    assert "行业主管部门" in html or "商务局" in html  # who acts now is still listed


def test_a_past_event_whose_timer_has_not_run_yet_opens_within_minutes(client, auth, demo):
    event = register(600)
    complete(event, "prepare_plan", "organizer", plan_data())
    approve_all(event)
    event.starts_on, event.ends_on = event.starts_on - timedelta(days=60), event.ends_on - timedelta(days=60)
    db.session.commit()
    auth.login("organizer")
    html = _page(client, event)
    assert "活动已结束，减排报告将在几分钟内开放" in html and "开放减排报告，请于" not in html


def test_during_the_evaluation_the_organizer_learns_nothing_is_left_to_do(client, auth, demo):
    event = register(600)
    to_offsetting(event)
    complete(event, "cancel_units", "organizer", cancellation(event), now=after_event(event, 3))
    auth.login("organizer")
    assert "主办方暂无需办理：第三方机构完成评价" in _page(client, event)


def test_the_waiting_text_in_english(client, auth, demo):
    event = register(600)
    complete(event, "prepare_plan", "organizer", plan_data())
    approve_all(event)
    auth.login("organizer")
    client.get("/language/en")
    html = _page(client, event)
    assert (f"Waiting for the event to end: the reduction report opens after the event, on "
            f"{(event.ends_on + timedelta(days=1)).isoformat()}") in html
