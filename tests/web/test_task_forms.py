"""Forms that fit the work (issue #18, part C): more rows without script, the planned measure over each
reported reduction, the chosen factor's unit and totals for the script, lines imported from a
spreadsheet for review, and every refusal (422, and 409 for serials already cancelled, R-CAN-2) bringing
the form back with what was typed and uploaded, the error on its row."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal
from functools import partial
from io import BytesIO

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select

from models import AuditEntry, HumanTask, db
from models.accounting import ActivityLine
from models.offsets import Cancellation
from models.uploads import Upload
from processes import workflow
from tests.conftest import csrf_token
from tests.lifecycle import (
    ELECTRICITY,
    PDF,
    after_event,
    cancellation,
    complete,
    open_task,
    plan_data,
    register,
    to_offsetting,
)

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _value(html: str, name: str) -> str | None:
    """The value an input named `name` shows on the page."""
    match = re.search(rf'<input[^>]*name="{re.escape(name)}"[^>]*>', html)
    if match is None:
        return None
    value = re.search(r'value="([^"]*)"', match.group(0))
    return value.group(1) if value else ""


def _selected(html: str, name: str) -> str | None:
    select_ = re.search(rf'<select[^>]*name="{re.escape(name)}".*?</select>', html, re.S)
    option = re.search(r'<option[^>]*selected[^>]*value="([^"]*)"|<option[^>]*value="([^"]*)"[^>]*selected',
                       select_.group(0)) if select_ else None
    return (option.group(1) or option.group(2)) if option else None


def _cancel_line(token: str, serial_from: str, serial_to: str, event) -> dict:  # noqa: ANN001
    day = (event.ends_on + timedelta(days=1)).isoformat()
    return {"csrf_token": token, "action": "complete",
            "cancellations-0-instrument": "", "cancellations-0-quantity_tco2e": "",  # a blank row first
            "cancellations-1-instrument": "sd_inclusion_forestry", "cancellations-1-registry": "sd_inclusion_platform",
            "cancellations-1-project": "泗水林业碳汇二期", "cancellations-1-vintage": "2025",
            "cancellations-1-serial_from": serial_from, "cancellations-1-serial_to": serial_to,
            "cancellations-1-quantity_tco2e": "14", "cancellations-1-cancelled_on": day,
            "cancellations-1-donor": "济宁市某捐赠企业",
            "cancellations-1-certificate_file": (BytesIO(PDF), "注销证明.pdf")}


def test_r_can_2_a_409_brings_the_form_back_with_every_line_and_the_uploaded_certificate(
        client, auth, demo, monkeypatch):
    first, second = register(300), register(300, name="第二场车展")
    to_offsetting(first)
    complete(first, "cancel_units", "organizer", cancellation(first, serial_from="SDPH-2026-000001"),
             now=after_event(first, 3))
    to_offsetting(second)
    monkeypatch.setattr(workflow, "complete_task", partial(workflow.complete_task, now=after_event(second, 3)))
    task = open_task(second, "cancel_units")
    auth.login("organizer")
    url = f"/tasks/{task.id}?lang=en"
    uploads_before = db.session.scalar(select(func.count()).select_from(Upload))
    response = client.post(url, data=_cancel_line(csrf_token(client, url), "sdph 2026 000005", "SDPH-2026-000018",
                                                  second), content_type="multipart/form-data")
    html = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "already" in html.lower()  # the service's message, on the page, not a bare error page
    assert _value(html, "cancellations-1-project") == "泗水林业碳汇二期"
    assert _value(html, "cancellations-1-serial_from") == "sdph 2026 000005"
    assert _value(html, "cancellations-1-donor") == "济宁市某捐赠企业"
    assert _selected(html, "cancellations-1-registry") == "sd_inclusion_platform"
    # the certificate stays uploaded: its id is in the form, its row in the database
    upload_id = int(_value(html, "cancellations-1-certificate"))
    assert db.session.get(Upload, upload_id).filename == "注销证明.pdf"
    assert db.session.scalar(select(func.count()).select_from(Upload)) == uploads_before + 1
    assert f"Attached file #{upload_id}" in html
    # the error sits on the row that holds the serials (the page's second row, the service's first)
    row = re.search(r'<input[^>]*name="cancellations-1-serial_from"[^>]*>', html).group(0)
    assert "is-invalid" in row
    assert "is-invalid" not in re.search(r'<input[^>]*name="cancellations-0-serial_from"[^>]*>', html).group(0)
    assert open_task(second, "cancel_units").status == "open"
    assert db.session.scalar(select(func.count()).select_from(Cancellation)
                             .where(Cancellation.event_id == second.id)) == 0
    assert db.session.execute(select(AuditEntry).where(AuditEntry.event_id == second.id, AuditEntry.action
                                                       == "offsets.double_counting_refused")).first()
    # sending it again, corrected, works with the certificate kept (no new file)
    data = _cancel_line(csrf_token(client, url), "SDPH-2026-000101", "SDPH-2026-000114", second)
    data.pop("cancellations-1-certificate_file")
    data["cancellations-1-certificate"] = str(upload_id)
    again = client.post(url, data=data, content_type="multipart/form-data")
    assert again.status_code == 302
    row = db.session.execute(select(Cancellation).where(Cancellation.event_id == second.id)).scalar_one()
    assert row.project_name == "泗水林业碳汇二期" and row.donor == "济宁市某捐赠企业"


def test_a_422_keeps_the_typed_lines_and_marks_the_row(client, auth, demo):
    event = register(600)
    task = open_task(event, "prepare_plan")
    auth.login("organizer")
    url = f"/tasks/{task.id}?lang=en"
    response = client.post(url, data={
        "csrf_token": csrf_token(client, url), "action": "complete",
        "estimate-0-factor_key": ELECTRICITY, "estimate-0-quantity": "12.5",
        "estimate-1-factor_key": ELECTRICITY, "estimate-1-quantity": "-3", "estimate-1-note": "负数 typo",
        "measures-0-kind": "green_electricity", "measures-0-description": "场馆使用绿电"})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert _value(html, "estimate-0-quantity") == "12.5" and _value(html, "estimate-1-note") == "负数 typo"
    assert "is-invalid" in re.search(r'<input[^>]*name="estimate-1-quantity"[^>]*>', html).group(0)
    assert "is-invalid" not in re.search(r'<input[^>]*name="estimate-0-quantity"[^>]*>', html).group(0)
    assert _value(html, "measures-0-description") == "场馆使用绿电"


@pytest.mark.parametrize("listing", ["estimate", "measures", "offset_plan"])
def test_more_rows_without_script_keeps_what_was_typed_and_adds_empty_rows(client, auth, demo, listing):
    event = register(600)
    task = open_task(event, "prepare_plan")
    auth.login("organizer")
    url = f"/tasks/{task.id}"
    page = client.get(url).get_data(as_text=True)
    shown = len(set(re.findall(rf'name="{listing}-(\d+)-', page)))
    assert 'value="more-' + listing + '"' in page  # the button is a submit: no script needed
    data = {"csrf_token": csrf_token(client, url), "action": f"more-{listing}",
            "estimate-0-factor_key": ELECTRICITY, "estimate-0-quantity": "6500",
            "measures-0-description": "使用可循环展台", "new_sink_project": "y"}
    for index in range(shown):
        data.setdefault(f"{listing}-{index}-note" if listing == "estimate" else f"{listing}-{index}-reason"
                        if listing == "offset_plan" else f"{listing}-{index}-kind", "")
    response = client.post(url, data=data)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert len(set(re.findall(rf'name="{listing}-(\d+)-', html))) == shown + 2
    assert _value(html, "estimate-0-quantity") == "6500" and _value(html, "measures-0-description") == "使用可循环展台"
    assert _selected(html, "estimate-0-factor_key") == ELECTRICITY
    assert "checked" in re.search(r'<input[^>]*name="new_sink_project"[^>]*>', html).group(0)
    task = db.session.get(HumanTask, task.id)
    assert task.status == "open" and not task.draft  # nothing submitted, nothing saved
    assert db.session.scalar(select(func.count()).select_from(ActivityLine)
                             .where(ActivityLine.event_id == event.id)) == 0


def test_more_rows_does_not_grow_the_boundary_or_past_the_line_limit(client, auth, demo):
    event = register(600)
    task = open_task(event, "prepare_plan")
    auth.login("organizer")
    url = f"/tasks/{task.id}"
    data = {"csrf_token": csrf_token(client, url), "action": "more-boundary"}
    html = client.post(url, data=data).get_data(as_text=True)
    assert len(set(re.findall(r'name="boundary-(\d+)-', html))) == 6
    data = {"csrf_token": csrf_token(client, url), "action": "more-estimate",
            **{f"estimate-{i}-quantity": "" for i in range(500)}}
    response = client.post(url, data=data)
    assert response.status_code == 200
    assert len(set(re.findall(r'name="estimate-(\d+)-', response.get_data(as_text=True)))) == 500
    response = client.post(url, data={"csrf_token": data["csrf_token"], "action": "more-csrf_token"})
    assert response.status_code == 200  # not a list: the page as it was


def test_each_reported_reduction_is_headed_by_its_planned_measure(client, auth, demo):
    event = register(600)
    plan = plan_data()
    plan["measures"].append({"kind": "fewer_single_use", "description": "展台材料重复使用",
                             "expected_tco2e": Decimal("2.5")})
    complete(event, "prepare_plan", "organizer", plan)
    from tests.lifecycle import approve_all
    approve_all(event)
    workflow.tick(after_event(event))
    db.session.commit()
    task = open_task(event, "report_reductions")
    auth.login("organizer")
    html = client.get(f"/tasks/{task.id}?lang=en").get_data(as_text=True)
    headings = re.findall(r'<tr class="table-light measure-heading">(.*?)</tr>', html, re.S)
    assert len(headings) == 2
    assert "场馆使用绿电" in headings[0] and "1" in headings[0]
    assert "展台材料重复使用" in headings[1] and "2.5" in headings[1]
    assert "measures-1-achieved_tco2e" in html.split(headings[1], 1)[1]  # the heading precedes its row
    assert "More rows" not in html  # the measures reported are the ones planned


def test_factor_options_carry_their_unit_and_value_for_the_script_and_no_inline_script(client, auth, demo):
    event = register(600)
    task = open_task(event, "prepare_plan")
    auth.login("organizer")
    response = client.get(f"/tasks/{task.id}")
    html = response.get_data(as_text=True)
    option = re.search(rf'<option[^>]*value="{ELECTRICITY}"[^>]*>', html).group(0)
    assert 'data-unit="kWh"' in option and 'data-kg="0.6776' in option and 'data-category="venue_energy"' in option
    assert '<script src="/static/js/rows.js' in html
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html)  # the CSP forbids inline script
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    assert client.get("/static/js/rows.js").status_code == 200


# --------------------------------------------------------------------------- XLSX import
def _workbook(rows: list[list]) -> BytesIO:
    book = Workbook()
    sheet = book.active
    sheet.append(["factor", "quantity", "unit", "distance", "people", "note"])
    for row in rows:
        sheet.append(row)
    out = BytesIO()
    book.save(out)
    out.seek(0)
    return out


def test_xlsx_template_round_trip_fills_the_rows_for_review(client, auth, demo):
    event = register(600)
    task = open_task(event, "prepare_plan")
    auth.login("organizer")
    template = client.get(f"/tasks/{task.id}/lines-template.xlsx")
    assert template.status_code == 200 and template.mimetype == XLSX
    book = load_workbook(BytesIO(template.data))
    sheet = book.worksheets[0]
    assert sheet["A1"].value == "排放源（因子代码或名称）"  # headed in the UI's language
    factor_keys = [row[0] for row in book.worksheets[1].iter_rows(min_row=2, values_only=True)]
    assert ELECTRICITY in factor_keys
    sheet.delete_rows(2)  # the example line
    sheet.append([ELECTRICITY, 6500, "kWh", None, None, "主场馆"])
    sheet.append([None] * 6)  # an empty line in between is skipped
    sheet.append([ELECTRICITY, 1234.5, None, None, None, "分会场"])
    filled = BytesIO()
    book.save(filled)
    filled.seek(0)
    url = f"/tasks/{task.id}"
    response = client.post(url, data={
        "csrf_token": csrf_token(client, url), "action": "import-estimate", "measures-0-description": "已填写的措施",
        "estimate_xlsx": (filled, "lines.xlsx")}, content_type="multipart/form-data")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert _value(html, "estimate-0-quantity") == "6500" and _value(html, "estimate-0-note") == "主场馆"
    assert _value(html, "estimate-1-quantity") == "1234.5" and _value(html, "estimate-1-unit") == "kWh"
    assert _selected(html, "estimate-1-factor_key") == ELECTRICITY
    assert _value(html, "estimate-2-quantity") is None  # the lines replace the list
    assert _value(html, "measures-0-description") == "已填写的措施"  # the rest of the form is kept
    assert db.session.get(HumanTask, task.id).status == "open"  # imported for review, not submitted
    assert db.session.scalar(select(func.count()).select_from(ActivityLine)
                             .where(ActivityLine.event_id == event.id)) == 0


def test_bad_xlsx_rows_are_named_by_line_and_the_good_ones_kept(client, auth, demo):
    event = register(600)
    task = open_task(event, "prepare_plan")
    auth.login("organizer")
    url = f"/tasks/{task.id}?lang=en"
    sheet = _workbook([[ELECTRICITY, 100, "kWh", None, None, "好的"],
                       ["no_such_factor", 5, None, None, None, None],
                       [ELECTRICITY, "abc", None, None, None, None],
                       [ELECTRICITY, 1, "MWh", None, None, None],
                       [ELECTRICITY, 10 ** 12, None, None, None, None],
                       [ELECTRICITY, None, None, 12.5, 0, None]])
    response = client.post(url, data={"csrf_token": csrf_token(client, url), "action": "import-estimate",
                                      "estimate_xlsx": (sheet, "lines.xlsx")}, content_type="multipart/form-data")
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "5 lines of the spreadsheet need a correction" in html
    assert "Line 2 (spreadsheet row 3): “no_such_factor” is not an emission source" in html
    assert "Line 3 (spreadsheet row 4): A number from 0 to" in html
    assert "Line 4 (spreadsheet row 5): The unit must be the factor&#39;s unit, kWh." in html
    assert "Line 5 (spreadsheet row 6)" in html and "Line 6 (spreadsheet row 7): A whole number from 1" in html
    assert "Line 1 " not in html
    assert _value(html, "estimate-0-quantity") == "100" and _value(html, "estimate-2-quantity") == "abc"
    assert "is-invalid" in re.search(r'<input[^>]*name="estimate-2-quantity"[^>]*>', html).group(0)
    assert db.session.get(HumanTask, task.id).status == "open"


@pytest.mark.parametrize(("content", "name"), [(b"not a spreadsheet", "lines.xlsx"), (PDF, "lines.pdf"),
                                               (b"", "x.xlsx")])
def test_a_file_that_is_not_a_workbook_is_refused_with_the_form_kept(client, auth, demo, content, name):
    event = register(600)
    task = open_task(event, "prepare_plan")
    auth.login("organizer")
    url = f"/tasks/{task.id}?lang=en"
    response = client.post(url, data={"csrf_token": csrf_token(client, url), "action": "import-estimate",
                                      "estimate-0-note": "保留", "estimate_xlsx": (BytesIO(content), name)},
                           content_type="multipart/form-data")
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "XLSX" in html and _value(html, "estimate-0-note") == "保留"


def test_the_template_is_only_for_the_task_s_holder_and_line_tasks(client, auth, demo):
    event = register(600)
    task = open_task(event, "prepare_plan")
    for username in ("organizer2", "eeb"):
        auth.login(username)
        assert client.get(f"/tasks/{task.id}/lines-template.xlsx").status_code in (403, 404)
        auth.logout()
    assert client.get(f"/tasks/{task.id}/lines-template.xlsx").status_code == 302  # to the sign-in page
    complete(event, "prepare_plan", "organizer", plan_data())
    review = open_task(event, "review_plan_sector")
    auth.login("commerce")
    assert client.get(f"/tasks/{review.id}/lines-template.xlsx").status_code == 404


# --------------------------------------------------------------------------- the participant change
def test_a_refused_participant_change_keeps_its_values_and_shows_the_error_by_the_field(client, auth, demo):
    event = register(300)
    auth.login("organizer")
    url = f"/events/{event.id}?lang=en"
    response = client.post(f"/events/{event.id}/participants?lang=en", data={
        "csrf_token": csrf_token(client, url), "participants": "2000000", "reason": "新增嘉宾两百人"})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert _value(html, "participants") == "2000000" and _value(html, "reason") == "新增嘉宾两百人"
    error = re.search(r'id="participants-error">([^<]*)<', html)
    assert error and "1,000,000" in error.group(1)
    assert 'id="reason-error"' not in html
    assert db.session.get(type(event), event.id).participants == 300
    response = client.post(f"/events/{event.id}/participants?lang=en", data={
        "csrf_token": csrf_token(client, url), "participants": "320", "reason": "  "})
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and _value(html, "participants") == "320"
    assert re.search(r'id="reason-error">[^<]*Say why', html)
