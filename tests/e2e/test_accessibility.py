"""Accessibility (issue #18; GB/T 37668 asks for the same basics): axe-core (npm `axe-core`, from
node_modules) finds no serious or critical violation on the main pages — sign-in, home, my events, the
event page, a task page, the inbox, the public list and a public event page, the dashboard, the audit
trail — and the event page's controls work from the keyboard."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.helpers import ROOT, Shots
from tests.e2e.test_phone_width import main_pages, phone_user

pytestmark = pytest.mark.e2e

AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
SERIOUS = {"serious", "critical"}


def axe_violations(page: Page) -> list[dict]:
    """Serious and critical violations of WCAG 2.x A/AA rules on the page as it is now.

    axe is evaluated through the DevTools protocol, not as a <script> tag, so the pages' CSP (no inline
    script) stays as deployed."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.evaluate(Path(AXE).read_text(encoding="utf-8"))
    result = page.evaluate("""async () => {
      const r = await axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']},
                                         resultTypes: ['violations']});
      return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                                     nodes: v.nodes.slice(0, 3).map(n => n.target.join(' '))}));
    }""")
    return [v for v in result if v["impact"] in SERIOUS]


@pytest.mark.skipif(not AXE.exists(), reason="npm install (axe-core is a devDependency in package.json)")
@pytest.mark.parametrize("language", ["zh", "en"])
def test_no_serious_or_critical_axe_violation_on_the_main_pages(browser, server, translate, tmp_path_factory,  # noqa: ANN001
                                                                 language):
    pages = main_pages(browser, server, translate, tmp_path_factory)
    shots = Shots(f"accessibility-{language}")
    found = []
    for username, paths in pages.by_user().items():
        user = phone_user(browser, server, username, language)
        user.page.set_viewport_size({"width": 1280, "height": 900})
        try:
            for path in paths:
                user.page.goto(path)
                user.page.wait_for_load_state("networkidle")
                violations = axe_violations(user.page)
                if violations:
                    shots(user.page, f"{username or 'visitor'} {path}")
                    found.append((username or "visitor", path, violations))
        finally:
            user.close()
    assert not found, f"axe-core: {found}"


def test_the_diagram_and_the_forms_work_from_the_keyboard(browser, server, translate, tmp_path_factory):  # noqa: ANN001
    t = translate
    pages = main_pages(browser, server, translate, tmp_path_factory)
    organizer = phone_user(browser, server, "organizer")
    organizer.page.set_viewport_size({"width": 1280, "height": 900})
    try:
        page = organizer.page
        page.goto(f"/events/{pages.event_id}")
        expect(page.locator("#bpmn-canvas")).to_have_attribute("data-ready", "1")
        transform = ("() => { const m = document.querySelector('#bpmn-canvas .viewport')"
                     ".transform.baseVal.consolidate(); return m ? Math.round(m.matrix.a * 1000) / 1000 : 1; }")
        before = page.evaluate(transform)
        zoom_in = page.get_by_role("button", name=t("zh", "Zoom in"))
        zoom_in.focus()
        page.keyboard.press("Enter")
        assert page.evaluate(transform) != before
        page.get_by_role("button", name=t("zh", "Fit to width")).focus()
        page.keyboard.press("Space")
        assert page.evaluate(transform) == before  # back to the whole width

        # every field of the cancellation form has a name a screen reader reads out, and Tab reaches it
        page.goto(pages.cancel_task)
        unnamed = page.evaluate("""() => [...document.querySelectorAll(
            'main input:not([type=hidden]), main select, main textarea')]
          .filter(e => !(e.labels && e.labels.length) && !e.getAttribute('aria-label')
                       && !e.getAttribute('aria-labelledby') && !e.getAttribute('title'))
          .map(e => e.name)""")
        assert not unnamed, f"inputs without a label: {unnamed}"
        project = page.locator("[name=cancellations-0-project]")
        for _ in range(200):
            page.keyboard.press("Tab")
            if project.evaluate("e => e === document.activeElement"):
                break
        else:
            pytest.fail("Tab never reaches the cancellation's project field")
    finally:
        organizer.close()
