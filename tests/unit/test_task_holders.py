"""No task without a holder (issue #18, R-DEPT-EEB): a county branch with nobody active never swallows
an EEB task, the city EEB lead sees and hands on every branch's tasks, and the demo staffs every branch."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from models import AuditEntry, Department, User, db
from models.org import Role
from processes import accounts, workflow
from processes.demo import DEMO_USERS
from processes.errors import Forbidden, NotFound
from processes.orgdata import COUNTIES, COUNTY_NAMES
from tests.lifecycle import complete, open_task, plan_data, register, user


def _department(code: str) -> Department:
    return db.session.execute(select(Department).filter_by(code=code)).scalar_one()


def _in_eeb_review(county: str):  # noqa: ANN202
    event = register(600, county=county)
    complete(event, "prepare_plan", "organizer", plan_data())
    return event, open_task(event, "review_plan_eeb")


def _inbox(username: str) -> list:
    return list(db.session.execute(workflow.inbox_query(user(username))).scalars())


def _created_entry(task) -> AuditEntry:  # noqa: ANN001
    entries = db.session.execute(select(AuditEntry).where(AuditEntry.action == "task.created")).scalars()
    return next(e for e in entries if e.detail["human_task_id"] == task.id)


def test_demo_has_a_staff_account_for_every_county_branch(demo):
    staffed = {u.department.county for u in db.session.execute(select(User)).scalars()
               if u.department is not None and u.department.county and u.role == Role.DEPARTMENT_STAFF and u.active}
    assert staffed == set(COUNTY_NAMES)
    # each is a demo account with the published password, so production refuses to start while active
    assert {f"eeb_{suffix}" for suffix, _zh, _en in COUNTIES} <= set(accounts.active_demo_accounts())
    assert all(user(f"eeb_{suffix}").demo for suffix, _zh, _en in COUNTIES)
    assert len({name for name, *_ in DEMO_USERS}) == len(DEMO_USERS)


def test_an_event_outside_rencheng_is_reviewed_by_its_own_branch_R_DEPT_EEB(demo):
    event, task = _in_eeb_review("曲阜市")
    assert task.department_id == _department("eeb_qufu").id
    assert task in _inbox("eeb_qufu") and task not in _inbox("eeb_rencheng")
    complete(event, "review_plan_eeb", "eeb_qufu", {"decision": "approve"})


@settings(max_examples=11, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(county=st.sampled_from(COUNTIES))
def test_a_branch_without_active_staff_never_swallows_the_task(demo, county):
    suffix, zh, _en = county
    for person in db.session.execute(select(User).where(User.department_id == _department(f"eeb_{suffix}").id)):
        person[0].active = False
    db.session.commit()
    try:
        _event, task = _in_eeb_review(zh)
        assert task.department_id == _department("eeb").id  # the city bureau holds it
        assert task in _inbox("eeb")
        routing = _created_entry(task).detail["routing"]
        assert f"eeb_{suffix}" in routing and "no active staff" in routing
    finally:
        for person in db.session.execute(select(User).where(User.department_id == _department(f"eeb_{suffix}").id)):
            person[0].active = True
        db.session.commit()


def test_a_branch_whose_only_member_is_no_department_role_counts_as_empty(demo):
    user("eeb_weishan").active = False
    stray = accounts.create_user("stray", "long-and-unusual-9", Role.AUDITOR, display_name="走错部门",
                                 department=_department("eeb_weishan"))
    db.session.commit()
    _event, task = _in_eeb_review("微山县")
    assert stray.department_id == _department("eeb_weishan").id
    assert task.department_id == _department("eeb").id


def test_the_city_lead_sees_every_branch_task_and_may_decide_it(demo):
    event, task = _in_eeb_review("邹城市")
    assert task.department_id == _department("eeb_zoucheng").id
    assert task in _inbox("eeb")
    assert workflow.get_task_for(user("eeb"), task.id) is task
    complete(event, "review_plan_eeb", "eeb", {"decision": "approve"})
    assert task.completed_by_id == user("eeb").id


def test_a_lead_also_sees_what_a_colleague_has_claimed(demo):
    _event, task = _in_eeb_review("邹城市")
    workflow.claim(user("eeb_zoucheng"), task.id)
    db.session.commit()
    assert task in _inbox("eeb") and task in _inbox("eeb_zoucheng")


def test_branch_staff_and_other_leads_do_not_see_a_branch_task(demo):
    _event, task = _in_eeb_review("金乡县")
    accounts.create_user("finance_lead", "long-and-unusual-9", Role.DEPARTMENT_LEAD, display_name="财政局 科长",
                         department=_department("finance"))
    accounts.create_user("qufu_lead", "long-and-unusual-9", Role.DEPARTMENT_LEAD, display_name="曲阜分局 局长",
                         department=_department("eeb_qufu"))
    db.session.commit()
    for outsider in ("eeb_rencheng", "eeb_qufu", "qufu_lead", "finance_lead", "drc", "organizer2", "verifier"):
        assert task not in _inbox(outsider), outsider
        with pytest.raises(NotFound):
            workflow.get_task_for(user(outsider), task.id)


def test_a_branch_lead_sees_the_branch_but_not_the_city_bureau(demo):
    user("eeb_sishui").active = False  # 泗水's task goes to the city
    accounts.create_user("qufu_lead", "long-and-unusual-9", Role.DEPARTMENT_LEAD, display_name="曲阜分局 局长",
                         department=_department("eeb_qufu"))
    db.session.commit()
    _event, city_task = _in_eeb_review("泗水县")
    _event, branch_task = _in_eeb_review("曲阜市")
    assert city_task.department_id == _department("eeb").id
    assert city_task not in _inbox("qufu_lead") and branch_task in _inbox("qufu_lead")


def test_the_city_lead_hands_a_branch_task_to_a_city_colleague_audited(demo):
    colleague = accounts.create_user("eeb_city_staff", "long-and-unusual-9", Role.DEPARTMENT_STAFF,
                                     display_name="生态环境局 王科员", department=_department("eeb"))
    db.session.commit()
    event, task = _in_eeb_review("嘉祥县")
    targets = {u.username for u in workflow.lanes.reassign_targets(user("eeb"), task)}
    assert targets == {"eeb", "eeb_city_staff", "eeb_jiaxiang"}
    workflow.reassign(user("eeb"), task.id, colleague, "分局人员休假")
    db.session.commit()
    assert task.department_id == _department("eeb").id and task.claimed_by_id == colleague.id
    entry = db.session.execute(select(AuditEntry).where(AuditEntry.action == "task.reassigned")).scalar_one()
    assert entry.reason == "分局人员休假"
    assert entry.detail["department"] == {"from": _department("eeb_jiaxiang").id, "to": _department("eeb").id}
    assert task not in _inbox("eeb_jiaxiang")
    complete(event, "review_plan_eeb", "eeb_city_staff", {"decision": "approve"})


def test_the_city_lead_hands_a_branch_task_to_the_branch_keeping_its_department(demo):
    _event, task = _in_eeb_review("汶上县")
    workflow.reassign(user("eeb"), task.id, user("eeb_wenshang"))
    db.session.commit()
    assert task.department_id == _department("eeb_wenshang").id and task.claimed_by_id == user("eeb_wenshang").id
    entry = db.session.execute(select(AuditEntry).where(AuditEntry.action == "task.reassigned")).scalar_one()
    assert "department" not in entry.detail


@pytest.mark.parametrize("target", ["eeb_qufu", "finance", "organizer", "verifier", "auditor"])
def test_nobody_outside_the_branch_or_the_city_bureau_receives_it(demo, target):
    _event, task = _in_eeb_review("梁山县")
    with pytest.raises(Forbidden):
        workflow.reassign(user("eeb"), task.id, user(target))


def test_staff_cannot_reassign_and_a_disabled_colleague_is_no_target(demo):
    _event, task = _in_eeb_review("鱼台县")
    with pytest.raises(Forbidden):
        workflow.reassign(user("eeb_yutai"), task.id, user("eeb_yutai"))
    user("eeb_yutai").active = False
    db.session.commit()
    with pytest.raises(Forbidden):
        workflow.reassign(user("eeb"), task.id, user("eeb_yutai"))
