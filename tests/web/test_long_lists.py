"""Lists of a province's whole history (issue #19): a page beyond the last is an empty page, never an
error; the public search bounds its text and how many matches can be paged through."""

from __future__ import annotations

import pytest

from tests.lifecycle import approve_all, complete, plan_data, register


@pytest.mark.parametrize("user, url", [
    ("auditor", "/audit/"), (None, "/public/"), ("auditor", "/events/"), ("commerce", "/tasks/"),
    (None, "/public/?q=车展"), (None, "/public/audit"),
])
@pytest.mark.parametrize("page", ["999999", "10000000000", "-3", "0", "abc"])
def test_a_page_beyond_the_last_is_an_empty_page(client, auth, demo, user, url, page):
    register(600, name="济宁车展")
    if user:
        auth.login(user)
    response = client.get(url + ("&" if "?" in url else "?") + f"page={page}")
    assert response.status_code == 200, (url, page)


def test_the_audit_trail_pages_without_a_count(client, auth, demo):
    register(600)
    auth.login("auditor")
    first = client.get("/audit/").get_data(as_text=True)
    assert "event.registered" in first or "登记" in first
    beyond = client.get("/audit/?page=5000").get_data(as_text=True)
    assert "page=4999" in beyond and "page=5001" not in beyond  # "newer" leads back, there is no "older"


def _published(name: str) -> None:
    event = register(600, name=name)
    complete(event, "prepare_plan", "organizer", plan_data())
    approve_all(event)


def test_public_search_pages_through_a_bounded_number_of_matches(client, demo, monkeypatch):
    monkeypatch.setattr("webapp.public.routes.MAX_SEARCH_RESULTS", 3)
    monkeypatch.setattr("webapp.public.routes.PAGE_SIZE", 2)
    for k in range(5):
        _published(f"运河论坛第{k}届")
    first = client.get("/public/?q=运河论坛").get_data(as_text=True)
    second = client.get("/public/?q=运河论坛&page=2").get_data(as_text=True)
    shown = [k for k in range(5) for html in (first, second) if f"运河论坛第{k}届" in html]
    assert len(shown) == 3  # the first 3 matches, newest first, and no more
    assert "page=3" not in second  # no "next" link past the bound
    assert not any(f"运河论坛第{k}届" in client.get("/public/?q=运河论坛&page=3").get_data(as_text=True)
                   for k in range(5))
    unbounded = client.get("/public/").get_data(as_text=True) + client.get("/public/?page=2").get_data(as_text=True) \
        + client.get("/public/?page=3").get_data(as_text=True)
    assert all(f"运河论坛第{k}届" in unbounded for k in range(5))  # the plain list is not bounded


def test_public_search_text_is_bounded(client, demo):
    _published("太白湖论坛")
    long_text = "论坛" + "湖" * 10_000
    response = client.get("/public/?q=" + long_text)
    assert response.status_code == 200
    assert "太白湖论坛" not in response.get_data(as_text=True)  # searched, cut to 100 characters: no match
    assert "太白湖论坛" in client.get("/public/?q=" + "太白湖论坛" + " " * 5000).get_data(as_text=True)
