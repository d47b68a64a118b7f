"""Forms that fit the work, in the browser (issue #18): a row added with the script's button (no page
load), the chosen factor's unit filled in, a running total per category, a row removed; what was added
reaches the server (a draft read back)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e.helpers import Shots, User
from tests.e2e.steps import assert_clean_session, register_event

pytestmark = pytest.mark.e2e
ELECTRICITY = "grid_electricity_north_china_2022"


def test_a_row_is_added_by_the_script_with_its_unit_and_a_running_total(browser, server, translate):  # noqa: ANN001
    t, shots = translate, Shots("task-rows-zh")
    organizer = User(browser, server, "organizer", "zh").sign_in()
    name = "明细行测试展会（端到端）"
    register_event(organizer, shots, t, "zh", name, 300, "commerce")
    page = organizer.open_task(t("zh", "Prepare the carbon-neutrality plan"), name)
    rows = page.locator("table[data-rows=estimate] tbody tr[data-row]")
    before = rows.count()
    page.evaluate("window.__samePage = true")
    more = page.locator("#estimate-rows button.more-rows")
    expect(more).to_have_text(t("zh", "More rows"))
    more.click()
    expect(rows).to_have_count(before + 1)
    assert page.evaluate("window.__samePage === true")  # added in the page, not by a round trip
    new = f"estimate-{before}"
    expect(page.locator(f"select[name={new}-factor_key]")).to_be_focused()
    page.select_option(f"select[name={new}-factor_key]", ELECTRICITY)
    expect(page.locator(f"input[name={new}-unit]")).to_have_value("kWh")  # the factor's unit
    page.fill(f"input[name={new}-quantity]", "10000")
    total = page.locator("#estimate-rows .running-total")
    expect(total).to_contain_text("6.776")  # 10,000 kWh × 0.6776 kg/kWh
    shots(page, "row added with unit and running total")
    page.locator("tr[data-row]").filter(has=page.locator("select[name=estimate-0-factor_key]")) \
        .locator("button.remove-row").click()
    expect(rows).to_have_count(before)
    page.locator("form button[name=action][value=draft]").click()
    expect(page.locator("input[name$=-quantity][value='10000']")).to_have_count(1)  # the draft kept the line
    shots(page, "draft read back")
    assert_clean_session(organizer)
    organizer.close()
