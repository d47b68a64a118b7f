"""Markup typed by users (an event name, a comment) is shown as text in a real browser: no
script runs, no dialog opens, on every page that shows it."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e.helpers import Shots, User
from tests.e2e.steps import assert_clean_session, register_event

pytestmark = pytest.mark.e2e
NAME = '<img src=x onerror="alert(\'name\')"><script>alert("name")</script>车展'
COMMENT = '<svg onload="alert(\'comment\')"></svg><a href="javascript:alert(1)">click</a>'


def test_markup_in_names_and_comments_never_runs(browser, server, translate):  # noqa: ANN001
    shots = Shots("xss")
    organizer = User(browser, server, "organizer", "zh").sign_in()
    event_id = register_event(organizer, shots, translate, "zh", NAME, 600, "commerce")
    page = organizer.page
    page.fill("#comment-body", COMMENT)
    page.locator("#comment-body").locator("xpath=ancestor::form").locator("button[type=submit]").click()
    expect(page.locator("main")).to_contain_text(COMMENT)  # shown literally, as text
    for url in (f"/events/{event_id}", "/events/mine", "/tasks/"):
        page.goto(url)
        if url != "/tasks/":  # the inbox pages by due date: other scenarios' tasks may come first
            expect(page.locator("main")).to_contain_text(NAME)
        assert page.locator("main img[src=x], main svg[onload]").count() == 0
    page.goto(f"/events/{event_id}")
    task_link = page.locator("main a[href^='/tasks/']").first  # the event's own open task
    task_link.click()
    expect(page.locator("main")).to_contain_text(NAME)
    shots(page, "markup shown as text")
    department = User(browser, server, "eeb", "zh").sign_in()  # the city EEB sees every event
    try:
        department.page.goto(f"/events/{event_id}")
        expect(department.page.locator("main")).to_contain_text(COMMENT)
        department.page.goto("/events/")
        expect(department.page.locator("main")).to_contain_text(NAME)
        assert_clean_session(department)
    finally:
        department.close()
    assert organizer.dialogs == [] and department.dialogs == []
    assert_clean_session(organizer)
    organizer.close()
