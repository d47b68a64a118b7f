"""Scenario 2: a 350-person event on the 200–499 self-commitment path (R-TIER-2), in the
browser: plan without a verifier, sign-off by the Culture and Tourism Bureau and the 任城区 EEB
branch, reductions, account, cancellation, and the organizer's signed commitment."""

from __future__ import annotations

from datetime import datetime

import pytest
from playwright.sync_api import expect

from tests.e2e.helpers import Shots
from tests.e2e.steps import (
    JINING,
    assert_clean_session,
    check_public_page,
    expect_confirmed,
    plan_to_cancelled_units,
)

pytestmark = pytest.mark.e2e


def test_self_commitment_path_ends_with_the_signed_commitment(browser, server, translate, tmp_path):  # noqa: ANN001
    t, language = translate, "zh"
    shots = Shots("self-commitment-zh")
    name = "运河文化艺术节（端到端）"

    organizer, event_id = plan_to_cancelled_units(
        browser, server, shots, t, language, tmp_path, username="organizer2", name=name, participants=350,
        sector="culture_tourism", bureau="culture", verifier=False, comment="同意", serial="SDPH-E2ECOMMIT",
        starts_in_days=-10)  # over already: neutrality is reached after the event's end (R-TIER-2)

    page = organizer.open_task(t(language, "Sign the self-commitment"), name)
    expect(page.locator("input[name=confirmation_method]")).to_have_value("自我承诺")
    # The web server's clock is real, so the day neutrality was reached is today: the form refuses
    # days in the future, and days before the event's end or its last cancellation.
    today = datetime.now(JINING).date().isoformat()
    page.fill("input[name=neutral_on]", today)
    # Read before signing (issue #18): the whole declaration, with the values just typed.
    page.click("button[name=action][value=preview]")
    expect(page.locator("pre.declaration")).to_contain_text(f"实现碳中和日期：{today}")
    expect(page.locator("pre.declaration")).to_contain_text(name)
    expect(page.locator("input[name=neutral_on]")).to_have_value(today)
    shots(page, "declaration read before signing")
    page.check("input[name=truthful]")
    shots(page, "commitment filled in")
    organizer.submit()

    expect_confirmed(organizer, shots, t, language, event_id)
    assert_clean_session(organizer)
    organizer.close()
    check_public_page(browser, server, shots, t, language, name, expected=["13.552", "SDPH-E2ECOMMIT-000014"])
