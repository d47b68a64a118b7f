"""The public pages, no sign-in (R-DIS-1, R-PLAT-1): never an undisclosed event, a comment or a
person's name; the commitment PDF of disclosed events; the policy documents kept by EEB staff."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import select

from models import PolicyDocument, db
from processes.policies import seed_policies
from tests.conftest import csrf_token
from tests.disclosed import (
    REVIEW_COMMENT,
    SECRET_COMMENT,
    assert_no_personal_data,
    confirmed_self_commitment,
)
from tests.lifecycle import PDF, approve_all, complete, plan_data, register
from tests.pdftext import pdf_text, require_cjk_font


@pytest.fixture()
def events(demo):  # noqa: ANN001,ANN201
    """A disclosed event, one with a published plan, and one whose plan is still under review."""
    disclosed = confirmed_self_commitment(name="运河车展")
    planned = register(600, name="太白湖论坛")
    complete(planned, "prepare_plan", "organizer", plan_data())
    approve_all(planned)
    hidden = register(300, name="尚未发布的音乐节")
    complete(hidden, "prepare_plan", "organizer", plan_data())
    return {"disclosed": disclosed, "planned": planned, "hidden": hidden}


def test_public_list_needs_no_login_and_hides_unpublished_plans_R_DIS_1(client, events):
    response = client.get("/public/")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "运河车展" in html and "太白湖论坛" in html
    assert "尚未发布的音乐节" not in html
    assert_no_personal_data(html)
    assert "/public/" in client.get("/").get_data(as_text=True), "the nav links the public section for everyone"


@pytest.mark.parametrize("query, shown, hidden", [
    ("?q=论坛", "太白湖论坛", "运河车展"),
    ("?sector=culture_tourism", None, "运河车展"),
    ("?county=曲阜市", None, "太白湖论坛"),
])
def test_public_list_filters(client, events, query, shown, hidden):
    html = client.get("/public/" + query).get_data(as_text=True)
    if shown:
        assert shown in html
    assert hidden not in html


def test_unknown_filter_value_is_a_clear_error(client, events):
    assert client.get("/public/?year=abc").status_code == 422


def test_undisclosed_event_page_is_404(client, events):
    assert client.get(f"/public/events/{events['hidden'].id}").status_code == 404
    assert client.get("/public/events/999999").status_code == 404


def test_planned_event_page_shows_the_plan_and_an_honest_status(client, events):
    html = client.get(f"/public/events/{events['planned'].id}?lang=en").get_data(as_text=True)
    assert "Plan published" in html and "Carbon neutral" not in html
    assert "场馆使用绿电" in html and "6.776" in html
    assert "Cancellation records" not in html
    assert client.get(f"/public/events/{events['planned'].id}/commitment.pdf").status_code == 404


def test_disclosed_event_page_shows_records_and_nothing_internal_R_DIS_1(client, events):
    event = events["disclosed"]
    html = client.get(f"/public/events/{event.id}?lang=en").get_data(as_text=True)
    assert "Carbon neutral (confirmed and disclosed)" in html
    for disclosed in ("SDPH-2026-000001", "SDPH-2026-000014", "14.000", "a" * 64, "13.552", "大型活动碳中和自我承诺书"):
        assert disclosed in html
    assert_no_personal_data(html)
    assert SECRET_COMMENT not in html and REVIEW_COMMENT not in html
    assert "/files/" not in html, "never a link to an uploaded file"


def test_disclosed_commitment_pdf_is_public_R_TIER_2(app, client, events):
    require_cjk_font(app)
    response = client.get(f"/public/events/{events['disclosed'].id}/commitment.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    text = pdf_text(response.data)
    assert "运河车展" in text and "王经理" not in text


def test_missing_font_shows_a_clear_error_page(app, client, events, monkeypatch):
    monkeypatch.setitem(app.config, "PDF_FONT_PATH", "/nonexistent/font.ttc")
    response = client.get(f"/public/events/{events['disclosed'].id}/commitment.pdf?lang=en")
    assert response.status_code == 503
    assert "PDF_FONT_PATH" in response.get_data(as_text=True)


def test_policy_page_lists_the_seeded_documents_R_PLAT_1(client, app):
    seed_policies()
    db.session.commit()
    html = client.get("/public/policies").get_data(as_text=True)
    assert "济环字〔2023〕40号" in html and "大型活动碳中和实施指南（试行）" in html
    assert "/public/policies/new" not in html


@pytest.mark.parametrize("username, status", [("commerce", 403), ("organizer", 403), ("auditor", 403)])
def test_only_eeb_staff_may_edit_policies(client, auth, demo, username, status):
    auth.login(username)
    assert client.get("/public/policies/new").status_code == status


def test_anonymous_policy_editing_asks_to_sign_in(client, demo):
    response = client.get("/public/policies/new")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_eeb_staff_publish_a_policy_with_its_file_R_PLAT_1(client, auth, demo):
    auth.login("eeb_rencheng")
    token = csrf_token(client, "/public/policies/new")
    form = {"csrf_token": token, "title_zh": "济宁市大型活动碳中和工作指引", "title_en": "Guidance",
            "issuer": "济宁市生态环境局", "number": "济环发〔2025〕1号", "published_on": "2025-03-01", "url": "https://example.org/guidance",
            "summary": "如何开展", "document": (io.BytesIO(PDF), "guidance.pdf")}
    response = client.post("/public/policies/new", data=form, content_type="multipart/form-data")
    assert response.status_code == 302, response.get_data(as_text=True)
    policy = db.session.execute(select(PolicyDocument)).scalar_one()
    assert policy.upload is not None and policy.published_on.isoformat() == "2025-03-01"
    auth.logout()
    html = client.get("/public/policies").get_data(as_text=True)
    assert "济宁市大型活动碳中和工作指引" in html and "济环发〔2025〕1号" in html
    download = client.get(f"/public/policies/{policy.id}/file")
    assert download.status_code == 200 and download.data == PDF


def test_policy_form_keeps_input_and_rejects_script_links(client, auth, demo):
    auth.login("eeb")
    token = csrf_token(client, "/public/policies/new")
    response = client.post("/public/policies/new?lang=en", data={
        "csrf_token": token, "title_zh": "某指引", "issuer": "济宁市生态环境局", "url": "javascript:alert(1)"})
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and "某指引" in html
    assert db.session.execute(select(PolicyDocument)).first() is None


def test_event_page_links_the_commitment_and_audit_exports(client, auth, events):
    event = events["disclosed"]
    auth.login("organizer")
    html = client.get(f"/events/{event.id}").get_data(as_text=True)
    for url in (f"/events/{event.id}/commitment.pdf", f"/events/{event.id}/audit.csv",
                f"/events/{event.id}/audit.xlsx", f"/events/{event.id}/audit.pdf", f"/public/events/{event.id}"):
        assert url in html


def test_cancellations_are_public_as_soon_as_recorded_R_DIS_1(client, demo):
    from tests.lifecycle import after_event, cancellation, to_offsetting

    event = register(600, name="运河马拉松")
    to_offsetting(event)
    complete(event, "cancel_units", "organizer", cancellation(event, serial_from="SDPH-2026-000101"),
             now=after_event(event, 3))
    assert event.disclosed_at is None  # the verifier has not concluded yet
    html = client.get(f"/public/events/{event.id}").get_data(as_text=True)
    assert "SDPH-2026-000101" in html
    body = client.get(f"/api/v1/public/events/{event.id}").get_json()
    assert body["neutrality"] is None and body["cancellations"][0]["serial_from"] == "SDPH-2026-000101"
