"""Phones (issue #18): every main page is usable at 390 px — nothing wider than the screen
(`document.documentElement.scrollWidth > window.innerWidth` fails), the cancellation form's twelve
columns included. The event page's stage bar and diagram (zoom buttons, labels in the UI's language)
are checked here too, at the phone's width.

`main_pages` builds one event up to its open cancellation task (shared with test_accessibility.py)."""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.helpers import Shots, User, set_language
from tests.e2e.steps import after_the_event, event_end, fill_plan, register_event, report_and_account, sign_off

pytestmark = pytest.mark.e2e

PHONE = {"width": 390, "height": 844}
NAME = "手机宽度测试论坛（端到端）"


@dataclass(frozen=True)
class MainPages:
    event_id: int
    cancel_task: str  # the organizer's open cancellation task, e.g. "/tasks/12"

    def by_user(self) -> dict[str, list[str]]:
        """The main pages, by who opens them ("" is a visitor who is not signed in)."""
        return {
            "": ["/login", "/public/", f"/public/events/{self.event_id}"],
            "organizer": ["/", "/events/mine", f"/events/{self.event_id}", "/tasks/", self.cancel_task],
            "eeb": ["/", "/events/", "/tasks/", f"/events/{self.event_id}", "/dashboard/"],
            "auditor": ["/audit/"],
        }


_built: dict[str, MainPages] = {}


def main_pages(browser, server, translate, tmp_path_factory) -> MainPages:  # noqa: ANN001
    """One event, plan published and accounted, its cancellation task open (built once per server)."""
    if server.url in _built:
        return _built[server.url]
    t, shots = translate, Shots("phone-width-setup")
    tmp_path = tmp_path_factory.mktemp("phone")
    organizer = User(browser, server, "organizer", "zh").sign_in()
    try:
        event_id = register_event(organizer, shots, t, "zh", NAME, 300, "commerce")
        fill_plan(organizer, shots, t, "zh", NAME, verifier=False)
        sign_off(browser, server, shots, t, "zh", "commerce", "Review the plan (sector bureau)", NAME, "同意")
        sign_off(browser, server, shots, t, "zh", "eeb_rencheng", "Review the plan (Ecology and Environment Bureau)",
                 NAME, "同意")
        after_the_event(server, event_end(organizer, event_id))
        report_and_account(organizer, shots, t, "zh", NAME, tmp_path)
        page = organizer.open_task(t("zh", "Cancel offset units"), NAME)
        cancel_task = re.sub(r"^https?://[^/]+", "", page.url)
    finally:
        organizer.close()
    _built[server.url] = MainPages(event_id, cancel_task)
    return _built[server.url]


def phone_user(browser, server, username: str, language: str = "zh") -> User:  # noqa: ANN001
    """A session at 390 px (signed in at the desktop width: on a phone the account menu is folded away)."""
    user = User(browser, server, username, language)
    if username:
        user.sign_in()
    elif language == "en":
        user.page.goto("/login")
        set_language(user.page, language)
    user.page.set_viewport_size(PHONE)
    return user


OVERFLOW = """() => {
  const width = window.innerWidth;
  const wide = [...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > width + 1)
    .filter(e => !e.closest('.table-responsive, .bpmn-canvas, [style*=overflow]'))
    .slice(0, 5).map(e => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') + '.' + [...e.classList].join('.'));
  return {scroll: document.documentElement.scrollWidth, inner: width, wide};
}"""


def overflow(page: Page) -> dict:
    return page.evaluate(OVERFLOW)


def test_every_main_page_fits_a_390px_phone(browser, server, translate, tmp_path_factory):  # noqa: ANN001
    pages = main_pages(browser, server, translate, tmp_path_factory)
    shots = Shots("phone-width")
    too_wide = []
    for username, paths in pages.by_user().items():
        user = phone_user(browser, server, username)
        try:
            for path in paths:
                response = user.page.goto(path)
                assert response is not None and response.status == 200, (username, path)
                user.page.wait_for_load_state("networkidle")
                shots(user.page, f"{username or 'visitor'} {path}")
                found = overflow(user.page)
                if found["scroll"] > found["inner"]:
                    too_wide.append((username or "visitor", path, found))
            assert not user.console_errors, user.console_errors
        finally:
            user.close()
    assert not too_wide, f"wider than a 390 px phone: {too_wide}"


def test_the_cancellation_form_can_be_filled_in_on_a_phone(browser, server, translate, tmp_path_factory):  # noqa: ANN001
    pages = main_pages(browser, server, translate, tmp_path_factory)
    organizer = phone_user(browser, server, "organizer")
    try:
        page = organizer.page
        page.goto(pages.cancel_task)
        for field in ("project", "serial_from", "quantity_tco2e"):
            box = page.locator(f"[name=cancellations-0-{field}]").bounding_box()
            assert box is not None and box["width"] >= 120, (field, box)  # not a 20 px sliver
        page.fill("input[name=cancellations-0-project]", "泗水林业碳汇")
        assert overflow(page)["scroll"] <= PHONE["width"]
    finally:
        organizer.close()


def test_the_stage_bar_and_the_diagram_on_a_phone(browser, server, translate, tmp_path_factory):  # noqa: ANN001
    t = translate
    pages = main_pages(browser, server, translate, tmp_path_factory)
    organizer = phone_user(browser, server, "organizer")
    try:
        page = organizer.page
        page.goto(f"/events/{pages.event_id}")
        bar = page.locator("#stage-bar")
        expect(bar.locator("[aria-current=step]")).to_contain_text(t("zh", "Offset the rest"))
        expect(bar.locator(".tz-stage-done")).to_have_count(3)
        expect(bar.locator(".tz-stage-next")).to_contain_text(t("zh", "Confirm"))
        expect(page.locator("#stage-summary")).to_contain_text(re.compile(r"\d{4}-\d{2}-\d{2}"))
        canvas = page.locator("#bpmn-canvas")
        expect(canvas).to_have_attribute("data-ready", "1")
        labels = "".join(page.locator("#bpmn-canvas .djs-label").all_text_contents()).replace(" ", "")
        assert "核算实际排放" in labels and "Accountemissions" not in labels, labels
        assert "Clearlastround" not in labels and "清空上轮意见" not in labels, labels
        assert "R-TIER" not in labels, labels
        before = page.evaluate("() => document.querySelector('#bpmn-canvas .viewport').getAttribute('transform')")
        page.get_by_role("button", name=t("zh", "Zoom in")).click()
        after = page.evaluate("() => document.querySelector('#bpmn-canvas .viewport').getAttribute('transform')")
        assert before != after
        assert overflow(page)["scroll"] <= PHONE["width"]
        Shots("phone-diagram")(page, "event page with stage bar and diagram")
    finally:
        organizer.close()

    english = phone_user(browser, server, "organizer", "en")
    try:
        page = english.page
        page.goto(f"/events/{pages.event_id}")
        expect(page.locator("#bpmn-canvas")).to_have_attribute("data-ready", "1")
        labels = "".join(page.locator("#bpmn-canvas .djs-label").all_text_contents()).replace(" ", "")
        assert "Accountemissions" in labels and "核算实际排放" not in labels, labels
    finally:
        english.close()
