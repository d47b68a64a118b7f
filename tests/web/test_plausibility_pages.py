"""The typo of issue #18 on the page and through the API: 6,500,000 kWh accounted where the plan
estimated 6,500 is refused on its line, the page keeps what was typed, the API's 422 names the line and
says how to confirm; a confirmation with a reason goes through and is audited."""

from __future__ import annotations

from sqlalchemy import select

from models import AuditEntry, db
from processes import workflow
from tests.conftest import csrf_token
from tests.lifecycle import (
    ELECTRICITY,
    after_event,
    approve_all,
    complete,
    open_task,
    plan_data,
    register,
    report_reductions,
)


def _forum_at_account():  # noqa: ANN202
    event = register(300, days=1, name="运河论坛")
    complete(event, "prepare_plan", "organizer", plan_data(kwh="6500"))
    approve_all(event)
    workflow.tick(after_event(event))
    db.session.commit()
    report_reductions(event)
    return event, open_task(event, "account_emissions")


def _confirmed() -> list[AuditEntry]:
    return list(db.session.execute(select(AuditEntry).filter_by(action="accounting.implausible_confirmed")).scalars())


def test_the_page_refuses_the_typo_on_its_line_and_keeps_what_was_typed(client, auth, demo):
    _event, task = _forum_at_account()
    auth.login("organizer")
    url = f"/tasks/{task.id}"
    form = {"csrf_token": csrf_token(client, url), "action": "complete",
            "activities-0-factor_key": ELECTRICITY, "activities-0-quantity": "6500000",
            "activities-0-note": "场馆电表"}
    response = client.post(url, data=form)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'value="6500000"' in html and "场馆电表" in html  # nothing to type again
    assert "第 1 行：6500000 kWh 是实施计划中该排放因子估算量（6500 kWh）的 1000 倍" in html
    assert "异常数据无误的理由" in html  # where to say why
    assert open_task(_event, "account_emissions").status == "open" and not _confirmed()

    response = client.post(url, data=form | {"confirm_implausible": "y"})
    assert response.status_code == 422 and "请说明这些数据为何正确" in response.get_data(as_text=True)

    response = client.post(url, data=form | {"confirm_implausible": "y", "implausible_reason": "含冷站全年用电"})
    assert response.status_code == 302
    assert [e.reason for e in _confirmed()] == ["含冷站全年用电"]


def test_the_api_422_names_the_line_and_says_how_to_confirm(client, demo, api_token):
    _event, task = _forum_at_account()
    headers = api_token("organizer")
    url = f"/api/v1/tasks/{task.id}/complete?lang=en"
    body = {"activities": [{"factor_key": ELECTRICITY, "quantity": "6500000"}]}
    response = client.post(url, json=body, headers=headers)
    assert response.status_code == 422
    error = response.get_json()
    assert "activities-0-quantity" in error["fields"] and "1000 times" in error["fields"]["activities-0-quantity"][0]
    assert '"confirm_implausible": true' in error["message"] and '"implausible_reason"' in error["message"]
    assert "confirm_implausible" in error["fields"]

    response = client.post(url, json=body | {"confirm_implausible": True}, headers=headers)
    assert response.status_code == 422 and "implausible_reason" in response.get_json()["fields"]
    response = client.post(url, json=body | {"confirm_implausible": True, "implausible_reason": "x" * 1001},
                           headers=headers)
    assert response.status_code == 422 and "implausible_reason" in response.get_json()["fields"]

    response = client.post(url, json=body | {"confirm_implausible": True, "implausible_reason": "计量表读数"},
                           headers=headers)
    assert response.status_code == 200, response.get_json()
    assert [e.reason for e in _confirmed()] == ["计量表读数"]
