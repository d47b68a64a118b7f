"""New sink projects: the lock to one event and no other mechanism (R-OFF-2), deadlines (R-TIME-2),
validation by Natural Resources only (R-DEPT-NR), supervision rows."""

from __future__ import annotations

import secrets
from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from models import AuditEntry, User, db
from models.sinks import SinkProject, SinkStatus
from models.uploads import Upload
from processes import audit
from processes.errors import Conflict, Forbidden, Invalid
from processes.sinks import (
    add_monitoring_report,
    claim_other_mechanism,
    register_sink_project,
    sink_covered_tco2e,
    sink_deadlines,
    sink_rows,
    validate_sink_project,
)

TODAY = date.today()


@pytest.fixture(autouse=True)
def _request_context(app):  # noqa: ANN001,ANN202
    """Service errors render lazy translations, whose locale comes from the request."""
    with app.test_request_context():
        yield


def user(username: str) -> User:
    return db.session.execute(select(User).filter_by(username=username)).scalar_one()


def upload_for(uploader: User, event=None, content_type: str = "application/pdf") -> Upload:  # noqa: ANN001
    row = Upload(sha256=secrets.token_hex(32), size=9, filename="report.pdf", content_type=content_type,
                 stored_name=secrets.token_hex(16), uploaded_by_id=uploader.id, event_id=event.id if event else None)
    db.session.add(row)
    db.session.flush()
    return row


def actions(action: str) -> list[AuditEntry]:
    return list(db.session.execute(select(AuditEntry).where(AuditEntry.action == action)).scalars())


def project_data(**extra: object) -> dict:
    values = {"name": "泗水县泗张镇荒山造林碳汇项目", "sink_type": "forestry", "location": "泗张镇王家庄村",
              "county": "泗水县", "area_ha": "35.5", "expected_tco2e": "1200", "crediting_period_years": "20",
              "applied_on": (TODAY - timedelta(days=1)).isoformat()}
    values.update(extra)
    return values


@pytest.fixture()
def ended_event(make_event):  # noqa: ANN001,ANN201
    event = make_event(days_from_now=-60, name="运河马拉松")
    db.session.commit()
    return event


def register(event, **extra: object) -> SinkProject:  # noqa: ANN001
    return register_sink_project(event, project_data(**extra), user("organizer"), TODAY)


def test_register_sink_project_on_time(ended_event):
    project = register(ended_event)
    assert project.status is SinkStatus.REGISTERED and project.application_late is False
    assert project.expected_tco2e == Decimal("1200") and project.crediting_period_years == 20
    assert project.other_mechanism_claimed is False
    assert actions("sink.registered")[0].event_id == ended_event.id


def test_r_time_2_late_application_accepted_and_flagged(make_event):
    event = make_event(days_from_now=-500, length_days=1)
    project = register(event, applied_on=TODAY.isoformat())
    assert project.application_late is True
    assert actions("sink.application_late")[0].reason == "R-TIME-2"
    assert sink_deadlines(event, TODAY)["application_late"] is True


def test_register_refuses_bad_fields_and_future_dates(ended_event):
    with pytest.raises(Invalid) as err:
        register(ended_event, sink_type="desert", area_ha="-1", expected_tco2e="x", crediting_period_years="1.5",
                 applied_on=(TODAY + timedelta(days=3)).isoformat())
    assert set(err.value.fields) == {"sink_type", "area_ha", "expected_tco2e", "crediting_period_years", "applied_on"}


def test_register_only_by_the_events_organizer(ended_event):
    with pytest.raises(Forbidden):
        register_sink_project(ended_event, project_data(), user("organizer2"), TODAY)


def test_r_off_2_one_project_per_event(ended_event):
    register(ended_event)
    with pytest.raises(Conflict):
        register(ended_event, name="另一个项目", location="别处")


@pytest.mark.parametrize("how", ["project_id", "project_code", "same name and place"])
def test_r_off_2_project_locked_to_its_event_refused_and_audited(ended_event, make_event, how):
    first = register(ended_event, project_code="SD-LY-2025-017")
    db.session.commit()
    second = make_event(days_from_now=-10, name="孔子文化节")
    db.session.commit()
    extra = {"project_id": {"project_id": str(first.id)}, "project_code": {"project_code": "SD-LY-2025-017",
                                                                             "name": "新名字"},
             "same name and place": {}}[how]
    with pytest.raises(Conflict) as err:
        register(second, **extra)
    assert "already used for another event" in str(err.value.message)  # words for the user; the rule's id
    violations = actions("sink.lock_violation")  # is in the audit trail's reason
    assert len(violations) == 1 and violations[0].event_id == second.id and violations[0].reason == "R-OFF-2"
    assert violations[0].detail["locked_to_event_id"] == ended_event.id
    assert db.session.execute(select(SinkProject).where(SinkProject.event_id == second.id)).first() is None


def test_r_off_2_claim_under_ccer_or_other_mechanism_refused_and_audited(ended_event):
    project = register(ended_event)
    db.session.commit()
    with pytest.raises(Forbidden) as err:
        claim_other_mechanism(project, user("organizer"), mechanism="ccer")
    assert err.value.status == 403
    refused = actions("sink.other_mechanism_refused")
    assert len(refused) == 1 and refused[0].detail == {"project_id": project.id, "mechanism": "ccer"}
    assert db.session.get(SinkProject, project.id).other_mechanism_claimed is False
    assert audit.verify_chain().ok


def test_r_off_2_database_refuses_other_mechanism_flag(ended_event):
    project = register(ended_event)
    project.other_mechanism_claimed = True
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()


def test_r_dept_nr_only_natural_resources_validates(ended_event):
    project = register(ended_event)
    for username in ("organizer", "eeb", "auditor"):
        with pytest.raises(Forbidden):
            validate_sink_project(project, {"decision": "approve", "validated_tco2e": "10"}, user(username), TODAY)


def test_r_dept_nr_validation_needs_a_monitoring_report(ended_event):
    project = register(ended_event)
    with pytest.raises(Invalid) as err:
        validate_sink_project(project, {"decision": "approve", "validated_tco2e": "800"}, user("nr"), TODAY)
    assert "monitoring_report" in err.value.fields


def test_r_dept_nr_validate_with_monitoring_report(ended_event):
    project = register(ended_event)
    add_monitoring_report(project, upload_for(user("organizer"), ended_event), user("organizer"), "第一次监测",
                          today=TODAY)
    report = upload_for(user("nr"))
    validate_sink_project(project, {"decision": "approve", "validated_tco2e": "812.5", "monitoring_report": report.id,
                                    "validated_on": TODAY.isoformat()}, user("nr"), TODAY)
    assert project.status is SinkStatus.VALIDATED and project.validated_tco2e == Decimal("812.5")
    assert project.validated_by_id == user("nr").id and project.validation_late is False
    assert [r.note for r in project.monitoring_reports] == ["第一次监测", None]
    assert sink_covered_tco2e(ended_event) == Decimal("812.5")
    assert sink_deadlines(ended_event, TODAY)["validation_status"] == "met"
    with pytest.raises(Conflict):
        validate_sink_project(project, {"decision": "approve", "validated_tco2e": "1"}, user("nr"), TODAY)


def test_r_dept_nr_return_needs_comment_then_approve(ended_event):
    project = register(ended_event)
    with pytest.raises(Invalid) as err:
        validate_sink_project(project, {"decision": "return"}, user("nr"), TODAY)
    assert "comment" in err.value.fields
    validate_sink_project(project, {"decision": "return", "comment": "缺少样地调查数据"}, user("nr"), TODAY)
    assert project.status is SinkStatus.RETURNED and sink_covered_tco2e(ended_event) == Decimal(0)
    assert actions("sink.returned")[0].reason == "缺少样地调查数据"
    add_monitoring_report(project, upload_for(user("organizer"), ended_event), user("organizer"), today=TODAY)
    validate_sink_project(project, {"decision": "approve", "validated_tco2e": "900"}, user("nr"), TODAY)
    assert project.status is SinkStatus.VALIDATED and project.validated_on == TODAY


def test_monitoring_report_must_be_pdf_or_image_and_by_owner_or_nr(ended_event):
    project = register(ended_event)
    with pytest.raises(Invalid):
        add_monitoring_report(project, upload_for(user("organizer"), ended_event, "text/csv"), user("organizer"))
    with pytest.raises(Forbidden):
        add_monitoring_report(project, upload_for(user("organizer2")), user("organizer2"))


def test_r_time_2_late_validation_accepted_and_flagged(make_event):
    event = make_event(days_from_now=-800, length_days=1)
    project = register(event, applied_on=(event.ends_on + timedelta(days=100)).isoformat())
    add_monitoring_report(project, upload_for(user("organizer"), event), user("organizer"), today=TODAY)
    validate_sink_project(project, {"decision": "approve", "validated_tco2e": "100"}, user("nr"), TODAY)
    assert project.validation_late is True and actions("sink.validation_late")[0].reason == "R-TIME-2"
    deadlines = sink_deadlines(event, TODAY)
    assert deadlines["validation_status"] == "met" and deadlines["validation_late"] is True
    assert deadlines["application_status"] == "met" and deadlines["application_late"] is False


def test_r_time_2_deadlines_one_and_two_years_after_the_end(make_event):
    event = make_event(ends_on=date(2024, 2, 29), starts_on=date(2024, 2, 28))
    due = sink_deadlines(event, date(2024, 6, 1))
    assert (due["application_due"], due["validation_due"]) == ("2025-02-28", "2026-02-28")
    assert (due["application_status"], due["validation_status"]) == ("due", "due")
    later = sink_deadlines(event, date(2025, 3, 1))
    assert (later["application_status"], later["validation_status"]) == ("overdue", "due")
    assert sink_deadlines(event, date(2026, 3, 1))["validation_status"] == "overdue"


def test_sink_rows_for_the_supervision_page(ended_event, make_event):
    project = register(ended_event)
    add_monitoring_report(project, upload_for(user("organizer"), ended_event), user("organizer"), "春季", today=TODAY)
    old = make_event(days_from_now=-900, length_days=1, name="旧活动")
    register(old, name="微山湖海草床", sink_type="marine", location="微山湖", county="微山县",
             applied_on=(old.ends_on + timedelta(days=30)).isoformat())
    rows = sink_rows(today=TODAY)
    assert [r["event_name"] for r in rows] == ["运河马拉松", "旧活动"]
    first = rows[0]
    assert first["expected_tco2e"] == "1200.000" and first["area_ha"] == "35.50" and first["status"] == "registered"
    assert first["monitoring_reports"][0]["note"] == "春季" and first["other_mechanism_claimed"] is False
    assert first["application_status"] == "met" and first["validation_status"] == "due"
    assert [r["county"] for r in sink_rows({"county": "微山县"}, today=TODAY)] == ["微山县"]
    assert [r["name"] for r in sink_rows({"overdue": "true"}, today=TODAY)] == ["微山湖海草床"]
    assert sink_rows({"status": "validated"}) == []
    assert len(sink_rows({"year": str(ended_event.ends_on.year), "organization_id": ended_event.organization_id}))
    with pytest.raises(Invalid):
        sink_rows({"status": "lost"})
