"""No input produces a 500 (issue #15): text that no database can store — a NUL, or an unpaired
surrogate sent as a JSON escape — is refused as 422 naming the field, on every JSON endpoint."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.usefixtures("demo")


@pytest.mark.parametrize("escape", ["\\ud800", "\\udfff", "a\\udc00b", "\\u0000"])
def test_unpaired_surrogates_and_nul_are_refused_naming_the_field(client, api_token, escape):
    body = ('{"name": "' + escape + '", "kind": "forum", "sector": "commerce", "organizers": ["x"], '
            '"organizer_type": "enterprise", "participants": 300, "starts_on": "2030-01-01", '
            '"ends_on": "2030-01-02", "venue": "v", "county": "任城区", "fiscal_funding_requested": false}')
    response = client.post("/api/v1/events", data=body, content_type="application/json", headers=api_token())
    assert response.status_code == 422 and "name" in response.get_json()["fields"]


def test_a_surrogate_pair_is_ordinary_text(client, api_token):
    """😀 escaped as its surrogate pair is one character: stored like any other."""
    response = client.post("/api/v1/tokens", data='{"username": "organizer", "password": "demo12345", '
                           '"name": "\\ud83d\\ude00 laptop"}', content_type="application/json")
    assert response.status_code == 201 and response.get_json()["name"] == "😀 laptop"


def test_token_bodies_are_strict(client):
    response = client.post("/api/v1/tokens", json={"username": "organizer", "password": "demo12345", "extra": 1})
    assert response.status_code == 422 and "extra" in response.get_json()["fields"]
    response = client.post("/api/v1/tokens", json={"username": "organizer", "password": "demo12345", "name": 5})
    assert response.status_code == 422 and "name" in response.get_json()["fields"]
