"""The steps of the scenarios, each as its user does it on the pages (shared by both paths)."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from playwright.sync_api import expect

from tests.e2e.helpers import Shots, User, set_language, write_pdf

JINING = ZoneInfo("Asia/Shanghai")
VERIFIER_BODY = "山东绿色低碳认证评价中心（演示）"
EXCLUDED = {"zh": "本次活动不涉及", "en": "not material for this event"}


def register_event(organizer: User, shots: Shots, t, language: str, name: str, participants: int,  # noqa: ANN001
                   sector: str, starts_in_days: int = 10) -> int:
    """The organizer registers the event on the registration page; returns its id."""
    page = organizer.page
    page.click("nav a[href='/events/mine']")
    shots(page, "my events")
    page.click("main a[href='/events/new']")
    starts = datetime.now(JINING).date() + timedelta(days=starts_in_days)
    page.fill("input[name=name]", name)
    page.select_option("select[name=kind]", "exhibition")
    page.select_option("select[name=sector]", sector)
    expect(page.locator("textarea[name=organizers]")).not_to_be_empty()  # prefilled with the organisation
    page.fill("input[name=participants]", str(participants))
    page.fill("input[name=starts_on]", starts.isoformat())
    page.fill("input[name=ends_on]", (starts + timedelta(days=1)).isoformat())
    page.fill("input[name=venue]", "济宁国际会展中心")
    page.select_option("select[name=county]", "任城区")
    shots(page, "registration form")
    page.click("main form button[type=submit]")
    expect(page).to_have_url(re.compile(r"/events/\d+$"))
    expect(page.locator("h1")).to_have_text(name)
    shots(page, "registered")
    return int(page.url.rsplit("/", 1)[1])


def fill_plan(organizer: User, shots: Shots, t, language: str, name: str, *, verifier: bool) -> None:  # noqa: ANN001
    """prepare_plan: boundary, one estimate line, one measure, one offset line (and the verifier)."""
    page = organizer.open_task(t(language, "Prepare the carbon-neutrality plan"), name)
    rows = page.locator("select[name^=boundary-][name$=-category]")
    for index in range(rows.count()):
        category = rows.nth(index).input_value()
        included = page.locator(f"input[name=boundary-{index}-included]")
        if category == "venue_energy":
            included.check()
        else:
            included.uncheck()
            page.fill(f"input[name=boundary-{index}-reason]", EXCLUDED[language])
    unchecked = page.locator("select[name=estimate-0-factor_key] option[value=meal_standard]")
    expect(unchecked).to_contain_text(t(language, "not yet verified against its source"))  # issue #5
    page.select_option("select[name=estimate-0-factor_key]", "grid_electricity_north_china_2022")
    page.fill("input[name=estimate-0-quantity]", "10000")
    page.fill("input[name=estimate-0-unit]", "kWh")
    page.select_option("select[name=measures-0-kind]", "green_electricity")
    page.fill("input[name=measures-0-description]", "场馆使用绿电 green power at the venue")
    page.fill("input[name=measures-0-expected_tco2e]", "1")
    page.select_option("select[name=offset_plan-0-instrument]", "sd_inclusion_forestry")
    page.fill("input[name=offset_plan-0-quantity_tco2e]", "10")
    if verifier:
        option = page.locator("select[name=verifier_body] option", has_text=VERIFIER_BODY)
        page.select_option("select[name=verifier_body]", option.get_attribute("value"))
    shots(page, "plan filled in")
    organizer.submit()
    shots(page, "plan submitted")


def sign_off(browser, server, shots: Shots, t, language: str, username: str, step: str, name: str,  # noqa: ANN001
             comment: str) -> None:
    """A department reviewer approves the plan from their own inbox, in their own session."""
    reviewer = User(browser, server, username, language).sign_in()
    try:
        if username.startswith("eeb"):  # the EEB clerk first finds the event in the Events list
            page = reviewer.page
            page.click("nav a[href='/events/']")
            page.fill("input[name=q]", name)
            page.click("main form[role=search] button[type=submit]")
            expect(page.locator("main table")).to_contain_text(name)
            shots(page, f"{username} finds the event")
        page = reviewer.open_task(t(language, step), name)
        expect(page.locator("main")).to_contain_text(name)
        shots(page, f"{username} reviews")
        page.check("input[name=decision][value=approve]")
        page.fill("textarea[name=comment]", comment)
        reviewer.submit()
        shots(page, f"{username} approved")
    finally:
        reviewer.close()


def after_the_event(server, event_end: str) -> None:  # noqa: ANN001
    """Let time pass beyond the event's last day: the deadline tick, as cron would run it."""
    last_day = datetime.fromisoformat(event_end).date()
    now = datetime.combine(last_day + timedelta(days=1), datetime.min.time(), JINING) + timedelta(hours=9)
    result = server.flask("deadlines", "tick", "--now", now.isoformat())
    assert "event(s) had timers due" in result.stdout, result.stdout


def report_and_account(organizer: User, shots: Shots, t, language: str, name: str, tmp_path) -> None:  # noqa: ANN001
    page = organizer.open_task(t(language, "Report the reductions achieved"), name)
    page.fill("input[name=measures-0-achieved_tco2e]", "1")
    page.set_input_files("input[name=measures-0-evidence_file]", str(write_pdf(tmp_path, "green-power.pdf")))
    shots(page, "reductions filled in")
    organizer.submit()

    page = organizer.open_task(t(language, "Account the actual emissions"), name)
    expect(page.locator("select[name=activities-0-factor_key]")).to_have_value("grid_electricity_north_china_2022")
    page.fill("input[name=activities-0-quantity]", "20000")  # 20000 kWh × 0.6776 kg/kWh = 13.552 t
    shots(page, "account filled in")
    organizer.submit()
    expect(page.locator("main")).to_contain_text("13.552")
    shots(page, "accounted")


def cancel_units(organizer: User, shots: Shots, t, language: str, name: str, tmp_path, serial: str) -> None:  # noqa: ANN001
    page = organizer.open_task(t(language, "Cancel offset units"), name)
    today = datetime.now(JINING).date().isoformat()
    page.select_option("select[name=cancellations-0-instrument]", "sd_inclusion_forestry")
    page.select_option("select[name=cancellations-0-registry]", "sd_inclusion_platform")
    page.fill("input[name=cancellations-0-project]", "泗水林业碳汇")
    page.fill("input[name=cancellations-0-vintage]", "2025")
    page.fill("input[name=cancellations-0-serial_from]", f"{serial}-000001")
    page.fill("input[name=cancellations-0-serial_to]", f"{serial}-000014")
    page.fill("input[name=cancellations-0-quantity_tco2e]", "14")
    page.fill("input[name=cancellations-0-cancelled_on]", today)
    page.set_input_files("input[name=cancellations-0-certificate_file]",
                         str(write_pdf(tmp_path, "cancellation-certificate.pdf")))
    shots(page, "cancellation filled in")
    organizer.submit()
    shots(page, "units cancelled")


def event_end(organizer: User, event_id: int) -> str:
    """The event's last day as its page shows it ("… · 2026-12-05 – 2026-12-06 · venue")."""
    page = organizer.page
    page.goto(f"/events/{event_id}")
    facts = page.locator("main .text-muted").first.inner_text()
    return re.findall(r"\d{4}-\d{2}-\d{2}", facts)[-1]


def plan_to_cancelled_units(browser, server, shots: Shots, t, language: str, tmp_path, *, username: str,  # noqa: ANN001
                            name: str, participants: int, sector: str, bureau: str, verifier: bool,
                            comment: str, serial: str, starts_in_days: int = 10) -> tuple[User, int]:
    """The part both paths share: the organizer registers the event and prepares the plan (naming the verifier
    on the third-party path), the sector bureau (its reviewer `bureau`) and the 任城区 EEB branch sign it off, each
    in their own session,
    the event takes place, the organizer reports the reductions, accounts the emissions and cancels the offset
    units. Returns the organizer's (still open) session and the event's id."""
    organizer = User(browser, server, username, language).sign_in()
    event_id = register_event(organizer, shots, t, language, name, participants, sector, starts_in_days)
    expect(organizer.page.locator("main")).to_contain_text(t(language, "Prepare the carbon-neutrality plan"))
    fill_plan(organizer, shots, t, language, name, verifier=verifier)
    if verifier:
        expect(organizer.page.locator("main")).to_contain_text(VERIFIER_BODY)

    sign_off(browser, server, shots, t, language, bureau, "Review the plan (sector bureau)", name, comment)
    sign_off(browser, server, shots, t, language, "eeb_rencheng",
             "Review the plan (Ecology and Environment Bureau)", name, comment)
    last_day = event_end(organizer, event_id)
    expect(organizer.page.locator("main")).to_contain_text(t(language, "Plan published; reducing"))
    shots(organizer.page, "plan published")

    after_the_event(server, last_day)
    report_and_account(organizer, shots, t, language, name, tmp_path)
    cancel_units(organizer, shots, t, language, name, tmp_path, serial=serial)
    return organizer, event_id


def expect_confirmed(organizer: User, shots: Shots, t, language: str, event_id: int) -> None:  # noqa: ANN001
    page = organizer.page
    page.goto(f"/events/{event_id}")
    expect(page.locator("main .badge").first).to_have_text(t(language, "Carbon neutral, disclosed"))
    expect(page.locator("main")).to_contain_text(t(language, "The process has ended."))
    shots(page, "confirmed")


def check_public_page(browser, server, shots: Shots, t, language: str, name: str, *, expected: list[str]) -> None:  # noqa: ANN001
    """Anyone, not signed in, finds the event among the public disclosures and reads its statement."""
    visitor = User(browser, server, "", language)
    try:
        page = visitor.page
        page.goto("/public/")
        set_language(page, language)
        page.get_by_role("link", name=name, exact=True).click()
        expect(page.locator("h1")).to_have_text(name)
        statement = page.locator("main")
        expect(statement).to_contain_text(t(language, "Neutrality statement"))
        for text in expected:
            expect(statement).to_contain_text(text)
        shots(page, "public page")
        assert not visitor.failed_requests and not visitor.console_errors, (visitor.failed_requests,
                                                                            visitor.console_errors)
    finally:
        visitor.close()


def assert_clean_session(user: User) -> None:
    """No script dialog, console error or failed resource in the whole session."""
    assert not user.failed_requests, user.failed_requests
    assert not user.dialogs, user.dialogs
    assert not user.console_errors, user.console_errors
