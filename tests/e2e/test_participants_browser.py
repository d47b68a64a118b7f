"""R-TIER-X in the browser: the organizer records a new participant count on the event page; the
process follows the new tier (R-TIER-1 at 500 or more, R-TIER-0 below 200)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e.helpers import Shots, User
from tests.e2e.steps import VERIFIER_BODY, assert_clean_session, register_event

pytestmark = pytest.mark.e2e


def _record(page, t, count: int, reason: str, body: str | None = None) -> None:  # noqa: ANN001
    page.locator("summary", has_text=t("zh", "The participant count changed")).click()
    page.fill("input#participants", str(count))
    page.fill("input#reason", reason)
    if body:
        page.select_option("select#verifier_body", label=body)
    page.locator("form[action$='/participants'] button[type=submit]").click()


def test_a_new_count_re_tiers_the_event_and_below_200_it_leaves_the_plan(browser, server, translate):  # noqa: ANN001
    t, shots = translate, Shots("participants-zh")
    organizer = User(browser, server, "organizer", "zh").sign_in()
    name = "人数变更测试论坛（端到端）"
    event_id = register_event(organizer, shots, t, "zh", name, 300, "commerce")
    page = organizer.page
    expect(page.locator("main")).to_contain_text(t("zh", "200–499 participants: self-commitment"))

    _record(page, t, 600, "报名人数超出预期", VERIFIER_BODY)
    expect(page.locator("main")).to_contain_text(t("zh", "500 or more participants: third-party evaluation"))
    shots(page, "re-tiered to third party")

    _record(page, t, 150, "活动缩小为内部研讨")
    page.goto(f"/events/{event_id}")
    expect(page.locator("main")).to_contain_text(t("zh", "Voluntary effort recorded"))
    expect(page.locator("form[action$='/participants']")).to_have_count(0)  # the count is locked now
    page.goto("/tasks/")
    expect(page.locator("main")).not_to_contain_text(name)  # no task left open
    shots(page, "left the plan")
    assert_clean_session(organizer)
    organizer.close()
