"""Public disclosure (R-DIS-1, R-PLAT-1): only published plans, the honest public status at each
stage, only disclosed data (no personal data, no comments), the commitment PDF (R-TIER-2), and the
policy documents."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from models import Comment, Commitment, Event, PolicyDocument, db
from processes import disclosure, policies, reports_pdf, workflow
from processes.dates import local_today
from processes.disclosure import PublicStatus
from processes.errors import Forbidden, Invalid, NotFound
from tests.disclosed import (
    REVIEW_COMMENT,
    SECRET_COMMENT,
    assert_no_personal_data,
    confirmed_self_commitment,
    published,
    sign,
)
from tests.lifecycle import (
    account_data,
    after_event,
    approve_all,
    cancellation,
    complete,
    evaluation,
    plan_data,
    register,
    report_reductions,
    to_offsetting,
    user,
)
from tests.pdftext import pdf_text, require_cjk_font, squeezed


def status_of(event: Event, today: date) -> PublicStatus:
    overdue = event.id in disclosure.overdue_event_ids([event.id])
    return disclosure.public_status(event, overdue=overdue, today=today)


def published_ids() -> set[int]:
    return set(db.session.execute(disclosure.public_events_query().with_only_columns(Event.id)).scalars())


def test_public_status_reads_correctly_at_each_stage_R_DIS_1(demo):
    event = register(300)
    assert event.id not in published_ids()
    with pytest.raises(NotFound):
        disclosure.get_public_event(event.id)
    complete(event, "prepare_plan", "organizer", plan_data())
    assert event.id not in published_ids(), "a plan under review is not public (R-PLAN-1)"
    approve_all(event)
    assert event.id in published_ids()
    assert status_of(event, date.today()) == PublicStatus.PLANNED
    assert status_of(event, event.starts_on) == PublicStatus.REDUCING
    workflow.tick(after_event(event))
    db.session.commit()
    assert status_of(event, local_today(after_event(event))) == PublicStatus.REDUCING
    report_reductions(event, "0.5")
    assert status_of(event, local_today(after_event(event))) == PublicStatus.ACCOUNTING
    complete(event, "account_emissions", "organizer", account_data(), now=after_event(event, 2))
    assert status_of(event, local_today(after_event(event, 2))) == PublicStatus.OFFSETTING
    assert disclosure.public_event(event, date.today())["neutrality"] is None, "nothing disclosed before R-DIS-1"
    complete(event, "cancel_units", "organizer", cancellation(event), now=after_event(event, 3))
    assert status_of(event, local_today(after_event(event, 3))) == PublicStatus.CONFIRMING
    assert disclosure.public_event(event, date.today())["neutrality"] is None
    sign(event)
    assert event.disclosed_at is not None
    assert status_of(event, local_today(after_event(event, 4))) == PublicStatus.CONFIRMED


def test_missed_offset_deadline_reads_overdue_R_TIME_1(demo):
    event = register(300)
    to_offsetting(event, achieved="0.5")
    late = after_event(event, 200)
    workflow.tick(late)
    db.session.commit()
    assert disclosure.overdue_event_ids([event.id]) == {event.id}
    assert status_of(event, local_today(late)) == PublicStatus.OVERDUE
    data = disclosure.public_event(event, local_today(late))
    assert data["status"] == "overdue" and [d["status"] for d in data["deadlines"]] == ["overdue"]


def test_disclosed_event_shows_plan_statement_cancellations_and_commitment_R_DIS_1(demo):
    event = confirmed_self_commitment()
    data = disclosure.public_event(event, date.today())
    plan = data["plan"]
    assert plan["estimated_tco2e"] == "6.776" and plan["offset_method"] == [
        {"instrument": "sd_inclusion_forestry", "quantity_tco2e": "10.000"}]
    assert [b["category"] for b in plan["boundary"] if b["included"]] == ["venue_energy"]
    assert plan["measures"][0]["description"] == "场馆使用绿电"
    statement = data["neutrality"]
    assert statement["actual_tco2e"] == "13.552" and statement["offsets"]["cancelled_tco2e"] == "14.000"
    assert statement["reductions"][0]["achieved_tco2e"] == "0.500"
    record = statement["cancellations"][0]
    assert record == {
        "registry": "sd_inclusion_platform", "registry_name": None, "instrument": "sd_inclusion_forestry",
        "project_name": "泗水林业碳汇", "project_code": None, "vintage": 2025, "serial_from": "SDPH-2026-000001",
        "serial_to": "SDPH-2026-000014", "quantity_tco2e": "14.000",
        "cancelled_on": (event.ends_on + timedelta(days=1)).isoformat(), "evidence_sha256": "a" * 64,
        "registry_status": "no_data", "registry_record": None,  # no registry data imported (issue #22)
    }
    commitment = db.session.execute(select(Commitment)).scalar_one()
    confirmation = statement["confirmation"]
    assert confirmation["method"] == "self_commitment" and confirmation["sha256"] == commitment.sha256
    assert confirmation["declaration"] == commitment.declaration
    assert confirmation["signer_role"] == "organizer" and confirmation["signer_organization"] == "济宁会展服务有限公司"
    text = json.dumps(data, ensure_ascii=False)
    assert_no_personal_data(text)
    assert "signed_by" not in text and "donor" not in text and "upload" not in text


def test_third_party_disclosure_gives_the_conclusion_not_the_verifiers_comment_R_TIER_1(demo):
    event = register(600)
    to_offsetting(event, achieved="0.5")
    complete(event, "cancel_units", "organizer", cancellation(event), now=after_event(event, 3))
    complete(event, "third_party_evaluation", "verifier", evaluation(event) | {"comment": REVIEW_COMMENT},
             now=after_event(event, 10))
    data = disclosure.public_event(event, date.today())
    confirmation = data["neutrality"]["confirmation"]
    assert confirmation["method"] == "third_party" and confirmation["conclusion"] == "neutral"
    assert confirmation["body_name"] == "山东绿色低碳认证评价中心（演示）"
    assert confirmation["verified_tco2e"] == "13.552"
    assert confirmation["report_sha256"] == "a" * 64
    assert_no_personal_data(json.dumps(data, ensure_ascii=False))


def test_comments_never_reach_the_public_data(demo):
    event = confirmed_self_commitment()
    assert db.session.execute(select(Comment.body)).scalar_one() == SECRET_COMMENT
    listing = [disclosure.summary_item(e, overdue=False, today=date.today())
               for e in db.session.execute(disclosure.public_events_query()).scalars()]
    assert [item["id"] for item in listing] == [event.id]
    assert_no_personal_data(json.dumps(listing, ensure_ascii=False))


def test_search_by_year_sector_county_and_name(demo):
    expo = published("运河车展")
    festival = published("太白湖音乐节", sector="culture_tourism", starts_in_days=400)
    register(300, name="未发布的论坛")

    def ids(**args: str) -> list[int]:
        query = disclosure.public_events_query(disclosure.parse_filters(args))
        return [e.id for e in db.session.execute(query).scalars()]

    assert set(ids()) == {expo.id, festival.id}
    assert ids(sector="culture_tourism") == [festival.id]
    assert ids(year=str(festival.starts_on.year)) == [festival.id]  # 400 days on: always another year
    assert ids(county="任城区", q="车展") == [expo.id]
    assert ids(q="论坛") == [], "an unpublished plan is never found"
    assert ids(q="100%_") == []
    assert disclosure.parse_filters({"q": "  ", "year": ""}) == {}
    assert disclosure.public_years()[0] == festival.starts_on.year
    with pytest.raises(Invalid) as exc:
        disclosure.parse_filters({"year": "abc", "sector": "mining", "county": "北京"})
    assert set(exc.value.fields) == {"year", "sector", "county"}


def test_commitment_pdf_contains_every_element_R_TIER_2(app, demo):
    require_cjk_font(app)
    event = confirmed_self_commitment()
    commitment = db.session.execute(select(Commitment)).scalar_one()
    text = pdf_text(reports_pdf.commitment_pdf(event, commitment))
    flat = squeezed(text)
    elements = {
        "name": event.name, "organizers": "济宁会展服务有限公司", "scale": "300人",
        "dates": f"{event.starts_on.isoformat()}至{event.ends_on.isoformat()}", "boundary": "场馆能源消耗",
        "emissions": "13.552吨二氧化碳当量", "offset method": "14.000吨二氧化碳当量",
        "neutrality date": (event.ends_on + timedelta(days=3)).isoformat(),
        "confirmation method": "自我承诺，主办单位对真实性负责",
    }
    for element, expected in elements.items():
        assert squeezed(expected) in flat, f"{element} ({expected}) missing from the PDF"
    for label in ("活动名称", "主办单位", "活动规模", "举办时间", "温室气体核算边界", "温室气体排放量", "抵消方式",
                  "实现碳中和日期", "碳中和结果确认方式"):
        assert label in flat
    assert commitment.sha256 in flat
    assert "济宁会展服务有限公司" in flat and "organizer" in text.lower()
    assert "王经理" not in text, "the signer's organisation and role, never the person"


def test_missing_font_is_a_clear_error(app, monkeypatch):
    monkeypatch.setitem(app.config, "PDF_FONT_PATH", None)
    monkeypatch.setitem(app.config, "PDF_FONT_CANDIDATES", ("/nonexistent/font.ttc",))
    monkeypatch.delenv("PDF_FONT_PATH", raising=False)
    with pytest.raises(reports_pdf.FontMissing, match="fonts-wqy-microhei"):
        reports_pdf.font_path()
    monkeypatch.setitem(app.config, "PDF_FONT_PATH", "/nonexistent/configured.ttf")
    with pytest.raises(reports_pdf.FontMissing, match="configured.ttf"):
        reports_pdf.font_path()


def test_seed_policies_is_idempotent_R_PLAT_1(app):
    assert policies.seed_policies() == 2
    assert policies.seed_policies() == 0
    numbers = [p.number for p in policies.published()]
    assert "济环字〔2023〕40号" in numbers and "生态环境部公告2019年第19号" in numbers


def test_only_eeb_staff_maintain_policies_R_PLAT_1(demo):
    data = {"title_zh": "济宁市大型活动碳中和工作指引", "issuer": "济宁市生态环境局", "number": "济环发〔2025〕1号",
            "published_on": date(2025, 3, 1), "url": "https://example.org/policy.pdf", "summary": "指引"}
    with pytest.raises(Forbidden):
        policies.save_policy(user("commerce"), data)
    with pytest.raises(Invalid) as exc:
        policies.save_policy(user("eeb_rencheng"), data | {"url": "javascript:alert(1)", "issuer": " "})
    assert set(exc.value.fields) == {"url", "issuer"}
    policy = policies.save_policy(user("eeb_rencheng"), data)
    db.session.commit()
    assert policy.updated_by_id == user("eeb_rencheng").id
    with pytest.raises(Invalid) as exc:
        policies.save_policy(user("eeb"), data | {"title_zh": "另一份"})
    assert "number" in exc.value.fields
    db.session.rollback()
    policies.save_policy(user("eeb"), data | {"summary": "修订后的摘要"}, db.session.get(PolicyDocument, policy.id))
    db.session.commit()
    assert db.session.get(PolicyDocument, policy.id).summary == "修订后的摘要"

