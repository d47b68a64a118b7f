"""`GET /api/v1/public/...` (API.md): no token, only disclosed data, tonnes as decimal strings."""

from __future__ import annotations

import json

from models import db
from processes.policies import seed_policies
from tests.disclosed import assert_no_personal_data, confirmed_self_commitment
from tests.lifecycle import complete, plan_data, register


def test_public_events_need_no_token_and_list_only_published_plans_R_DIS_1(client, demo):
    disclosed = confirmed_self_commitment(name="运河车展")
    hidden = register(300, name="尚未发布的音乐节")
    complete(hidden, "prepare_plan", "organizer", plan_data())
    response = client.get("/api/v1/public/events")
    assert response.status_code == 200
    body = response.get_json()
    assert [item["id"] for item in body["items"]] == [disclosed.id] and body["total"] == 1
    item = body["items"][0]
    assert item["status"] == "confirmed" and item["name"] == "运河车展"
    assert set(item) >= {"starts_on", "county", "sector", "tier", "plan_published_on", "disclosed_on"}
    assert client.get(f"/api/v1/public/events/{hidden.id}").status_code == 404
    assert client.get(f"/api/v1/public/events/{hidden.id}").get_json()["error"] == "not_found"


def test_public_event_gives_the_disclosed_data_as_decimal_strings(client, demo):
    event = confirmed_self_commitment()
    body = client.get(f"/api/v1/public/events/{event.id}").get_json()
    statement = body["neutrality"]
    assert statement["actual_tco2e"] == "13.552" and isinstance(statement["offsets"]["cancelled_tco2e"], str)
    assert body["plan"]["estimated_tco2e"] == "6.776"
    record = statement["cancellations"][0]
    assert record["quantity_tco2e"] == "14.000" and record["evidence_sha256"] == "a" * 64
    assert record["serial_from"] == "SDPH-2026-000001" and record["serial_to"] == "SDPH-2026-000014"
    assert statement["confirmation"]["method"] == "self_commitment"
    text = json.dumps(body, ensure_ascii=False)
    assert_no_personal_data(text)
    for internal in ("open_tasks", "created_by", "signed_by", "fiscal_funding_requested", "organization_id"):
        assert internal not in text


def test_public_events_filters_and_errors(client, demo):
    event = confirmed_self_commitment(name="运河车展")
    year = event.starts_on.year
    assert client.get(f"/api/v1/public/events?year={year}&county=任城区&q=车展").get_json()["total"] == 1
    assert client.get(f"/api/v1/public/events?year={year + 5}").get_json()["total"] == 0
    response = client.get("/api/v1/public/events?year=abc")
    assert response.status_code == 422 and "year" in response.get_json()["fields"]


def test_public_policies_need_no_token_R_PLAT_1(client, app):
    seed_policies()
    db.session.commit()
    items = client.get("/api/v1/public/policies").get_json()["items"]
    assert {"济环字〔2023〕40号", "生态环境部公告2019年第19号"} <= {p["number"] for p in items}


def test_openapi_documents_the_public_endpoints_without_security(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    for path in ("/public/events", "/public/events/{event_id}", "/public/policies"):
        assert spec["paths"][path]["get"]["security"] == []


def _checkpoints(n: int) -> list:
    from processes import audit

    made = [audit.make_checkpoint() for _ in range(n)]
    db.session.commit()
    return made


def test_audit_checkpoints_need_no_token_and_come_oldest_first(client, app):
    """Issue #15 item 11: anyone can fetch the published heads of the audit chain and keep a copy."""
    made = _checkpoints(3)
    response = client.get("/api/v1/public/audit/checkpoints")
    assert response.status_code == 200
    body = response.get_json()
    assert body["total"] == 3 and body["pages"] == 1
    assert [(i["id"], i["seq"], i["hash"]) for i in body["items"]] == [(c.id, c.seq, c.hash) for c in made]
    item = body["items"][0]
    assert set(item) == {"id", "seq", "hash", "at", "day"} and item["at"].endswith("+00:00")
    assert item["day"] == made[0].day.isoformat()
    second = client.get("/api/v1/public/audit/checkpoints?per_page=2&page=2").get_json()
    assert [i["id"] for i in second["items"]] == [made[2].id] and second["pages"] == 2
    newer = client.get(f"/api/v1/public/audit/checkpoints?after={made[0].seq}").get_json()
    assert [i["id"] for i in newer["items"]] == [made[1].id, made[2].id] and newer["total"] == 2
    assert client.get(f"/api/v1/public/audit/checkpoints?after={made[2].seq}").get_json()["items"] == []


def test_audit_checkpoints_are_bounded_per_page(client, app):
    from datetime import date

    from models import AuditCheckpoint

    db.session.add_all([AuditCheckpoint(seq=n, hash=f"{n:064x}", day=date(2026, 1, 1)) for n in range(1, 1102)])
    db.session.commit()
    body = client.get("/api/v1/public/audit/checkpoints?per_page=100000").get_json()
    assert len(body["items"]) == 1000 and body["pages"] == 2 and body["total"] == 1101
    assert len(client.get("/api/v1/public/audit/checkpoints").get_json()["items"]) == 100
    assert len(client.get("/api/v1/public/audit/checkpoints?per_page=-5").get_json()["items"]) == 1
    last = client.get("/api/v1/public/audit/checkpoints?per_page=1000&page=99999999999").get_json()
    assert last["items"] == []


def test_audit_checkpoints_refuse_a_bad_after_naming_it(client, app):
    _checkpoints(1)
    for bad in ("abc", "-1", "1.5", str(10**30), "1e3", "٣"):
        response = client.get(f"/api/v1/public/audit/checkpoints?after={bad}")
        assert response.status_code == 422, bad
        assert list(response.get_json()["fields"]) == ["after"]
    assert client.get("/api/v1/public/audit/checkpoints?after=0").get_json()["total"] == 1
    assert client.get("/api/v1/public/audit/checkpoints?after=").get_json()["total"] == 1
