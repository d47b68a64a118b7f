"""The event and task pages: register, inbox, task forms, drafts, errors that keep input (issue #3)."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select

from models import AuditEntry, Event, HumanTask, db
from tests.conftest import csrf_token
from tests.lifecycle import complete, open_task, plan_data, register


def _registration_form(token: str, **overrides) -> dict:
    starts = date.today() + timedelta(days=40)
    data = {"csrf_token": token, "name": "运河文化节", "kind": "performance", "sector": "culture_tourism",
            "organizers": "济宁市文化产业协会\n济宁市文旅集团", "organizer_type": "social_organization",
            "participants": "350", "starts_on": starts.isoformat(), "ends_on": (starts + timedelta(days=1)).isoformat(),
            "venue": "太白楼广场", "county": "任城区"}
    data.update(overrides)
    return data


def test_organizer_registers_an_event_and_sees_its_first_task(client, auth, demo):
    auth.login("organizer2")
    token = csrf_token(client, "/events/new")
    response = client.post("/events/new", data=_registration_form(token))
    assert response.status_code == 302
    event = db.session.execute(select(Event)).scalar_one()
    assert event.organizers == ["济宁市文化产业协会", "济宁市文旅集团"] and event.tier.value == "self_commitment"
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "运河文化节" in page and "编制" in page  # the next step, in Chinese
    inbox = client.get("/tasks/").get_data(as_text=True)
    assert "运河文化节" in inbox


def test_registration_error_keeps_what_was_typed(client, auth, demo):
    auth.login("organizer")
    token = csrf_token(client, "/events/new")
    starts = date.today() + timedelta(days=10)
    response = client.post("/events/new?lang=en", data=_registration_form(
        token, ends_on=(starts - timedelta(days=3)).isoformat(), starts_on=starts.isoformat()))
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "cannot end before it starts" in html
    assert "太白楼广场" in html and "运河文化节" in html
    assert db.session.execute(select(Event)).first() is None


def test_departments_cannot_register_events(client, auth, demo):
    auth.login("eeb")
    assert client.get("/events/new").status_code == 403


def test_reviewer_returns_plan_on_the_page_and_comment_is_required(client, auth, demo):
    event = register(600)
    complete(event, "prepare_plan", "organizer", plan_data())
    task = open_task(event, "review_plan_sector")
    auth.login("commerce")
    url = f"/tasks/{task.id}"
    page = client.get(url).get_data(as_text=True)
    assert "济宁国际车展" in page
    token = csrf_token(client, url)
    missing = client.post(url, data={"csrf_token": token, "decision": "return", "comment": "", "action": "complete"})
    assert missing.status_code == 422
    done = client.post(url, data={"csrf_token": token, "decision": "return", "comment": "请补充交通排放",
                                  "action": "complete"})
    assert done.status_code == 302
    assert db.session.get(HumanTask, task.id).status == "completed"
    reasons = db.session.execute(select(AuditEntry.reason).where(AuditEntry.action == "plan.returned")).scalars()
    assert "请补充交通排放" in list(reasons)


def test_save_as_draft_keeps_an_unfinished_form(client, auth, demo):
    event = register(600)
    complete(event, "prepare_plan", "organizer", plan_data())
    task = open_task(event, "review_plan_eeb")
    auth.login("eeb_rencheng")
    url = f"/tasks/{task.id}"
    token = csrf_token(client, url)
    client.post(url, data={"csrf_token": token, "comment": "初步意见：同意", "action": "draft"})
    assert db.session.get(HumanTask, task.id).status == "open"
    assert "初步意见：同意" in client.get(url).get_data(as_text=True)


def test_another_department_gets_404_for_a_task(client, auth, demo):
    event = register(600)
    complete(event, "prepare_plan", "organizer", plan_data())
    task = open_task(event, "review_plan_sector")
    auth.login("sports")
    assert client.get(f"/tasks/{task.id}").status_code == 404


def test_claim_and_unclaim_on_the_page(client, auth, demo):
    event = register(600)
    complete(event, "prepare_plan", "organizer", plan_data())
    task = open_task(event, "review_plan_sector")
    auth.login("commerce")
    token = csrf_token(client, f"/tasks/{task.id}")
    assert client.post(f"/tasks/{task.id}/claim", data={"csrf_token": token}).status_code == 302
    assert db.session.get(HumanTask, task.id).claimed_by_id is not None
    assert client.post(f"/tasks/{task.id}/unclaim", data={"csrf_token": token}).status_code == 302
    assert db.session.get(HumanTask, task.id).claimed_by_id is None


def test_event_page_shows_diagram_and_history(client, auth, demo):
    event = register(600)
    auth.login("organizer")
    html = client.get(f"/events/{event.id}").get_data(as_text=True)
    assert 'id="bpmn-canvas"' in html and "prepare_plan" in html
    xml = client.get(f"/events/{event.id}/diagram.bpmn")
    assert xml.status_code == 200 and b"event_lifecycle" in xml.data


def test_organizer_cannot_see_another_organizers_event(client, auth, demo):
    event = register(600)
    auth.login("organizer2")
    assert client.get(f"/events/{event.id}").status_code == 404


def test_prepare_plan_page_renders_every_section(client, auth, demo):
    event = register(600)
    task = open_task(event, "prepare_plan")
    auth.login("organizer", follow=False)
    html = client.get(f"/tasks/{task.id}?lang=en").get_data(as_text=True)
    for text in ("Accounting boundary", "Estimated activities", "Planned reduction measures", "Planned offsets",
                 "Commissioned third-party body", "North China"):
        assert text in html


def test_markup_in_names_and_comments_renders_as_text(client, auth, demo):
    event = register(600, name="<b>车展</b><script>alert(1)</script>")
    complete(event, "prepare_plan", "organizer", plan_data())
    complete(event, "review_plan_sector", "commerce", {"decision": "return", "comment": "<img src=x onerror=alert(1)>"})
    complete(event, "review_plan_eeb", "eeb_rencheng", {"decision": "approve"})
    auth.login("organizer")
    for url in (f"/events/{event.id}", "/events/mine", f"/tasks/{open_task(event, 'prepare_plan').id}"):
        html = client.get(url).get_data(as_text=True)
        assert "<script>alert(1)</script>" not in html and "<img src=x" not in html
        assert "&lt;script&gt;" in html or "&lt;b&gt;" in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in client.get(f"/events/{event.id}").get_data(as_text=True)


def test_failed_automatic_step_needs_attention_and_admin_retries_it(client, auth, demo, monkeypatch):
    from models import ProcessInstance
    from processes import workflow as wf_module

    event = register(600)
    complete(event, "prepare_plan", "organizer", plan_data())
    original = wf_module._publish_plan

    def broken(*_args):
        raise RuntimeError("publication service unavailable")

    monkeypatch.setattr(wf_module, "_publish_plan", broken)
    complete(event, "review_plan_sector", "commerce", {"decision": "approve"})
    complete(event, "review_plan_eeb", "eeb_rencheng", {"decision": "approve"})
    instance = db.session.execute(select(ProcessInstance).where(ProcessInstance.event_id == event.id)).scalar_one()
    assert instance.status == "needs_attention" and "publication service unavailable" in instance.error
    assert event.plan_published_at is None
    monkeypatch.setattr(wf_module, "_publish_plan", original)
    auth.login("admin")
    page = client.get("/admin/processes").get_data(as_text=True)
    assert "publication service unavailable" in page
    token = csrf_token(client, "/admin/processes")
    assert client.post(f"/admin/processes/{event.id}/retry", data={"csrf_token": token}).status_code == 302
    db.session.refresh(instance)
    db.session.refresh(event)
    assert instance.status == "running" and event.plan_published_at is not None
    actions = set(db.session.execute(select(AuditEntry.action).where(AuditEntry.event_id == event.id)).scalars())
    assert {"process.step_failed", "process.retried", "plan.published"} <= actions


def test_plan_form_marks_factors_not_yet_verified_issue_5(client, auth, demo):
    """An organizer picking a factor sees which values are not yet checked against their source."""
    import re

    event = register(600)
    task = open_task(event, "prepare_plan")
    auth.login("organizer")
    for lang, marker in (("zh", "待核实"), ("en", "not yet verified against its source")):
        html = client.get(f"/tasks/{task.id}?lang={lang}").get_data(as_text=True)
        options = dict(re.findall(r'<option[^>]*value="([a-z0-9_]+)"[^>]*>([^<]*)</option>', html))
        assert marker not in options["grid_electricity_north_china_2022"]  # verified (MEE & NBS 2022)
        assert marker in options["meal_standard"]  # ADEME's data file, not the Base Carbone export: to-verify
        assert marker not in options["hotel_room_night"]  # DESNZ 2025 flat file, by factor ID (issue #16)
        assert marker in options["waste_incineration_msw_t"]


def test_my_events_and_event_list_are_paged_and_keep_the_filter(client, auth, demo):
    """An organizer with many events gets them 25 to a page; the bureau's list keeps its status filter."""
    import re

    for number in range(26):
        register(600, name=f"展会{number:02d}", starts_in_days=30 + number)
    auth.login("organizer")
    first = client.get("/events/mine?lang=en").get_data(as_text=True)
    assert len(set(re.findall(r'href="/events/(\d+)"', first))) == 25
    assert "展会25" in first and "展会00" not in first  # latest first
    assert "Page 1 of 2" in first and 'href="/events/mine?page=2"' in first
    second = client.get("/events/mine?page=2").get_data(as_text=True)
    assert "展会00" in second and "展会25" not in second
    auth.logout()
    auth.login("commerce")
    listing = client.get("/events/?status=planning").get_data(as_text=True)
    assert "page=2&amp;status=planning" in listing or "status=planning&amp;page=2" in listing


def test_bureau_staff_filter_events_by_text_status_and_overdue_R_TIME_1(client, auth, demo):
    """EEB staff chasing overdue work: the list narrows to what they asked for, and says so when a
    filter value is unknown."""
    from processes import workflow
    from processes.dates import add_months
    from tests.lifecycle import after_event, to_offsetting

    late = register(600, name="逾期展会")
    to_offsetting(late)
    due = add_months(late.ends_on, 6)
    workflow.tick(after_event(late, (due - late.ends_on).days + 1))
    db.session.commit()
    fresh = register(600, name="新展会")
    auth.login("eeb_rencheng")

    def shown(query: str) -> set[str]:
        html = client.get(f"/events/?{query}").get_data(as_text=True)
        return {name for name in ("逾期展会", "新展会") if name in html}

    assert shown("") == {"逾期展会", "新展会"}
    assert shown("overdue=1") == {"逾期展会"}
    assert shown("q=新展") == {"新展会"}
    assert shown("q=%25") == set()  # a literal %, not a wildcard
    assert shown(f"status={fresh.status.value}") == {"新展会"}
    response = client.get("/events/?status=nonsense&lang=en")
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "There is no status" in html and "新展会" in html
