"""The dashboard and compliance pages and their XLSX exports: who may read them, the county default
of an EEB branch, charts without inline script, and exports carrying the page's figures (issue 7)."""

from __future__ import annotations

import io
import re
from datetime import date
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from processes import reports
from processes.reports import Scope
from tests.unit.test_reports import World, build_world

URLS = ["/dashboard/", "/dashboard/export.xlsx", "/dashboard/compliance", "/dashboard/compliance.xlsx"]
READERS = ["eeb", "eeb_rencheng", "drc", "commerce", "nr", "auditor", "admin"]


@pytest.fixture()
def world(demo) -> World:  # noqa: ANN001
    return build_world()


def _figure(html: str, name: str) -> str:
    match = re.search(rf'data-figure="{name}">([^<]+)<', html)
    assert match, name
    return match.group(1).strip()


def _rows(book, title: str) -> list[tuple]:  # noqa: ANN001
    return list(book[title[:31]].iter_rows(min_row=2, values_only=True))


def _tonnes(value: object) -> Decimal:
    return Decimal(str(value)).quantize(Decimal("0.001"))


@pytest.mark.parametrize("url", URLS)
def test_anonymous_visitors_are_sent_to_sign_in(client, demo, url):
    response = client.get(url)
    assert response.status_code == 302 and "/login" in response.headers["Location"]


@pytest.mark.parametrize("username", ["organizer", "verifier"])
@pytest.mark.parametrize("url", URLS)
def test_organizers_and_verifiers_are_refused(client, auth, demo, url, username):
    auth.login(username)
    assert client.get(url).status_code == 403


@pytest.mark.parametrize("username", READERS)
def test_departments_drc_auditors_and_admins_read_every_report(client, auth, demo, username):
    auth.login(username)
    for url in URLS:
        response = client.get(url)
        assert response.status_code == 200, url
        if url.endswith(".xlsx"):
            assert response.mimetype.endswith("spreadsheetml.sheet")
            assert response.headers["Content-Disposition"].startswith("attachment")


@pytest.mark.parametrize(("username", "shown"), [("organizer", False), ("verifier", False), ("drc", True),
                                                 ("auditor", True)])
def test_navigation_offers_the_reports_to_their_readers(client, auth, demo, username, shown):
    auth.login(username)
    html = client.get("/", follow_redirects=True).get_data(as_text=True)
    assert ('href="/dashboard/"' in html) is shown and ('href="/dashboard/compliance"' in html) is shown


def test_dashboard_page_shows_the_figures_with_charts_and_no_inline_script(client, auth, world):
    auth.login("drc")
    response = client.get("/dashboard/?lang=en")
    html = response.get_data(as_text=True)
    figures = reports.dashboard(Scope(), date.today())
    assert _figure(html, "accounted") == "40.656" == f"{figures.accounted_tco2e:,.3f}"
    assert _figure(html, "offset") == "38.250"
    assert _figure(html, "in_scope") == str(figures.total.in_scope) == "6"
    assert _figure(html, "pol2_share") == "50.0 %"  # R-POL-2
    assert html.count("<canvas") >= 10 and "data-chart='{" in html
    assert "Progress toward the 2025 and 2027 goals" in html and "Overdue items by department" in html
    scripts = re.findall(r"<script([^>]*)>", html)
    assert scripts and all("src=" in attributes for attributes in scripts), "CSP script-src 'self': no inline script"
    assert "vendor/chart.js/chart.umd.min.js" in html and "js/charts.js" in html
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    assert client.get("/static/vendor/chart.js/chart.umd.min.js").status_code == 200


def test_county_branch_sees_its_county_by_default_and_may_widen(client, auth, world):
    auth.login("eeb_rencheng")
    html = client.get("/dashboard/?lang=en").get_data(as_text=True)
    assert '<option value="任城区" selected>' in html
    rencheng = reports.dashboard(Scope(county="任城区"), date.today())
    assert _figure(html, "in_scope") == str(rencheng.total.in_scope) == "4"
    everything = client.get("/dashboard/?lang=en&county=").get_data(as_text=True)
    assert _figure(everything, "in_scope") == "6"
    qufu = client.get("/dashboard/?lang=en&county=曲阜市").get_data(as_text=True)
    assert _figure(qufu, "accounted") == "13.552"


def test_city_departments_see_the_whole_city_by_default(client, auth, world):
    auth.login("commerce")
    html = client.get("/dashboard/?lang=en").get_data(as_text=True)
    assert "selected>" not in html.split('id="filter-county"')[1].split("</select>")[0]
    assert _figure(html, "in_scope") == "6"


def test_dashboard_xlsx_has_the_same_figures(client, auth, world):
    auth.login("auditor")
    response = client.get("/dashboard/export.xlsx?lang=en")
    book = load_workbook(io.BytesIO(response.data))
    figures = reports.dashboard(Scope(), date.today())
    assert book.sheetnames[0] == "Dashboard" and len(book.sheetnames) == 12
    by_county = {row[0]: row[1:4] for row in _rows(book, "Events by county")}
    assert by_county.pop("Total") == (7, 6, 3)
    assert by_county == {"Rencheng District": (5, 4, 2), "Qufu City": (2, 2, 1)}
    by_year = {row[0]: row[1] for row in _rows(book, "Events by year") if row[0] != "Total"}
    assert by_year == {year: tally.events for year, tally in figures.tally("year").items()}
    tonnes = [_tonnes(row[1]) for row in _rows(book, "Tonnes accounted, reduced and offset")]
    assert tonnes == [figures.accounted_tco2e, figures.reduced_tco2e, figures.offset_tco2e]
    instruments = _rows(book, "Offset by instrument")
    assert instruments[-1][0] == "Total" and _tonnes(instruments[-1][2]) == Decimal("38.250")
    assert sum(_tonnes(row[2]) for row in instruments[:-1]) == figures.offset_tco2e
    priorities = {row[0]: _tonnes(row[1]) for row in _rows(book, "Offset by priority")}
    assert priorities["Priority 3: national allowances (CEA)"] == Decimal(14)
    overdue = _rows(book, "Overdue items by department")
    assert overdue[-1][0] == "Total" and overdue[-1][-1] == sum(r.total for r in figures.overdue)


def test_xlsx_follows_the_filters(client, auth, world):
    auth.login("eeb_rencheng")
    book = load_workbook(io.BytesIO(client.get("/dashboard/export.xlsx?lang=en").data))
    about = dict(book.worksheets[0].iter_rows(values_only=True))
    assert about["County"] == "Rencheng District" and about["Year"] == "All years"
    totals = [row for row in _rows(book, "Events by county") if row[0] == "Total"]
    assert [row[:4] for row in totals] == [("Total", 5, 4, 2)] and float(totals[0][4]) == 50.0


def test_compliance_page_and_xlsx_list_the_deviations(client, auth, world):
    auth.login("auditor")
    html = client.get("/dashboard/compliance?lang=en").get_data(as_text=True)
    assert "减排措施不具体" in html and "机关节能宣传周" in html and "no inclusion units available" in html
    assert f'href="/events/{world.organs.id}"' in html
    book = load_workbook(io.BytesIO(client.get("/dashboard/compliance.xlsx?lang=en").data))
    assert book.sheetnames[0] == "Compliance report"
    [late] = _rows(book, "Cancellations after the 6-month deadline")
    assert late[1] == world.organs.id and _tonnes(late[6]) == Decimal(14) and late[-1] == "No"
    returns = _rows(book, "Returns and their reasons")
    assert [(r[0], r[-1]) for r in returns] == [(world.returned.id, "减排措施不具体")]
    late_plans = {row[0] for row in _rows(book, "Plans not published before the event started")}
    assert world.unpublished.id in late_plans
    deviations = _rows(book, "Priority deviations and their reasons")
    assert [(r[0], r[1], r[4]) for r in deviations] == [("Cancellation", world.organs.id, 3)]
    per_department = _rows(book, "Tasks overdue per department")
    assert per_department[-1][:2] == ("Total", len(_rows(book, "Overdue tasks")))


def test_compliance_of_a_county_branch_shows_only_what_it_may_see(client, auth, world):
    auth.login("eeb_rencheng")
    html = client.get("/dashboard/compliance?lang=en&county=").get_data(as_text=True)
    assert "机关节能宣传周" not in html and "孔子文化节" not in html
    assert "减排措施不具体" in html
