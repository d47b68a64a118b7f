"""Attacks on what the public may see and when (R-PLAN-1 published plan, R-DIS-1 disclosure,
R-PLAT-1 the platform's public functions), through the public pages and API without signing in:
nothing unapproved or unconfirmed is shown as such, cancellations and the neutrality statement are
disclosed when they happen, and what is disclosed is complete and names nobody."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select

from models import Event, Notification, NotificationKind, db
from processes import events, workflow
from processes.dates import local_today
from tests.disclosed import assert_no_personal_data, sign
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
    upload_for,
    user,
)
from tests.promises.steps import apply_for_sink

pytestmark = pytest.mark.usefixtures("demo")


def _public(client, event: Event) -> dict[str, Any] | None:  # noqa: ANN001
    """The public API's answer for the event, or None when it is not public (page and API agree)."""
    api = client.get(f"/api/v1/public/events/{event.id}")
    page = client.get(f"/public/events/{event.id}")
    assert (api.status_code, page.status_code) in ((200, 200), (404, 404)), (api.status_code, page.status_code)
    return api.get_json() if api.status_code == 200 else None


def _listed(client, event: Event) -> bool:  # noqa: ANN001
    items = client.get("/api/v1/public/events?per_page=200").get_json()["items"]
    return event.id in {item["id"] for item in items}


# --- R-PLAN-1: only a plan every reviewer approved is published ---------------------------------------


def _stage(stage: str) -> Event:
    event = register(300, funding=stage == "funding_pending")
    if stage == "registered":
        return event
    complete(event, "prepare_plan", "organizer", plan_data())
    if stage in ("half_approved", "returned", "funding_pending"):
        complete(event, "review_plan_sector", "commerce", {"decision": "approve"})
    if stage == "returned":
        complete(event, "review_plan_eeb", "eeb_rencheng", {"decision": "return", "comment": "补充交通排放"})
    if stage == "funding_pending":
        complete(event, "review_plan_eeb", "eeb_rencheng", {"decision": "approve"})
    return event


@pytest.mark.parametrize("stage", ["registered", "prepared", "half_approved", "returned", "funding_pending"])
def test_r_plan_1_no_plan_short_of_every_approval_reaches_the_public(client, stage):
    event = _stage(stage)
    assert _public(client, event) is None
    assert not _listed(client, event)
    assert client.get(f"/public/events/{event.id}/commitment.pdf").status_code == 404


def test_r_plan_1_an_event_outside_the_plan_is_never_published(client):
    event = register(150)
    assert _public(client, event) is None and not _listed(client, event)


def test_r_plan_1_the_published_plan_shows_boundary_estimate_measures_and_offset_method(client):
    event = _stage("prepared")
    approve_all(event)
    public = _public(client, event)
    plan = public["plan"]
    assert plan["estimated_tco2e"] == "6.776"
    assert {(b["category"], b["included"]) for b in plan["boundary"]} >= {("venue_energy", True)}
    assert len(plan["boundary"]) == 6 and all(b["included"] or b["reason"] for b in plan["boundary"])
    assert [(m["kind"], m["expected_tco2e"]) for m in plan["measures"]] == [("green_electricity", "1.000")]
    assert plan["offset_method"] == [{"instrument": "sd_inclusion_forestry", "quantity_tco2e": "10.000"}]
    assert public["status"] == "planned" and public["neutrality"] is None
    assert _listed(client, event)


# --- R-DIS-1: nothing unconfirmed reads confirmed; what is confirmed is disclosed at once --------------


def test_r_dis_1_at_no_stage_before_the_signature_does_the_public_read_confirmed(client):
    event = register(300)
    complete(event, "prepare_plan", "organizer", plan_data())
    approve_all(event)
    seen = [_public(client, event)]
    workflow.tick(after_event(event))
    db.session.commit()
    report_reductions(event, "0.5")
    seen.append(_public(client, event))
    complete(event, "account_emissions", "organizer", account_data(), now=after_event(event, 2))
    seen.append(_public(client, event))
    complete(event, "cancel_units", "organizer", cancellation(event), now=after_event(event, 3))
    at_commitment = _public(client, event)
    seen.append(at_commitment)
    for public in seen:
        assert public["status"] != "confirmed" and public["neutrality"] is None
        assert public["disclosed_on"] is None
    # the cancellation is public as soon as it is recorded (R-DIS-1: disclosed promptly) …
    assert [(c["serial_from"], c["serial_to"], c["quantity_tco2e"]) for c in at_commitment["cancellations"]] == [
        ("SDPH-2026-000001", "SDPH-2026-000014", "14.000")]
    assert client.get(f"/public/events/{event.id}/commitment.pdf").status_code == 404
    sign(event)
    # … and the neutrality statement with the signature itself, on the day it was signed
    public = _public(client, event)
    assert public["status"] == "confirmed"
    assert public["disclosed_on"] == local_today(after_event(event, 4)).isoformat()
    assert public["neutrality"]["confirmation"]["method"] == "self_commitment"
    assert client.get(f"/public/events/{event.id}/commitment.pdf").status_code == 200


def _at_evaluation() -> Event:
    event = register(600)
    to_offsetting(event)
    complete(event, "cancel_units", "organizer", cancellation(event), now=after_event(event, 3))
    return event


def test_r_dis_1_a_not_neutral_evaluation_is_never_shown_as_confirmed(client):
    event = _at_evaluation()
    complete(event, "third_party_evaluation", "verifier", evaluation(event, "not_neutral"), now=after_event(event, 10))
    public = _public(client, event)
    assert public["status"] != "confirmed" and public["neutrality"] is None and public["disclosed_on"] is None


def test_r_dis_1_an_event_that_left_the_plan_reads_voluntary_never_confirmed(client):
    event = register(300)
    to_offsetting(event)
    complete(event, "cancel_units", "organizer", cancellation(event), now=after_event(event, 3))
    events.change_participants(user("organizer"), event, 150, "实际到场不足200人", now=after_event(event, 4))
    db.session.commit()
    public = _public(client, event)
    assert public["status"] == "voluntary" and public["neutrality"] is None and public["disclosed_on"] is None
    assert public["tier"] == "out_of_scope"
    assert client.get(f"/public/events/{event.id}/commitment.pdf").status_code == 404
    items = client.get("/api/v1/public/events?per_page=200").get_json()["items"]
    assert [item["status"] for item in items if item["id"] == event.id] == ["voluntary"]


def test_r_dis_1_the_supervising_branch_is_told_of_the_disclosure():
    event = _at_evaluation()
    complete(event, "third_party_evaluation", "verifier", evaluation(event), now=after_event(event, 10))
    assert event.disclosed_at is not None
    told = set(db.session.execute(select(Notification.user_id).where(
        Notification.event_id == event.id, Notification.kind == NotificationKind.EVENT_DISCLOSED)).scalars())
    assert user("eeb_rencheng").id in told and user("eeb_qufu").id not in told


# --- R-PLAT-1: timely and complete disclosure, policy publication, factors — without signing in --------


def test_r_plat_1_the_disclosure_of_a_third_party_event_is_complete_and_names_nobody(client):
    event = _at_evaluation()
    complete(event, "third_party_evaluation", "verifier", evaluation(event), now=after_event(event, 10))
    public = _public(client, event)
    neutrality = public["neutrality"]
    assert neutrality["actual_tco2e"] == "13.552"
    assert [(r["kind"], r["expected_tco2e"], r["achieved_tco2e"]) for r in neutrality["reductions"]] == [
        ("green_electricity", "1.000", "0.000")]
    assert neutrality["offsets"]["cancelled_tco2e"] == "14.000" and neutrality["offsets"]["coverage_percent"] == "103"
    [line] = neutrality["cancellations"]
    assert (line["registry"], line["serial_from"], line["serial_to"], line["evidence_sha256"]) == (
        "sd_inclusion_platform", "SDPH-2026-000001", "SDPH-2026-000014", "a" * 64)
    confirmation = neutrality["confirmation"]
    assert (confirmation["method"], confirmation["conclusion"], confirmation["verified_tco2e"]) == (
        "third_party", "neutral", "13.552")
    assert confirmation["body_name"] == event.verifier_body.name
    assert confirmation["accreditation_no"] == event.verifier_body.accreditation_no
    assert {d["kind"]: d["status"] for d in public["deadlines"]} == {"offset": "met"}
    assert public["plan"]["estimated_tco2e"] == "6.776"
    assert_no_personal_data(client.get(f"/public/events/{event.id}").get_data(as_text=True))
    assert_no_personal_data(client.get(f"/api/v1/public/events/{event.id}").get_data(as_text=True))


@pytest.mark.parametrize("url", ["/public/policies", "/api/v1/public/policies", "/api/v1/emission-factors",
                                 "/public/", "/api/v1/public/events"])
def test_r_plat_1_policies_factors_and_disclosures_need_no_sign_in(client, url):
    assert client.get(url).status_code == 200


@pytest.mark.parametrize("url", ["/api/v1/ledger/cancellations", "/api/v1/sink-projects", "/api/v1/events"])
def test_r_plat_1_supervision_data_is_not_public(client, url):
    assert client.get(url).status_code == 401


def test_r_dis_1_an_unpublished_event_and_an_unknown_id_answer_alike(client):
    hidden = _stage("prepared")
    unknown = client.get("/api/v1/public/events/987654")
    answer = client.get(f"/api/v1/public/events/{hidden.id}")
    assert answer.status_code == unknown.status_code == 404
    assert answer.get_json() == unknown.get_json()


def test_r_dis_1_cancelled_units_stay_public_with_their_evidence_after_confirmation(client):
    event = register(300)
    to_offsetting(event)
    complete(event, "cancel_units", "organizer", {"cancellations": [
        cancellation(event, quantity=10)["cancellations"][0],
        cancellation(event, quantity=4, serial_from="SDPH-2026-000101")["cancellations"][0]]},
        now=after_event(event, 3))
    sign(event)
    public = _public(client, event)
    assert [(c["serial_from"], c["quantity_tco2e"]) for c in public["cancellations"]] == [
        ("SDPH-2026-000001", "10.000"), ("SDPH-2026-000101", "4.000")]
    assert public["neutrality"]["cancellations"] == public["cancellations"]
    assert sum(Decimal(c["quantity_tco2e"]) for c in public["cancellations"]) >= Decimal(
        public["neutrality"]["actual_tco2e"])
    assert public["neutrality"]["confirmation"]["neutral_on"] == (event.ends_on + timedelta(days=3)).isoformat()


def test_r_plat_1_a_sink_offset_is_disclosed_with_its_project_and_validated_tonnes(client):
    event = register(300)
    to_offsetting(event, units=False, sink=True)
    apply_for_sink(event)
    assert _public(client, event)["neutrality"] is None
    complete(event, "validate_sink_project", "nr", {
        "monitoring_report": upload_for(event, "nr", "monitoring.pdf"), "validated_tco2e": Decimal("15"),
        "validated_on": event.ends_on + timedelta(days=6), "decision": "approve", "comment": None},
        now=after_event(event, 6))
    complete(event, "sign_commitment", "organizer", {"confirmation_method": "自我承诺", "truthful": True,
                                                      "neutral_on": event.ends_on + timedelta(days=6)},
             now=after_event(event, 7))
    neutrality = _public(client, event)["neutrality"]
    project = neutrality["sink_project"]
    assert (project["project_code"], project["status"], project["validated_tco2e"], project["validated_on"]) == (
        "SD-LY-0077", "validated", "15.000", (event.ends_on + timedelta(days=6)).isoformat())
    assert neutrality["offsets"]["sink_validated_tco2e"] == "15.000"
    assert neutrality["offsets"]["coverage_percent"] == "110" and neutrality["cancellations"] == []
