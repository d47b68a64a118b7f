"""Attacks on the departments' lanes (section 五): each department acts only in its own lane and for the
events it answers for — the sector bureaus by sector (R-DEPT-COM, R-DEPT-CT, R-DEPT-SPO, R-DEPT-GOA),
the county branch of the venue (R-DEPT-EEB), Finance only when funding is requested (R-DEPT-FIN),
Natural Resources for sink projects (R-DEPT-NR), the Development and Reform Commission reading
everything and deciding nothing (R-DEPT-DRC). Service layer and the JSON API."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest

from models import Department, Event, User, db
from processes import events, workflow
from processes.errors import Forbidden, Invalid, NotFound
from processes.task_handlers import HANDLERS
from tests.lifecycle import (
    after_event,
    approve_all,
    complete,
    open_names,
    open_task,
    plan_data,
    register,
    registration,
    to_offsetting,
    upload_for,
    user,
)
from tests.promises.steps import apply_for_sink, organ

pytestmark = pytest.mark.usefixtures("demo")

SECTOR_BUREAUS = ("commerce", "culture", "sports", "goa")
NOT_DECIDING = ("drc", "finance", "nr", "eeb_qufu", "organizer", "organizer2", "verifier")


def _planned(organizer: User, funding: bool = False, **values: Any) -> Event:
    """An event registered with `values` (and a funding request) whose plan is submitted for review."""
    event = events.register_event(organizer, registration(600, funding=funding) | values)
    db.session.commit()
    workflow.complete_task(organizer, open_task(event, "prepare_plan").id, plan_data(), HANDLERS)
    db.session.commit()
    return event


def _refused(username: str, event: Event, name: str, data: dict[str, Any]) -> None:
    """`username` cannot decide the event's open task `name` (not theirs: 404, nothing written)."""
    task = open_task(event, name)
    with pytest.raises(NotFound):
        workflow.complete_task(user(username), task.id, data, HANDLERS)
    db.session.rollback()
    assert open_task(event, name).id == task.id


def _department(task_name: str, event: Event) -> str:
    return db.session.get(Department, open_task(event, task_name).department_id).code


# --- R-DEPT-COM, R-DEPT-CT, R-DEPT-SPO, R-DEPT-GOA: the sector bureau of the event's sector --------------


@pytest.mark.parametrize(("kind", "sector", "bureau"), [
    ("exhibition", "commerce", "commerce"),  # R-DEPT-COM
    ("performance", "culture_tourism", "culture"),  # R-DEPT-CT
    ("competition", "sports", "sports"),  # R-DEPT-SPO
    ("meeting", "government", "goa"),  # R-DEPT-GOA: an organ's internal event
])
def test_r_dept_com_ct_spo_goa_only_the_events_sector_bureau_signs_off(kind, sector, bureau):
    organizer = organ() if sector == "government" else user("organizer")
    organizer_type = "party_government" if sector == "government" else "enterprise"
    event = _planned(organizer, kind=kind, sector=sector, organizer_type=organizer_type)
    assert _department("review_plan_sector", event) == bureau
    for other in (*(b for b in SECTOR_BUREAUS if b != bureau), *NOT_DECIDING, "eeb_rencheng"):
        _refused(other, event, "review_plan_sector", {"decision": "approve"})
    for other in (b for b in SECTOR_BUREAUS if b != bureau):  # another sector's events are not in its view
        with pytest.raises(NotFound):
            events.get_event_for(user(other), event.id)
    complete(event, "review_plan_sector", bureau, {"decision": "approve"})
    assert open_names(event) == {"review_plan_eeb"}


@pytest.mark.parametrize(("kind", "sector", "bureau"), [
    ("competition", "commerce", "sports"),
    ("competition", "culture_tourism", "sports"),
    ("performance", "sports", "culture"),
])
def test_r_dept_spo_ct_a_competition_or_performance_is_never_signed_off_by_another_sectors_bureau(kind, sector,
                                                                                                  bureau):
    """A sports competition is refused under another sector or reviewed by the Sports Bureau (and a
    performance by Culture and Tourism), whatever sector the organizer ticks."""
    try:
        event = _planned(user("organizer"), kind=kind, sector=sector)
    except Invalid as exc:
        assert "sector" in exc.fields
        return
    assert _department("review_plan_sector", event) == bureau


def test_r_dept_spo_commerce_cannot_claim_or_review_a_sports_event_through_the_api(client, api_token):
    event = _planned(user("organizer"), kind="competition", sector="sports", name="运河马拉松")
    task = open_task(event, "review_plan_sector")
    headers = api_token("commerce")
    for url, body in ((f"/api/v1/tasks/{task.id}/claim", {}), (f"/api/v1/tasks/{task.id}/complete",
                                                              {"decision": "approve"}),
                      (f"/api/v1/tasks/{task.id}", None)):
        response = client.get(url, headers=headers) if body is None else client.post(url, json=body, headers=headers)
        assert response.status_code == 404, url
    assert client.get(f"/api/v1/events/{event.id}", headers=headers).status_code == 404
    db.session.refresh(task)
    assert (task.status, task.claimed_by_id) == ("open", None)
    assert client.post(f"/api/v1/tasks/{task.id}/complete", json={"decision": "approve"},
                       headers=api_token("sports")).status_code == 200


@pytest.mark.parametrize("organizer_type", ["enterprise", "social_organization"])
def test_r_dept_goa_an_event_led_by_a_non_organ_is_not_an_organs_internal_event(organizer_type):
    with pytest.raises(Invalid) as err:
        events.register_event(user("organizer"), registration(600) | {
            "kind": "meeting", "sector": "government", "organizer_type": organizer_type})
    assert {"sector", "organizer_type"} & set(err.value.fields)


def test_r_dept_goa_an_organ_of_the_plan_never_signs_off_its_own_event():
    organizer = organ("goa_org", "goa")
    event = _planned(organizer, kind="meeting", sector="government", organizer_type="party_government")
    assert _department("review_plan_sector", event).startswith("eeb")
    _refused("goa", event, "review_plan_sector", {"decision": "approve"})


# --- R-DEPT-EEB: the county branch of the venue; the city bureau guides every event -------------------


def test_r_dept_eeb_only_the_venues_county_branch_reviews(client, api_token):
    event = _planned(user("organizer"), county="曲阜市")
    assert _department("review_plan_eeb", event) == "eeb_qufu"
    for other in ("eeb_rencheng", "eeb_zoucheng", *SECTOR_BUREAUS, "drc", "finance", "nr", "organizer"):
        _refused(other, event, "review_plan_eeb", {"decision": "approve"})
    assert client.get(f"/api/v1/events/{event.id}", headers=api_token("eeb_rencheng")).status_code == 404
    listed = client.get("/api/v1/events", headers=api_token("eeb_rencheng")).get_json()
    assert event.id not in {item["id"] for item in listed["items"]}
    for reader in ("eeb_qufu", "eeb", "drc"):
        assert client.get(f"/api/v1/events/{event.id}", headers=api_token(reader)).status_code == 200, reader
    complete(event, "review_plan_eeb", "eeb_qufu", {"decision": "approve"})


def test_r_dept_eeb_a_branch_inbox_holds_only_its_countys_tasks():
    rencheng, qufu = _planned(user("organizer"), name="任城活动"), _planned(user("organizer"), county="曲阜市")
    inbox = {task.event_id for task in db.session.execute(workflow.inbox_query(user("eeb_rencheng"))).scalars()}
    assert rencheng.id in inbox and qufu.id not in inbox
    lead = {task.event_id for task in db.session.execute(workflow.inbox_query(user("eeb"))).scalars()}
    assert {rencheng.id, qufu.id} <= lead, "the city bureau guides every county's events"


# --- R-DEPT-DRC: guidance and coordination — reads everything, decides nothing ------------------------


def test_r_dept_drc_reads_every_event_but_decides_nothing():
    plans = [_planned(user("organizer"), county="微山县", sector="sports", kind="competition", name="微山湖赛事"),
             _planned(user("organizer"), funding=True, name="有财政资金的活动")]
    drc = user("drc")
    for event in plans:
        assert events.get_event_for(drc, event.id) == event
        for name in open_names(event):
            _refused("drc", event, name, {"decision": "approve", "amount_cny": Decimal(1)})
    assert db.session.execute(workflow.inbox_query(drc)).scalars().all() == []
    with pytest.raises(Forbidden):
        events.change_participants(drc, plans[0], 150, "协调")


# --- R-DEPT-FIN: Finance reviews only requested municipal funding -------------------------------------


def test_r_dept_fin_without_a_funding_request_finance_has_no_say():
    event = _planned(user("organizer"))
    assert open_names(event) == {"review_plan_sector", "review_plan_eeb"}
    approve_all(event)
    assert event.plan_published_at is not None
    assert db.session.execute(workflow.inbox_query(user("finance"))).scalars().all() == []
    with pytest.raises(NotFound):
        events.get_event_for(user("finance"), event.id)


def test_r_dept_fin_a_funding_request_waits_for_finance_and_only_finance_decides_it():
    event = _planned(user("organizer"), funding=True)
    assert open_names(event) == {"review_plan_sector", "review_plan_eeb", "review_funding"}
    complete(event, "review_plan_sector", "commerce", {"decision": "approve"})
    complete(event, "review_plan_eeb", "eeb_rencheng", {"decision": "approve"})
    assert event.plan_published_at is None, "sector and EEB approval do not publish a funded plan"
    for other in ("commerce", "eeb_rencheng", "eeb", "drc", "organizer", "goa"):
        _refused(other, event, "review_funding", {"decision": "approve", "amount_cny": Decimal(1)})
    complete(event, "review_funding", "finance", {"decision": "return", "comment": "经费渠道不明"})
    assert event.plan_published_at is None and open_names(event) == {"prepare_plan"}


@pytest.mark.parametrize("amount", ["1e40", "-1", "0.001", "1000000000000", "NaN", None])
def test_r_dept_fin_an_absurd_grant_is_refused_naming_the_amount(client, api_token, amount):
    event = _planned(user("organizer"), funding=True)
    task = open_task(event, "review_funding")
    response = client.post(f"/api/v1/tasks/{task.id}/complete", headers=api_token("finance"),
                           json={"decision": "approve", "amount_cny": amount})
    assert response.status_code == 422, response.get_json()
    assert "amount_cny" in response.get_json()["fields"]
    assert open_task(event, "review_funding").id == task.id


# --- R-DEPT-NR: Natural Resources supervises new sink projects ----------------------------------------


def _sink_registered() -> Event:
    event = register(300)
    to_offsetting(event, units=False, sink=True)
    apply_for_sink(event)
    return event


def test_r_dept_nr_only_natural_resources_validates_a_sink_project():
    event = _sink_registered()
    data = {"monitoring_report": upload_for(event), "validated_tco2e": Decimal("15"),
            "validated_on": event.ends_on + timedelta(days=6), "decision": "approve", "comment": None}
    for other in ("eeb_rencheng", "eeb", "commerce", "drc", "finance", "organizer", "verifier"):
        _refused(other, event, "validate_sink_project", data)
    complete(event, "validate_sink_project", "nr", data | {"monitoring_report": upload_for(event, "nr")},
             now=after_event(event, 6))
    assert "validate_sink_project" not in open_names(event)


def test_r_dept_nr_sink_projects_are_listed_to_natural_resources_and_their_own_organizer(client, api_token):
    event = _sink_registered()
    url = "/api/v1/sink-projects"
    assert [p["event_id"] for p in client.get(url, headers=api_token("nr")).get_json()["items"]] == [event.id]
    assert [p["event_id"] for p in client.get(url, headers=api_token("organizer")).get_json()["items"]] == [event.id]
    assert client.get(url, headers=api_token("organizer2")).get_json()["items"] == []
    for other in ("commerce", "eeb_rencheng", "finance"):
        assert client.get(url, headers=api_token(other)).status_code == 403, other


@pytest.mark.parametrize("tonnes", ["1e30", "1000000000000", "-5", "0.0001"])
def test_r_dept_nr_absurd_validated_tonnes_are_refused_naming_the_field(client, api_token, tonnes):
    event = _sink_registered()
    task = open_task(event, "validate_sink_project")
    response = client.post(f"/api/v1/tasks/{task.id}/complete", headers=api_token("nr"), json={
        "decision": "approve", "validated_tco2e": tonnes, "validated_on": event.ends_on.isoformat()})
    assert response.status_code == 422, response.get_json()
    assert "validated_tco2e" in response.get_json()["fields"]
