"""Scenario 1, as the users do it in their browsers: a 600-person exhibition on the third-party
path, from registration to the confirmed, disclosed event and its public page (once in Chinese,
once in English, switching the language in the navigation bar)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e.helpers import Shots, User, write_pdf
from tests.e2e.steps import (
    VERIFIER_BODY,
    assert_clean_session,
    check_public_page,
    expect_confirmed,
    plan_to_cancelled_units,
)

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize("language", ["zh", "en"])
def test_third_party_exhibition_from_registration_to_confirmation(browser, server, translate, tmp_path, language):  # noqa: ANN001
    t = translate
    shots = Shots(f"third-party-{language}")
    name = {"zh": "济宁国际会展周（端到端）", "en": "Jining Expo Week (end-to-end)"}[language]

    # Commerce is the sector bureau of an exhibition.
    organizer, event_id = plan_to_cancelled_units(
        browser, server, shots, t, language, tmp_path, username="organizer", name=name, participants=600,
        sector="commerce", bureau="commerce", verifier=True, comment="同意 approved",
        serial=f"SDPH-E2E{language.upper()}")

    verifier = User(browser, server, "verifier", language).sign_in()
    try:
        page = verifier.open_task(t(language, "Third-party evaluation"), name)
        expect(page.locator("input[name=body_name]")).to_have_value(VERIFIER_BODY)  # from the plan
        page.set_input_files("input[name=report_file]", str(write_pdf(tmp_path, "evaluation-report.pdf")))
        page.fill("input[name=verified_tco2e]", "13.552")
        page.check("input[name=conclusion][value=neutral]")
        page.fill("textarea[name=comment]", "核查无误 verified")
        shots(page, "evaluation filled in")
        verifier.submit()
        shots(page, "evaluated")
        assert_clean_session(verifier)
    finally:
        verifier.close()

    expect_confirmed(organizer, shots, t, language, event_id)
    assert_clean_session(organizer)
    organizer.close()
    check_public_page(browser, server, shots, t, language, name,
                      expected=["13.552", VERIFIER_BODY, f"SDPH-E2E{language.upper()}-000001"])
