"""The event process through the JSON API (API.md): register, inbox, task forms, complete, 4xx answers."""

from __future__ import annotations

import io
from datetime import date, timedelta

from sqlalchemy import select

from models import AuditEntry, db
from processes import workflow
from tests.lifecycle import after_event

PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


def _event_body(participants: int = 600, **overrides) -> dict:
    starts = date.today() + timedelta(days=30)
    body = {"name": "济宁国际车展", "kind": "exhibition", "sector": "commerce", "organizers": ["济宁会展服务有限公司"],
            "organizer_type": "enterprise", "participants": participants, "starts_on": starts.isoformat(),
            "ends_on": (starts + timedelta(days=1)).isoformat(), "venue": "济宁国际会展中心", "county": "任城区",
            "fiscal_funding_requested": False}
    body.update(overrides)
    return body


def _task(client, headers, name: str) -> dict:
    items = client.get("/api/v1/tasks", headers=headers).get_json()["items"]
    matches = [t for t in items if t["name"] == name]
    assert matches, f"{name} not in inbox: {[t['name'] for t in items]}"
    return matches[0]


def _plan_body(client, headers) -> dict:
    body_id = client.get("/api/v1/verifier-bodies", headers=headers).get_json()["items"][0]["id"]
    categories = ["venue_energy", "transport", "accommodation", "catering", "materials", "waste"]
    return {
        "boundary": [{"category": c, "included": c == "venue_energy",
                      "reason": None if c == "venue_energy" else "不适用"} for c in categories],
        "estimate": [{"factor_key": "grid_electricity_north_china_2022", "quantity": "10000"}],
        "measures": [{"kind": "green_electricity", "description": "绿电", "expected_tco2e": "1"}],
        "offset_plan": [{"instrument": "sd_inclusion_forestry", "quantity_tco2e": "10"}],
        "verifier_body": body_id,
    }


def _upload(client, headers, event_id: int, name: str = "cert.pdf", content: bytes = PDF):
    return client.post("/api/v1/uploads", headers=headers,
                       data={"file": (io.BytesIO(content), name), "event_id": str(event_id)},
                       content_type="multipart/form-data")


def test_register_event_returns_tier_and_first_task_R_TIER_1(client, demo, api_token):
    headers = api_token("organizer")
    response = client.post("/api/v1/events", json=_event_body(), headers=headers)
    assert response.status_code == 201, response.get_json()
    event = response.get_json()
    assert event["tier"] == "third_party" and event["status"] == "planning"
    assert [t["name"] for t in event["open_tasks"]] == ["prepare_plan"]
    assert event["emissions"]["estimated_tco2e"] is None


def test_register_event_rejects_bad_fields_with_422(client, demo, api_token):
    headers = api_token("organizer")
    starts = date.today()
    response = client.post("/api/v1/events", headers=headers, json=_event_body(
        participants="many", ends_on=(starts - timedelta(days=1)).isoformat(), starts_on=starts.isoformat()))
    assert response.status_code == 422
    body = response.get_json()
    assert body["error"] == "invalid" and "participants" in body["fields"]
    response = client.post("/api/v1/events", headers=headers, json=_event_body(
        ends_on=(starts - timedelta(days=1)).isoformat(), starts_on=starts.isoformat()))
    assert response.status_code == 422 and "ends_on" in response.get_json()["fields"]


def test_only_organizers_register_events(client, demo, api_token):
    assert client.post("/api/v1/events", json=_event_body(), headers=api_token("eeb")).status_code == 403


def test_task_carries_its_form_as_json_schema(client, demo, api_token):
    headers = api_token("organizer")
    client.post("/api/v1/events", json=_event_body(), headers=headers)
    task = _task(client, headers, "prepare_plan")
    detail = client.get(f"/api/v1/tasks/{task['id']}", headers=headers).get_json()
    schema = detail["form"]
    assert schema["type"] == "object"
    assert {"boundary", "estimate", "measures", "offset_plan", "verifier_body"} <= set(schema["properties"])
    assert schema["properties"]["estimate"]["type"] == "array"
    assert "quantity" in schema["properties"]["estimate"]["items"]["properties"]


def test_complete_with_bad_line_names_the_field_and_keeps_the_task_open(client, demo, api_token):
    headers = api_token("organizer")
    client.post("/api/v1/events", json=_event_body(), headers=headers)
    task = _task(client, headers, "prepare_plan")
    body = _plan_body(client, headers)
    body["estimate"][0]["quantity"] = "-5"
    response = client.post(f"/api/v1/tasks/{task['id']}/complete", json=body, headers=headers)
    assert response.status_code == 422
    assert "estimate-0-quantity" in response.get_json()["fields"]
    assert _task(client, headers, "prepare_plan")["id"] == task["id"]


def test_full_third_party_path_and_conflict_on_second_completion(client, demo, api_token):
    org = api_token("organizer")
    event = client.post("/api/v1/events", json=_event_body(), headers=org).get_json()
    plan_task = _task(client, org, "prepare_plan")
    done = client.post(f"/api/v1/tasks/{plan_task['id']}/complete", json=_plan_body(client, org), headers=org)
    assert done.status_code == 200, done.get_json()
    again = client.post(f"/api/v1/tasks/{plan_task['id']}/complete", json=_plan_body(client, org), headers=org)
    assert again.status_code == 409

    commerce, eeb = api_token("commerce"), api_token("eeb_rencheng")
    review = _task(client, commerce, "review_plan_sector")
    assert client.post(f"/api/v1/tasks/{review['id']}/claim", headers=commerce).get_json()["claimed_by"] == "commerce"
    assert client.post(f"/api/v1/tasks/{review['id']}/complete", json={"decision": "approve"},
                       headers=commerce).status_code == 200
    review = _task(client, eeb, "review_plan_eeb")
    state = client.post(f"/api/v1/tasks/{review['id']}/complete", json={"decision": "approve"}, headers=eeb).get_json()
    assert state["plan_published_at"] is not None

    from models import Event

    row = db.session.get(Event, event["id"])
    workflow.tick(after_event(row))
    db.session.commit()
    reductions = _task(client, org, "report_reductions")
    measures = client.get(f"/api/v1/events/{event['id']}", headers=org).get_json()["emissions"]["measures"]
    assert client.post(f"/api/v1/tasks/{reductions['id']}/complete", headers=org, json={
        "measures": [{"measure_id": m["id"], "achieved_tco2e": "0"} for m in measures]}).status_code == 200
    account = _task(client, org, "account_emissions")
    state = client.post(f"/api/v1/tasks/{account['id']}/complete", headers=org, json={
        "activities": [{"factor_key": "grid_electricity_north_china_2022", "quantity": "20000"}]}).get_json()
    assert state["emissions"]["actual_tco2e"] == "13.552"  # 20000 kWh × 0.6776 kg/kWh

    certificate = _upload(client, org, event["id"]).get_json()
    cancel = _task(client, org, "cancel_units")
    response = client.post(f"/api/v1/tasks/{cancel['id']}/complete", headers=org, json={"cancellations": [{
        "instrument": "sd_inclusion_forestry", "registry": "sd_inclusion_platform", "serial_from": "SDPH-000001",
        "serial_to": "SDPH-000014", "quantity_tco2e": "14", "cancelled_on": date.today().isoformat(),
        "certificate": certificate["id"]}]})
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["offsets"]["coverage_percent"] == "103"

    verifier = api_token("verifier")
    evaluation = _task(client, verifier, "third_party_evaluation")
    report = _upload(client, verifier, event["id"], "report.pdf").get_json()
    final = client.post(f"/api/v1/tasks/{evaluation['id']}/complete", headers=verifier, json={
        "report": report["id"], "verified_tco2e": "13.552", "conclusion": "neutral"}).get_json()
    assert final["status"] == "confirmed" and final["disclosed_at"] is not None

    trail = client.get(f"/api/v1/events/{event['id']}/audit", headers=org).get_json()["items"]
    assert [e["seq"] for e in trail] == sorted(e["seq"] for e in trail)
    expected = {"event.registered", "plan.published", "offsets.cancelled", "event.disclosed"}
    assert expected <= {e["action"] for e in trail}
    assert all(e["hash"] and e["prev_hash"] for e in trail)


def test_overlapping_serials_for_a_second_event_get_409_R_CAN_2(client, demo, api_token):
    from tests.lifecycle import register, to_offsetting

    events = []
    for name in ("第一场", "第二场"):
        event = register(600, name=name)
        to_offsetting(event)
        events.append(event)
    org = api_token("organizer")
    results = []
    for event, (first, last) in zip(events, [("000001", "000014"), ("000010", "000023")], strict=True):
        certificate = _upload(client, org, event.id).get_json()
        cancel = [t for t in client.get("/api/v1/tasks", headers=org).get_json()["items"]
                  if t["name"] == "cancel_units" and t["event_id"] == event.id][0]
        results.append(client.post(f"/api/v1/tasks/{cancel['id']}/complete", headers=org, json={"cancellations": [{
            "instrument": "sd_inclusion_forestry", "registry": "sd_inclusion_platform",
            "serial_from": f"SDPH-{first}", "serial_to": f"SDPH-{last}", "quantity_tco2e": "14",
            "cancelled_on": date.today().isoformat(), "certificate": certificate["id"]}]}))
    assert results[0].status_code == 200
    assert results[1].status_code == 409
    assert "第一场" in results[1].get_json()["message"]  # same organizer may see which event
    refused = db.session.execute(select(AuditEntry).where(AuditEntry.action == "offsets.double_counting_refused"))
    assert refused.first() is not None


def test_uploads_sniff_content_and_limit_size(client, demo, api_token, app):
    headers = api_token("organizer")
    event = client.post("/api/v1/events", json=_event_body(), headers=headers).get_json()
    ok = _upload(client, headers, event["id"])
    assert ok.status_code == 201 and len(ok.get_json()["sha256"]) == 64
    fake = _upload(client, headers, event["id"], "evil.pdf", b"<script>alert(1)</script>")
    assert fake.status_code == 422 and "file" in fake.get_json()["fields"]
    mismatch = _upload(client, headers, event["id"], "photo.png", PDF)
    assert mismatch.status_code == 422
    big = _upload(client, headers, event["id"], "big.pdf", PDF + b"0" * (app.config["MAX_CONTENT_LENGTH"] + 1))
    assert big.status_code == 413 and big.get_json()["error"] == "too_large"


def test_audit_verify_is_for_auditors(client, demo, api_token):
    client.post("/api/v1/events", json=_event_body(), headers=api_token("organizer"))
    assert client.get("/api/v1/audit/verify", headers=api_token("organizer")).status_code == 403
    report = client.get("/api/v1/audit/verify", headers=api_token("auditor")).get_json()
    assert report["ok"] is True and report["checked"] > 0


def test_events_list_filters_and_visibility(client, demo, api_token):
    client.post("/api/v1/events", json=_event_body(), headers=api_token("organizer"))
    client.post("/api/v1/events", json=_event_body(150, name="小型座谈会"), headers=api_token("organizer"))
    assert client.get("/api/v1/events", headers=api_token("organizer2")).get_json()["total"] == 0
    mine = client.get("/api/v1/events?tier=out_of_scope", headers=api_token("organizer")).get_json()
    assert [e["name"] for e in mine["items"]] == ["小型座谈会"]
    assert client.get("/api/v1/events", headers=api_token("drc")).get_json()["total"] == 2


def test_emission_factors_are_public_with_sources(client):
    body = client.get("/api/v1/emission-factors").get_json()
    electricity = [f for f in body["items"] if f["key"] == "grid_electricity_north_china_2022"][0]
    assert electricity["kgco2e_per_unit"] == "0.6776" and electricity["unit"] == "kWh" and electricity["source"]
    assert all(isinstance(f["kgco2e_per_unit"], str) for f in body["items"])


def test_ledger_and_sink_projects_authorization(client, demo, api_token):
    assert client.get("/api/v1/ledger/cancellations", headers=api_token("organizer")).status_code == 403
    assert client.get("/api/v1/ledger/cancellations", headers=api_token("auditor")).get_json() == {"items": []}
    assert client.get("/api/v1/sink-projects", headers=api_token("commerce")).status_code == 403
    assert client.get("/api/v1/sink-projects", headers=api_token("nr")).status_code == 200
    assert client.get("/api/v1/sink-projects", headers=api_token("organizer")).get_json() == {"items": []}
