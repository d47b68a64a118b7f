"""What a returned plan needs (issue #15 item 12, issue #18): the API and the page give the
reviewers' comments of the round that returned it and the previous submission as the draft;
`boundary` may be sent as category names (API.md)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from models import Event, db
from tests.api.test_strict_input import CATEGORIES, ELECTRICITY, complete, plan_body, refused
from tests.lifecycle import open_task, register

COMMENT = "请细化交通排放估算 Please detail the transport estimate"


@pytest.fixture()
def headers(api_token):  # noqa: ANN001,ANN201
    return {name: api_token(name) for name in ("organizer", "commerce", "eeb_rencheng")}


def submitted_plan(client, headers) -> dict:  # noqa: ANN001
    body_id = client.get("/api/v1/verifier-bodies", headers=headers["organizer"]).get_json()["items"][0]["id"]
    return plan_body(
        boundary=["venue_energy", "transport"] + [{"category": c, "included": False, "reason": "不适用 n/a"}
                                                   for c in CATEGORIES[2:]],
        estimate=[{"factor_key": ELECTRICITY, "quantity": "10000", "note": "场馆 venue"},
                  {"factor_key": ELECTRICITY, "quantity": "2.5"}],
        measures=[{"kind": "clean_plate", "description": "光盘行动", "expected_tco2e": "0.5"}],
        offset_plan=[{"instrument": "sd_inclusion_forestry", "quantity_tco2e": "10"}],
        new_sink_project=False, verifier_body=body_id)


def returned(client, headers, body: dict) -> Event:  # noqa: ANN001
    event = register(600)
    assert complete(client, headers["organizer"], open_task(event, "prepare_plan").id, body).status_code == 200
    assert complete(client, headers["commerce"], open_task(event, "review_plan_sector").id,
                    {"decision": "return", "comment": COMMENT}).status_code == 200
    assert complete(client, headers["eeb_rencheng"], open_task(event, "review_plan_eeb").id,
                    {"decision": "approve", "comment": None}).status_code == 200
    return event


def test_boundary_as_category_names_is_accepted_as_included(client, demo, headers):
    event = register(300)
    task = open_task(event, "prepare_plan")
    response = complete(client, headers["organizer"], task.id, plan_body(boundary=CATEGORIES))
    assert response.status_code == 200, response.get_json()
    boundary = response.get_json()["emissions"]["boundary"]
    assert {b["category"] for b in boundary if b["included"]} == set(CATEGORIES)


def test_boundary_names_mixed_with_exclusions_and_their_errors(client, demo, headers):
    task = open_task(register(300), "prepare_plan")
    refused(complete(client, headers["organizer"], task.id, plan_body(boundary=["venue_energy", "energy"])),
            "boundary-1-category")
    refused(complete(client, headers["organizer"], task.id, plan_body(boundary=["venue_energy"])), "boundary")
    refused(complete(client, headers["organizer"], task.id, plan_body(boundary=CATEGORIES + ["waste"])), "boundary")
    mixed = ["venue_energy", "transport"] + [{"category": c, "included": False} for c in CATEGORIES[2:]]
    refused(complete(client, headers["organizer"], task.id, plan_body(boundary=mixed)), "boundary-2-reason")


def test_a_fresh_plan_task_has_no_return_and_no_draft(client, demo, headers):
    task = open_task(register(600), "prepare_plan")
    detail = client.get(f"/api/v1/tasks/{task.id}", headers=headers["organizer"]).get_json()
    assert detail["returned"] is None and detail["draft"] is None


def test_a_returned_plan_carries_the_comments_and_the_previous_submission(client, demo, headers):
    body = submitted_plan(client, headers)
    event = returned(client, headers, body)
    task = open_task(event, "prepare_plan")
    detail = client.get(f"/api/v1/tasks/{task.id}", headers=headers["organizer"]).get_json()
    round_ = detail["returned"]
    assert round_["round"] == 1
    by_task = {d["task"]: d for d in round_["decisions"]}
    assert by_task["review_plan_sector"]["decision"] == "return" and by_task["review_plan_sector"]["comment"] == COMMENT
    assert by_task["review_plan_eeb"]["decision"] == "approve" and by_task["review_plan_sector"]["decided_by"]
    draft = detail["draft"]
    assert draft["estimate"][0] | {} == draft["estimate"][0] and [
        (line["factor_key"], line["quantity"], line["note"]) for line in draft["estimate"]] == [
        (ELECTRICITY, "10000", "场馆 venue"), (ELECTRICITY, "2.5", None)]
    assert [(b["category"], b["included"]) for b in draft["boundary"]] == [
        (c, c in ("venue_energy", "transport")) for c in CATEGORIES]
    assert draft["measures"] == body["measures"] and draft["verifier_body"] == body["verifier_body"]
    assert draft["offset_plan"] == [{"instrument": "sd_inclusion_forestry", "quantity_tco2e": "10", "reason": None}]
    # The draft conforms to the task's own schema: sent back as it is, it is the plan again.
    response = complete(client, headers["organizer"], task.id, draft)
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["emissions"]["estimated_tco2e"] == "6.778"


def test_a_saved_draft_wins_over_the_previous_submission(client, demo, headers):
    from processes import workflow
    from tests.lifecycle import user

    event = returned(client, headers, submitted_plan(client, headers))
    task = open_task(event, "prepare_plan")
    workflow.save_draft(user("organizer"), task.id, {"estimate": [{"factor_key": ELECTRICITY, "quantity": "7"}]})
    db.session.commit()
    detail = client.get(f"/api/v1/tasks/{task.id}", headers=headers["organizer"]).get_json()
    assert detail["draft"]["estimate"] == [{"factor_key": ELECTRICITY, "quantity": "7"}]
    assert detail["returned"]["decisions"], "the comments stay beside a draft"


def test_the_returned_plan_page_is_filled_and_shows_the_comments_first(client, auth, demo, headers):
    event = returned(client, headers, submitted_plan(client, headers))
    task = open_task(event, "prepare_plan")
    auth.login("organizer")
    html = client.get(f"/tasks/{task.id}").get_data(as_text=True)
    assert COMMENT in html
    assert html.index(COMMENT) < html.index('name="estimate-0-quantity"'), "the comments come before the form"
    assert 'name="estimate-0-quantity" type="text" value="10000"' in html or 'value="10000"' in html
    assert "光盘行动" in html and "场馆 venue" in html


def test_only_the_last_rounds_decisions_are_given(client, demo, headers):
    body = submitted_plan(client, headers)
    event = returned(client, headers, body)
    complete(client, headers["organizer"], open_task(event, "prepare_plan").id, body)
    assert complete(client, headers["commerce"], open_task(event, "review_plan_sector").id,
                    {"decision": "approve"}).status_code == 200
    assert complete(client, headers["eeb_rencheng"], open_task(event, "review_plan_eeb").id,
                    {"decision": "return", "comment": "第二轮 second round"}).status_code == 200
    task = open_task(event, "prepare_plan")
    detail = client.get(f"/api/v1/tasks/{task.id}", headers=headers["organizer"]).get_json()
    assert detail["returned"]["round"] == 2
    assert [d["comment"] for d in detail["returned"]["decisions"]] == [None, "第二轮 second round"]
    assert db.session.execute(select(Event)).scalar_one().id == event.id
