"""Process audit: a tampered audit row is found by verify_chain, `flask audit verify` and
`GET /api/v1/audit/verify`; an event's trail exports as CSV, XLSX and a PDF report."""

from __future__ import annotations

import csv
import io
from datetime import UTC, timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import select, text, update

from models import AuditEntry, Event, db
from processes import audit, audit_export, reports_pdf
from tests.disclosed import confirmed_self_commitment
from tests.lifecycle import complete, plan_data, register
from tests.pdftext import pdf_text, require_cjk_font, squeezed
from webapp.tasks.titles import ACTION_TITLES, STEP_TITLES

FORMULA = '=HYPERLINK("https://example.org","click")'
TITLES = audit_export.Titles(ACTION_TITLES, STEP_TITLES)


def returned_event() -> tuple[Event, int]:
    """An event whose plan was returned with a reason; return it and the seq of `plan.returned`."""
    event = register(300)
    complete(event, "prepare_plan", "organizer", plan_data())
    complete(event, "review_plan_sector", "commerce", {"decision": "return", "comment": FORMULA})
    seq = db.session.execute(select(AuditEntry.seq).where(
        AuditEntry.event_id == event.id, AuditEntry.action == "plan.returned")).scalar_one()
    return event, seq


def assert_broken_at(seq: int, runner, client, api_token) -> None:  # noqa: ANN001
    db.session.expire_all()
    report = audit.verify_chain()
    assert not report.ok and report.first_broken_seq == seq, report
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 1 and f"seq {seq}" in result.output, result.output
    body = client.get("/api/v1/audit/verify", headers=api_token("auditor")).get_json()
    assert body["ok"] is False and body["first_broken_seq"] == seq


def test_intact_chain_verifies(demo, runner, client, api_token):
    returned_event()
    assert audit.verify_chain().ok
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 0 and "intact" in result.output
    assert client.get("/api/v1/audit/verify", headers=api_token("auditor")).get_json()["ok"] is True


def test_tampered_reason_is_detected(demo, runner, client, api_token):
    _event, seq = returned_event()
    db.session.execute(text("UPDATE audit_entry SET reason = :reason WHERE seq = :seq"),
                       {"reason": "看起来无害的理由", "seq": seq})
    db.session.commit()
    assert_broken_at(seq, runner, client, api_token)


def test_tampered_detail_is_detected(demo, runner, client, api_token):
    event, _seq = returned_event()
    first = db.session.execute(select(AuditEntry.seq).where(AuditEntry.event_id == event.id)
                               .order_by(AuditEntry.seq)).scalars().first()
    table = AuditEntry.__table__
    db.session.execute(update(table).where(table.c.seq == first).values(detail={"participants": 150}))
    db.session.commit()
    assert_broken_at(first, runner, client, api_token)


def test_deleted_entry_breaks_the_link_of_the_next(demo, runner, client, api_token):
    _event, seq = returned_event()
    db.session.execute(text("DELETE FROM audit_entry WHERE seq = :seq"), {"seq": seq})
    db.session.commit()
    assert_broken_at(seq + 1, runner, client, api_token)


def _csv_rows(event: Event) -> list[dict[str, str]]:
    """The CSV's rows keyed by the export's column names (its headings are in the UI's language)."""
    heading, *rows = csv.reader(io.StringIO(audit_export.export_csv(event, TITLES)))
    assert heading[:4] == ["No.", "When (Beijing time)", "Who (username)", "Role"], heading  # (English in unit tests)
    return [dict(zip(audit_export.FILE_COLUMNS, row, strict=True)) for row in rows]


def test_csv_export_has_every_entry_and_flags_a_tampered_one(demo):
    event, seq = returned_event()
    rows = _csv_rows(event)
    assert [int(r["seq"]) for r in rows] == sorted(int(r["seq"]) for r in rows)
    assert len(rows) == len(db.session.execute(select(AuditEntry.seq).where(AuditEntry.event_id == event.id)).all())
    assert {r["intact"] for r in rows} == {"yes"}
    returned = next(r for r in rows if int(r["seq"]) == seq)
    assert returned["reason"] == "'" + FORMULA, "spreadsheet formulas are neutralised"
    assert returned["actor"] == "commerce" and returned["task"] == "review_plan_sector" and len(returned["hash"]) == 64
    # issue 18: in words beside the codes, the time in Beijing time
    assert (returned["role"], returned["action_title"], returned["action"]) == ("Department staff", "plan returned",
                                                                               "plan.returned")
    entry = db.session.get(AuditEntry, seq)
    assert returned["at"] == (entry.at.replace(tzinfo=entry.at.tzinfo or UTC) + timedelta(hours=8)).strftime(
        "%Y-%m-%d %H:%M:%S")
    db.session.execute(text("UPDATE audit_entry SET reason = 'x' WHERE seq = :seq"), {"seq": seq})
    db.session.commit()
    db.session.expire_all()
    assert [int(r["seq"]) for r in _csv_rows(event) if r["intact"] == "no"] == [seq]


def test_xlsx_export_has_entries_path_and_event(demo):
    event, seq = returned_event()
    workbook = load_workbook(io.BytesIO(audit_export.export_xlsx(event, TITLES)))
    assert workbook.sheetnames == ["Audit trail", "Path taken", "Event"]
    audit_sheet = workbook["Audit trail"]
    header = [c.value for c in audit_sheet[1]]
    assert len(header) == len(audit_export.FILE_COLUMNS) and "Why" in header
    reasons = [row[header.index("Why")] for row in audit_sheet.iter_rows(min_row=2, values_only=True)]
    assert "'" + FORMULA in reasons
    path = [row[1:] for row in workbook["Path taken"].iter_rows(min_row=2, values_only=True)]
    assert path == [("Prepare the carbon-neutrality plan", "prepare_plan"),
                    ("Review the plan (sector bureau)", "review_plan_sector")]


def test_audit_report_pdf(app, demo):
    require_cjk_font(app)
    event, _seq = returned_event()
    flat = squeezed(pdf_text(reports_pdf.audit_report_pdf(event, TITLES)))
    assert squeezed(event.name) in flat and "plan.returned" in flat and "HYPERLINK" in flat
    assert squeezed("Prepare the carbon-neutrality plan") in flat, "the BPMN path taken"
    assert squeezed("The audit chain is intact") in flat


@pytest.mark.parametrize("username, status", [
    ("organizer", 200), ("organizer2", 404), ("commerce", 200), ("auditor", 200), ("verifier", 403), (None, 302),
])
def test_who_may_download_the_audit_trail(client, auth, demo, username, status):
    event, _seq = returned_event()
    if username:
        auth.login(username)
    for fmt in ("csv", "xlsx"):
        assert client.get(f"/events/{event.id}/audit.{fmt}").status_code == status


def test_commitment_pdf_of_an_event_page_is_for_its_readers(app, client, auth, demo):
    require_cjk_font(app)
    event = confirmed_self_commitment()
    for username, status in (("organizer", 200), ("organizer2", 404), ("verifier", 403), ("auditor", 200)):
        auth.login(username)
        response = client.get(f"/events/{event.id}/commitment.pdf")
        assert response.status_code == status, username
        auth.logout()
    unsigned, _seq = returned_event()
    auth.login("organizer")
    assert client.get(f"/events/{unsigned.id}/commitment.pdf").status_code == 404
