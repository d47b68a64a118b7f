"""Separation of duties (issue #10): routing away from the organizing department, refusals, conflicts."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import select

from models import AuditEntry, Department, Organization, VerifierBody, VerifierConflict, db
from models.org import OrganizerType, Role
from processes import accounts, events, workflow
from processes.errors import Forbidden, Invalid
from processes.task_handlers import HANDLERS
from tests.lifecycle import complete, open_task, plan_data, registration, user


def _department_organizer(code: str, username: str) -> object:
    department = db.session.execute(select(Department).filter_by(code=code)).scalar_one()
    org = Organization(name=department.name_zh, org_type=OrganizerType.PARTY_GOVERNMENT, department_id=department.id)
    db.session.add(org)
    db.session.flush()
    return accounts.create_user(username, "longenough1", Role.ORGANIZER, organization=org)


def test_sports_bureau_event_is_reviewed_by_eeb_and_the_routing_is_audited(demo):
    organizer = _department_organizer("sports", "sports_org")
    event = events.register_event(organizer, registration(600, sector="sports") | {"organizers": ["济宁市体育局"]})
    db.session.commit()
    workflow.complete_task(organizer, open_task(event, "prepare_plan").id, plan_data(), HANDLERS)
    db.session.commit()
    review = open_task(event, "review_plan_sector")
    assert review.department_id != user("sports").department_id
    assert db.session.get(Department, review.department_id).code.startswith("eeb")
    routed = db.session.execute(select(AuditEntry).where(
        AuditEntry.action == "task.created", AuditEntry.task == "review_plan_sector")).scalar_one()
    assert "separation of duties" in routed.detail["routing"]


def test_finance_cannot_approve_funding_of_its_own_event(demo):
    organizer = _department_organizer("finance", "finance_org")
    event = events.register_event(organizer, registration(600, funding=True) | {"organizers": ["济宁市财政局"]})
    db.session.commit()
    workflow.complete_task(organizer, open_task(event, "prepare_plan").id, plan_data(), HANDLERS)
    db.session.commit()
    task = open_task(event, "review_funding")
    with pytest.raises(Forbidden):
        workflow.complete_task(user("finance"), task.id, {"decision": "approve", "amount_cny": Decimal(1)}, HANDLERS)
    with pytest.raises(Forbidden):
        workflow.claim(user("finance"), task.id)
    assert db.session.execute(select(AuditEntry).where(AuditEntry.action == "duties.refused")).first()
    db.session.rollback()
    assert open_task(event, "review_funding").status == "open"


def test_conflicted_verifier_body_cannot_be_commissioned(demo):
    event = events.register_event(user("organizer"), registration(600))
    db.session.commit()
    body = db.session.execute(select(VerifierBody)).scalars().first()
    db.session.add(VerifierConflict(verifier_body_id=body.id, organization_id=event.organization_id,
                                    reason="同一集团下属单位"))
    db.session.commit()
    with pytest.raises(Invalid) as exc:
        complete(event, "prepare_plan", "organizer", plan_data())
    assert "同一集团下属单位" in str(exc.value.fields["verifier_body"][0])


def test_plan_form_shows_why_a_body_cannot_be_chosen(client, auth, demo):
    event = events.register_event(user("organizer"), registration(600))
    db.session.commit()
    body = db.session.execute(select(VerifierBody)).scalars().first()
    db.session.add(VerifierConflict(verifier_body_id=body.id, organization_id=event.organization_id,
                                    reason="咨询服务合同"))
    db.session.commit()
    auth.login("organizer")
    html = client.get(f"/tasks/{open_task(event, 'prepare_plan').id}").get_data(as_text=True)
    assert "咨询服务合同" in html and "disabled" in html


def test_api_refuses_own_event_decision_with_403_and_reason(client, demo, api_token):
    organizer = _department_organizer("finance", "finance_org")
    event = events.register_event(organizer, registration(600, funding=True) | {"organizers": ["济宁市财政局"]})
    db.session.commit()
    workflow.complete_task(organizer, open_task(event, "prepare_plan").id, plan_data(), HANDLERS)
    db.session.commit()
    task = open_task(event, "review_funding")
    response = client.post(f"/api/v1/tasks/{task.id}/complete", headers=api_token("finance"),
                           json={"decision": "approve", "amount_cny": "100"})
    assert response.status_code == 403
    english = client.post(f"/api/v1/tasks/{task.id}/complete?lang=en", headers=api_token("finance"),
                          json={"decision": "approve", "amount_cny": "100"})
    assert "separation of duties" in english.get_json()["message"]


def test_eeb_reassigns_the_verifier_when_accreditation_lapses_R_TIER_1(demo):
    from datetime import date

    event = events.register_event(user("organizer"), registration(600))
    db.session.commit()
    complete(event, "prepare_plan", "organizer", plan_data())
    new_body = VerifierBody(name="济宁低碳评价有限公司", accreditation_no="CNCA-R-2025-0088",
                            valid_until=date(2030, 1, 1))
    db.session.add(new_body)
    db.session.commit()
    with pytest.raises(Forbidden):
        events.reassign_verifier(user("commerce"), event, new_body.id, "认证过期")
    with pytest.raises(Invalid):
        events.reassign_verifier(user("eeb"), event, new_body.id, "")
    events.reassign_verifier(user("eeb"), event, new_body.id, "原机构认证已过期")
    db.session.commit()
    assert event.verifier_body_id == new_body.id
    entry = db.session.execute(select(AuditEntry).where(AuditEntry.action == "verifier.reassigned")).scalar_one()
    assert entry.reason == "原机构认证已过期"
