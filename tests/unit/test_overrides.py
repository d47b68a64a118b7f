"""Audited administrator overrides (issue #10): reassign any open task, retry or skip a failed
automatic step, correct a task's saved data — admins only, always with a reason, always audited."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select

from models import AuditEntry, Department, Event, HumanTask, Organization, ProcessInstance, Role, db
from models.org import OrganizerType
from processes import accounts, events, overrides, workflow
from processes.errors import Conflict, Forbidden, Invalid
from processes.orgdata import COUNTIES
from processes.task_handlers import HANDLERS
from tests.conftest import csrf_token
from tests.lifecycle import complete, open_task, plan_data, register, registration, user


def _department(code: str) -> Department:
    return db.session.execute(select(Department).filter_by(code=code)).scalar_one()


def _entries(action: str) -> list[AuditEntry]:
    return list(db.session.execute(select(AuditEntry).where(AuditEntry.action == action)).scalars())


def _in_review() -> Event:
    event = register(600)
    complete(event, "prepare_plan", "organizer", plan_data())
    return event


def _failed_publication(monkeypatch) -> Event:  # noqa: ANN001
    event = _in_review()

    def broken(*_args: Any) -> None:
        raise RuntimeError("publication service unavailable")

    original = workflow._publish_plan
    monkeypatch.setattr(workflow, "_publish_plan", broken)
    complete(event, "review_plan_sector", "commerce", {"decision": "approve"})
    complete(event, "review_plan_eeb", "eeb_rencheng", {"decision": "approve"})
    monkeypatch.setattr(workflow, "_publish_plan", original)
    return event


def _instance(event: Event) -> ProcessInstance:
    return db.session.execute(select(ProcessInstance).where(ProcessInstance.event_id == event.id)).scalar_one()


# --------------------------------------------------------------------------- reassign
def test_admin_reassigns_a_task_to_a_person_of_its_lane(demo):
    event = _in_review()
    task = open_task(event, "review_plan_eeb")
    assert task.department_id == _department("eeb_rencheng").id
    overrides.reassign(user("admin"), task.id, "分局人手不足 the branch is short-staffed", to_user=user("eeb"))
    db.session.commit()
    assert task.department_id == _department("eeb").id and task.claimed_by_id == user("eeb").id
    assert not workflow.may_act(user("eeb_rencheng"), task)
    complete(event, "review_plan_eeb", "eeb", {"decision": "approve"})
    [entry] = _entries("override.reassigned")
    assert entry.actor == "admin" and entry.reason.startswith("分局人手不足") and entry.task == "review_plan_eeb"
    assert entry.detail["from"]["department_id"] == _department("eeb_rencheng").id
    assert entry.detail["to"] == {"organization_id": None, "department_id": _department("eeb").id,
                                  "verifier_body_id": None, "claimed_by_id": user("eeb").id}


def test_reassign_to_a_department_the_lane_allows(demo):
    event = _in_review()
    task = open_task(event, "review_plan_sector")
    with pytest.raises(Forbidden):
        overrides.reassign(user("admin"), task.id, "wrong bureau", to_department=_department("finance"))
    overrides.reassign(user("admin"), task.id, "商务局回避 commerce recused", to_department=_department("eeb"))
    db.session.commit()
    assert task.department_id == _department("eeb").id and task.claimed_by_id is None
    assert task in db.session.execute(workflow.inbox_query(user("eeb"))).scalars().all()
    assert task not in db.session.execute(workflow.inbox_query(user("commerce"))).scalars().all()


def test_only_people_who_may_act_in_the_lane(demo):
    event = _in_review()
    task = open_task(event, "review_plan_eeb")
    for username in ("finance", "organizer", "verifier", "auditor"):
        with pytest.raises(Forbidden):
            overrides.reassign(user("admin"), task.id, "try", to_user=user(username))
    people, departments = overrides.candidates(task, event)
    # the city bureau and every county branch's staff (the demo staffs each branch, issue #18)
    assert {u.username for u in people} == {"eeb"} | {f"eeb_{suffix}" for suffix, _zh, _en in COUNTIES}
    assert all(d.kind.value == "eeb" for d in departments)


def test_reassign_respects_separation_of_duties(demo):
    department = _department("sports")
    org = Organization(name="济宁市体育局", org_type=OrganizerType.PARTY_GOVERNMENT, department_id=department.id)
    db.session.add(org)
    db.session.flush()
    organizer = accounts.create_user("sports_org", "longenough1", Role.ORGANIZER, organization=org)
    event = events.register_event(organizer, registration(600, sector="sports") | {"organizers": [org.name]})
    db.session.commit()
    workflow.complete_task(organizer, open_task(event, "prepare_plan").id, plan_data(), HANDLERS)
    db.session.commit()
    task = open_task(event, "review_plan_sector")
    with pytest.raises(Forbidden):
        overrides.reassign(user("admin"), task.id, "sports knows best", to_user=user("sports"))
    with pytest.raises(Forbidden):
        overrides.reassign(user("admin"), task.id, "sports knows best", to_department=department)


def test_an_organizer_task_goes_to_a_colleague_who_then_holds_it(demo):
    event = register(600)
    colleague = accounts.create_user("organizer_b", "longenough1", Role.ORGANIZER,
                                     organization=user("organizer").organization)
    task = open_task(event, "prepare_plan")
    overrides.reassign(user("admin"), task.id, "王经理休假 on leave", to_user=colleague)
    db.session.commit()
    with pytest.raises(Forbidden):
        workflow.complete_task(user("organizer"), task.id, plan_data(), HANDLERS)
    db.session.rollback()
    complete(event, "prepare_plan", "organizer_b", plan_data())


def test_overrides_need_an_admin_and_a_reason(demo, monkeypatch):
    event = _in_review()
    task = open_task(event, "review_plan_eeb")
    with pytest.raises(Forbidden):
        overrides.reassign(user("eeb"), task.id, "lead wants it", to_user=user("eeb"))
    with pytest.raises(Invalid):
        overrides.reassign(user("admin"), task.id, "   ", to_user=user("eeb"))
    with pytest.raises(Invalid):
        overrides.reassign(user("admin"), task.id, "who?")
    with pytest.raises(Invalid):
        overrides.correct_data(user("admin"), task.id, {"comment": "x"}, "")
    with pytest.raises(Forbidden):
        overrides.correct_data(user("eeb_rencheng"), task.id, {"comment": "x"}, "mine")
    failed = _failed_publication(monkeypatch)
    for action in (overrides.skip_step, overrides.retry_step):
        with pytest.raises(Invalid):
            action(user("admin"), failed, "")
        with pytest.raises(Forbidden):
            action(user("eeb"), failed, "because")
    db.session.rollback()
    assert _entries("override.reassigned") == [] and _instance(failed).status == "needs_attention"


# --------------------------------------------------------------------------- failed steps
def test_skip_a_failed_step_marks_it_done_without_running_it(demo, monkeypatch):
    event = _failed_publication(monkeypatch)
    assert _instance(event).status == "needs_attention"
    overrides.skip_step(user("admin"), event, "计划已在政府网站人工发布 published by hand on the city website")
    db.session.commit()
    instance = _instance(event)
    assert instance.status == "running" and instance.error is None
    assert event.plan_published_at is None, "the service did not run"
    assert "event_ended" in workflow.diagram_state(event)["current"]
    [entry] = _entries("override.step_skipped")
    assert entry.task == "publish_plan" and "publication service unavailable" in entry.detail["error"]
    with pytest.raises(Conflict):
        overrides.skip_step(user("admin"), event, "again")


def test_retry_with_a_reason_is_audited(demo, monkeypatch):
    event = _failed_publication(monkeypatch)
    overrides.retry_step(user("admin"), event, "发布服务已恢复 the service is back")
    db.session.commit()
    assert event.plan_published_at is not None
    [entry] = _entries("process.retried")
    assert entry.reason == "发布服务已恢复 the service is back"


# --------------------------------------------------------------------------- data
def test_correct_the_saved_draft_of_an_open_task(demo):
    event = _in_review()
    task = open_task(event, "review_plan_eeb")
    workflow.save_draft(user("eeb_rencheng"), task.id, {"decision": "approve", "comment": "金额有误 wrong amount"})
    db.session.commit()
    overrides.correct_data(user("admin"), task.id, {"decision": "approve", "comment": "金额无误 amount checked"},
                           "审核人要求更正笔误 reviewer asked to fix a typo")
    db.session.commit()
    assert task.draft == {"decision": "approve", "comment": "金额无误 amount checked"}
    [entry] = _entries("override.data_corrected")
    assert entry.detail["fields"] == ["comment"]
    assert entry.detail["before"] == {"comment": "金额有误 wrong amount"}
    assert entry.detail["after"] == {"comment": "金额无误 amount checked"}
    with pytest.raises(Invalid):
        overrides.correct_data(user("admin"), task.id, dict(task.draft), "no change")
    with pytest.raises(Invalid):
        overrides.correct_data(user("admin"), task.id, ["not", "an", "object"], "bad")  # type: ignore[arg-type]
    complete(event, "review_plan_eeb", "eeb_rencheng", {"decision": "approve"})
    with pytest.raises(Conflict):
        overrides.correct_data(user("admin"), task.id, {"comment": "late"}, "too late")


def test_listing_for_the_compliance_report(demo, monkeypatch):
    first = _in_review()
    overrides.reassign(user("admin"), open_task(first, "review_plan_eeb").id, "leave", to_user=user("eeb"))
    second = _failed_publication(monkeypatch)
    overrides.skip_step(user("admin"), second, "by hand")
    db.session.commit()
    assert [e.action for e in overrides.listing()] == ["override.reassigned", "override.step_skipped"]
    assert [e.event_id for e in overrides.listing(event_ids=[second.id])] == [second.id]
    assert "override.reassigned" in overrides.GOVERNANCE_ACTIONS and "process.migrated" in overrides.GOVERNANCE_ACTIONS


# --------------------------------------------------------------------------- pages
def test_event_page_marks_overrides_and_admin_page_applies_them(client, auth, demo, monkeypatch):
    event = _failed_publication(monkeypatch)
    page = f"/admin/events/{event.id}/process"
    auth.login("eeb")
    assert client.get(page).status_code == 403
    token = csrf_token(client, "/account/password")
    response = client.post(f"/admin/events/{event.id}/step", data={"csrf_token": token, "action": "skip",
                                                                    "reason": "x"})
    assert response.status_code == 403 and _instance(event).status == "needs_attention"
    auth.logout()

    auth.login("admin")
    html = client.get(page).get_data(as_text=True)
    assert "publication service unavailable" in html and 'value="skip"' in html
    token = csrf_token(client, page)
    assert client.post(f"/admin/events/{event.id}/step", data={"action": "skip"}).status_code == 400, "no CSRF token"
    response = client.post(f"/admin/events/{event.id}/step", data={"csrf_token": token, "action": "skip", "reason": ""})
    assert response.status_code == 302 and _instance(event).status == "needs_attention", "a reason is required"
    client.post(f"/admin/events/{event.id}/step", data={"csrf_token": token, "action": "skip",
                                                         "reason": "published by hand"})
    assert _instance(event).status == "running"

    # Reassign and correct through the page.
    other = _in_review()
    task = open_task(other, "review_plan_eeb")
    page = f"/admin/events/{other.id}/process"
    token = csrf_token(client, page)
    client.post(f"/admin/events/{other.id}/tasks/{task.id}/reassign",
                data={"csrf_token": token, "to": f"user:{user('eeb').id}", "reason": "leave"})
    db.session.refresh(task)
    assert task.claimed_by_id == user("eeb").id
    client.post(f"/admin/events/{other.id}/tasks/{task.id}/data",
                data={"csrf_token": token, "data": '{"comment": "fixed"}', "reason": "typo"})
    db.session.refresh(task)
    assert task.draft == {"comment": "fixed"}
    show = client.get(f"/events/{other.id}").get_data(as_text=True)
    assert 'id="override-badge"' in show  # the actions in words (codes only in the auditors' trail)
    assert _title("override.reassigned") in show and _title("override.data_corrected") in show
    assert "typo" in show
    auth.logout()

    auth.login("organizer")  # everyone who sees the event sees that it was overridden
    assert 'id="override-badge"' in client.get(f"/events/{other.id}").get_data(as_text=True)
    assert client.get(page).status_code == 403
    assert db.session.get(HumanTask, task.id).status == "open"


def test_funding_reviewer_override_roundtrip_keeps_the_amount_rules(demo):
    event = register(600, funding=True)
    complete(event, "prepare_plan", "organizer", plan_data())
    task = open_task(event, "review_funding")
    overrides.reassign(user("admin"), task.id, "finance lead", to_department=_department("finance"))
    db.session.commit()
    complete(event, "review_funding", "finance", {"decision": "approve", "amount_cny": Decimal("1")})


def test_overrides_are_listed_in_the_compliance_report(client, auth, demo):
    event = _in_review()
    task = open_task(event, "review_plan_eeb")
    overrides.reassign(user("admin"), task.id, "分局人手不足", to_user=user("eeb"))
    db.session.commit()
    auth.login("auditor")
    html = client.get("/dashboard/compliance").get_data(as_text=True)
    assert _title("override.reassigned") in html and "分局人手不足" in html


def _title(action: str) -> str:
    """What a page shows for an audited action: its Chinese title (the pages' default language)."""
    from flask_babel import force_locale

    from webapp.tasks.titles import ACTION_TITLES

    with force_locale("zh_Hans_CN"):
        return str(ACTION_TITLES[action])
