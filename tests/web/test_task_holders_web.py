"""The city EEB lead on the pages (issue #18, R-DEPT-EEB): every branch's EEB task in the inbox, and the
existing reassign action hands it to the branch or to a city colleague."""

from __future__ import annotations

from sqlalchemy import select

from models import Department, User, db
from models.org import Role
from processes import accounts
from tests.conftest import csrf_token
from tests.lifecycle import complete, open_task, plan_data, register, user


def _branch_review(county: str = "兖州区"):  # noqa: ANN202
    event = register(600, county=county, name="兖州国际马拉松博览会")
    complete(event, "prepare_plan", "organizer", plan_data())
    return open_task(event, "review_plan_eeb")


def test_the_city_lead_finds_a_branch_review_in_the_inbox_and_opens_it(client, auth, demo):
    task = _branch_review()
    auth.login("eeb")
    inbox = client.get("/tasks/").get_data(as_text=True)
    assert "兖州国际马拉松博览会" in inbox and f"/tasks/{task.id}" in inbox
    assert "兖州区分局" in inbox  # who holds it: the branch
    page = client.get(f"/tasks/{task.id}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "兖州区分局 王科员" in html and 'name="user_id"' in html  # the reassign choice


def test_the_city_lead_reassigns_a_branch_review_to_a_city_colleague(client, auth, demo):
    city = db.session.execute(select(Department).filter_by(code="eeb")).scalar_one()
    colleague = accounts.create_user("eeb_city", "long-and-unusual-9", Role.DEPARTMENT_STAFF,
                                     display_name="生态环境局 钱科员", department=city)
    db.session.commit()
    task = _branch_review()
    auth.login("eeb")
    token = csrf_token(client, f"/tasks/{task.id}")
    response = client.post(f"/tasks/{task.id}/reassign", data={"csrf_token": token, "user_id": colleague.id})
    assert response.status_code == 302
    db.session.refresh(task)
    assert task.claimed_by_id == colleague.id and task.department_id == city.id
    auth.logout()
    auth.login("eeb_yanzhou")
    assert client.get(f"/tasks/{task.id}").status_code == 404  # no longer the branch's


def test_reassigning_to_someone_outside_answers_403_and_changes_nothing(client, auth, demo):
    task = _branch_review()
    auth.login("eeb")
    token = csrf_token(client, f"/tasks/{task.id}")
    outsider = db.session.execute(select(User).filter_by(username="eeb_qufu")).scalar_one()
    response = client.post(f"/tasks/{task.id}/reassign", data={"csrf_token": token, "user_id": outsider.id})
    assert response.status_code == 403
    db.session.refresh(task)
    assert task.claimed_by_id is None and task.department_id == user("eeb_yanzhou").department_id


def test_branch_staff_of_another_county_get_404(client, auth, demo):
    task = _branch_review()
    auth.login("eeb_rencheng")
    assert "兖州国际马拉松博览会" not in client.get("/tasks/").get_data(as_text=True)
    assert client.get(f"/tasks/{task.id}").status_code == 404
