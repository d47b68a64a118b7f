"""The requested fiscal funding on the pages and in the API (issue #18, R-DEPT-FIN): stated at
registration, shown to Finance, kept to unless Finance says why."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import select

from models import AuditEntry, Decision, Event, db
from tests.conftest import csrf_token
from tests.lifecycle import complete, open_task, plan_data, register


def _registration(token: str, **overrides: str) -> dict:
    starts = date.today() + timedelta(days=40)
    return {"csrf_token": token, "name": "运河文化节", "kind": "performance", "sector": "culture_tourism",
            "organizers": "济宁市文化产业协会", "organizer_type": "social_organization", "participants": "350",
            "starts_on": starts.isoformat(), "ends_on": (starts + timedelta(days=1)).isoformat(),
            "venue": "太白楼广场", "county": "任城区", "fiscal_funding_requested": "y"} | overrides


def test_a_request_without_an_amount_comes_back_with_everything_typed(client, auth, demo):
    auth.login("organizer2")
    response = client.post("/events/new", data=_registration(csrf_token(client, "/events/new")))
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "请填写申请的财政经费金额（元）" in html and 'value="运河文化节"' in html and 'value="太白楼广场"' in html
    assert db.session.execute(select(Event)).first() is None


def test_the_stated_amount_is_kept_and_shown_on_the_event_page(client, auth, demo):
    auth.login("organizer2")
    response = client.post("/events/new", data=_registration(csrf_token(client, "/events/new"),
                                                              funding_requested_cny="65000.50"))
    assert response.status_code == 302
    event = db.session.execute(select(Event)).scalar_one()
    assert event.funding_requested_cny == Decimal("65000.50")
    assert "是，65,000.50 元" in client.get(f"/events/{event.id}").get_data(as_text=True)


def _at_funding_review() -> Event:
    event = register(600, funding=True)
    complete(event, "prepare_plan", "organizer", plan_data())
    complete(event, "review_plan_sector", "commerce", {"decision": "approve"})
    complete(event, "review_plan_eeb", "eeb_rencheng", {"decision": "approve"})
    return event


def test_finance_sees_the_request_and_cannot_grant_more_without_saying_why(client, auth, demo):
    event = _at_funding_review()
    task = open_task(event, "review_funding")
    auth.login("finance")
    url = f"/tasks/{task.id}"
    assert "申请财政经费：80,000.00 元" in client.get(url).get_data(as_text=True)
    form = {"csrf_token": csrf_token(client, url), "action": "complete", "decision": "approve",
            "amount_cny": "95000"}
    response = client.post(url, data=form)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "主办方申请 80,000.00 元" in html and 'value="95000"' in html
    response = client.post(url, data=form | {"over_request_reason": "追加碳汇林养护"})
    assert response.status_code == 302
    assert db.session.execute(select(Decision).filter_by(task="review_funding")).scalar_one().amount_cny == 95000
    assert db.session.execute(select(AuditEntry).filter_by(
        action="funding.granted_over_request")).scalar_one().reason == "追加碳汇林养护"


def test_the_api_asks_for_the_amount_and_shows_it(client, demo, api_token):
    organizer = api_token("organizer")
    starts = date.today() + timedelta(days=30)
    body = {"name": "经费测试论坛", "kind": "forum", "sector": "commerce", "organizers": ["济宁会展服务有限公司"],
            "organizer_type": "enterprise", "participants": 300, "starts_on": starts.isoformat(),
            "ends_on": starts.isoformat(), "venue": "济宁国际会展中心", "county": "任城区",
            "fiscal_funding_requested": True}
    response = client.post("/api/v1/events", json=body, headers=organizer)
    assert response.status_code == 422 and "funding_requested_cny" in response.get_json()["fields"]
    for bad in ("12.345", 1.5, "-1", "1" * 13):
        response = client.post("/api/v1/events", json=body | {"funding_requested_cny": bad}, headers=organizer)
        assert response.status_code == 422 and "funding_requested_cny" in response.get_json()["fields"], bad
    response = client.post("/api/v1/events", json=body | {"funding_requested_cny": "30000"}, headers=organizer)
    assert response.status_code == 201
    shown = client.get(f"/api/v1/events/{response.get_json()['id']}", headers=organizer).get_json()
    assert shown["funding_requested_cny"] == "30000.00"


def test_the_api_refuses_a_grant_above_the_request_naming_the_fields(client, demo, api_token):
    event = _at_funding_review()
    finance = api_token("finance")
    url = f"/api/v1/tasks/{open_task(event, 'review_funding').id}/complete"
    response = client.post(url, json={"decision": "approve", "amount_cny": "80000.01"}, headers=finance)
    assert response.status_code == 422
    assert {"amount_cny", "over_request_reason"} <= set(response.get_json()["fields"])
    response = client.post(url, json={"decision": "approve", "amount_cny": "80000"}, headers=finance)
    assert response.status_code == 200, response.get_json()
