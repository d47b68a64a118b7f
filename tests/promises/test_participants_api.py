"""R-TIER-X through the API: POST /api/v1/events/{id}/participants (issue #15, item 12)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from models import Event, VerifierBody, db
from tests.lifecycle import after_event, cancellation, complete, open_names, register, to_offsetting

pytestmark = pytest.mark.usefixtures("demo")


@pytest.mark.parametrize(("body", "field"), [
    ({"participants": "600", "reason": "x"}, "participants"),
    ({"participants": True, "reason": "x"}, "participants"),
    ({"participants": 600}, "reason"),
    ({"participants": 600, "reason": "x", "extra": 1}, "extra"),
    ({"participants": 0, "reason": "x"}, "participants"),
    ({"participants": 10**12, "reason": "x"}, "participants"),
    ({"participants": 400, "reason": "   "}, "reason"),
])
def test_r_tier_x_bad_bodies_name_the_field(client, api_token, body, field):
    event = register(300)
    response = client.post(f"/api/v1/events/{event.id}/participants", json=body, headers=api_token())
    assert response.status_code == 422 and field in response.get_json()["fields"]
    assert db.session.get(Event, event.id).participants == 300


def test_r_tier_x_another_organisation_cannot_change_the_count(client, api_token):
    event = register(300)
    response = client.post(f"/api/v1/events/{event.id}/participants", json={"participants": 150, "reason": "x"},
                           headers=api_token("organizer2"))
    assert response.status_code == 404


def test_r_tier_1_rise_to_500_at_the_commitment_through_the_api(client, api_token):
    event = register(300)
    to_offsetting(event)
    complete(event, "cancel_units", "organizer", cancellation(event), now=after_event(event, 3))
    body_id = db.session.execute(select(VerifierBody.id)).scalars().first()
    response = client.post(f"/api/v1/events/{event.id}/participants",
                           json={"participants": 600, "reason": "实际人数", "verifier_body": body_id},
                           headers=api_token())
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["tier"] == "third_party"
    assert open_names(event) == {"third_party_evaluation"}


@pytest.mark.parametrize("body_id", [999, -1, 2**63])
def test_r_tier_1_an_unknown_body_is_refused_not_ignored(client, api_token, body_id):
    event = register(300)
    response = client.post(f"/api/v1/events/{event.id}/participants",
                           json={"participants": 600, "reason": "x", "verifier_body": body_id}, headers=api_token())
    assert response.status_code == 422 and "verifier_body" in response.get_json()["fields"]


def test_r_tier_x_a_count_above_a_million_says_the_bounds(client, api_token):
    event = register(300)
    response = client.post(f"/api/v1/events/{event.id}/participants",
                           json={"participants": 1_000_001, "reason": "x"}, headers=api_token("organizer"))
    assert response.status_code == 422
    assert "1,000,000" in " ".join(response.get_json()["fields"]["participants"])


@pytest.mark.parametrize(("query", "status"), [("", 200), ("?set=1", 200), ("?set=999", 404), ("?set=abc", 404),
                                                ("?set=" + "9" * 20, 404), ("?set=-1", 404)])
def test_r_acc_1_the_factor_api_answers_the_set_asked_for(client, query, status):
    client.get("/api/v1/emission-factors")  # the shipped set is loaded on first use
    response = client.get("/api/v1/emission-factors" + query)
    assert response.status_code == status
    if status == 200:
        assert response.get_json()["factor_set"] == 1


@pytest.mark.parametrize(("url", "field"), [
    ("/api/v1/events?year=x", "year"), ("/api/v1/events?year=1e9", "year"), ("/api/v1/events?year=9999", "year"),
    ("/api/v1/events?status=nope", "status"), ("/api/v1/events?per_page=-1", "per_page"),
    ("/api/v1/events?page=0", "page"), ("/api/v1/events?colour=red", "colour"),
    ("/api/v1/tasks?status=nope", "status"), ("/api/v1/tasks?page=abc", "page"),
])
def test_bad_query_parameters_are_named_not_ignored(client, api_token, url, field):
    response = client.get(url, headers=api_token())
    assert response.status_code == 422 and field in response.get_json()["fields"]


def test_good_query_parameters_still_filter(client, api_token):
    register(300)
    assert client.get("/api/v1/events?tier=self_commitment&per_page=10&page=1",
                      headers=api_token()).get_json()["total"] == 1
    assert client.get("/api/v1/events?tier=third_party", headers=api_token()).get_json()["total"] == 0
