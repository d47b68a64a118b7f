"""Where a sign-in leads (issue #18): department users and verifiers to their inbox, organizers to
their events; the start page stays reachable for everyone."""

from __future__ import annotations

import pytest

from tests.lifecycle import complete, plan_data, register

LANDINGS = {
    "eeb": "/tasks/", "eeb_rencheng": "/tasks/", "eeb_liangshan": "/tasks/", "commerce": "/tasks/",
    "finance": "/tasks/", "nr": "/tasks/", "drc": "/tasks/", "verifier": "/tasks/",
    "organizer": "/", "organizer2": "/", "auditor": "/", "admin": "/",
}


@pytest.mark.parametrize(("username", "landing"), LANDINGS.items())
def test_sign_in_lands_where_the_work_is(client, auth, demo, username, landing):
    response = auth.login(username)
    assert response.status_code == 302 and response.headers["Location"] == landing


def test_a_clerk_sees_the_waiting_review_right_after_signing_in(client, auth, demo):
    event = register(600, name="济宁国际车展")
    complete(event, "prepare_plan", "organizer", plan_data())
    page = auth.login("commerce", follow=True).get_data(as_text=True)
    assert "我的待办" in page and "济宁国际车展" in page


def test_organizers_still_land_on_my_events(client, auth, demo):
    page = auth.login("organizer", follow=True).get_data(as_text=True)
    assert "我的活动" in page


def test_the_start_page_stays_reachable_for_a_clerk(client, auth, demo):
    auth.login("eeb_rencheng")
    response = client.get("/")
    assert response.status_code == 200 and "济宁" in response.get_data(as_text=True)


@pytest.mark.parametrize("target", ["/events/", "/dashboard/"])
def test_a_requested_page_wins_over_the_inbox(client, auth, demo, target):
    from tests.conftest import csrf_token

    token = csrf_token(client, "/login")
    response = client.post(f"/login?next={target}", data={"username": "eeb", "password": "demo12345",
                                                           "csrf_token": token})
    assert response.headers["Location"] == target


def test_a_foreign_next_still_falls_back_to_the_inbox(client, auth, demo):
    from tests.conftest import csrf_token

    token = csrf_token(client, "/login")
    response = client.post("/login?next=https://evil.example/", data={"username": "finance",
                                                                      "password": "demo12345", "csrf_token": token})
    assert response.headers["Location"] == "/tasks/"
