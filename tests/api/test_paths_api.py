"""Every path of the diagram through the JSON API (issue #3): each step completed by its user over HTTP."""

from __future__ import annotations

import io
from datetime import date, timedelta

import pytest

from models import Event, db
from processes import workflow
from tests.lifecycle import PDF, after_event


class Walker:
    """Drive one event through the API as its users would."""

    def __init__(self, client, api_token) -> None:  # noqa: ANN001
        self.client, self.api_token, self.tokens = client, api_token, {}

    def headers(self, username: str) -> dict[str, str]:
        if username not in self.tokens:
            self.tokens[username] = self.api_token(username)
        return self.tokens[username]

    def register(self, participants: int, **extra) -> dict:
        starts = date.today() + timedelta(days=30)
        body = {"name": f"路径测试 {participants}", "kind": "forum", "sector": "commerce",
                "organizers": ["济宁会展服务有限公司"], "organizer_type": "enterprise", "participants": participants,
                "starts_on": starts.isoformat(), "ends_on": (starts + timedelta(days=1)).isoformat(),
                "venue": "济宁国际会展中心", "county": "任城区", "fiscal_funding_requested": False} | extra
        response = self.client.post("/api/v1/events", json=body, headers=self.headers("organizer"))
        assert response.status_code == 201, response.get_json()
        self.event = response.get_json()
        return self.event

    def open_names(self) -> set[str]:
        state = self.client.get(f"/api/v1/events/{self.event['id']}", headers=self.headers("organizer")).get_json()
        return {t["name"] for t in state["open_tasks"]}

    def complete(self, name: str, username: str, body: dict, status: int = 200) -> dict:
        items = self.client.get("/api/v1/tasks", headers=self.headers(username)).get_json()["items"]
        task = next((t for t in items if t["name"] == name and t["event_id"] == self.event["id"]), None)
        assert task is not None, f"{name} not in {username}'s inbox; open: {self.open_names()}"
        response = self.client.post(f"/api/v1/tasks/{task['id']}/complete", json=body, headers=self.headers(username))
        assert response.status_code == status, response.get_json()
        return response.get_json()

    def upload(self, username: str, name: str = "evidence.pdf") -> int:
        response = self.client.post("/api/v1/uploads", headers=self.headers(username),
                                    content_type="multipart/form-data",
                                    data={"file": (io.BytesIO(PDF), name), "event_id": str(self.event["id"])})
        assert response.status_code == 201
        return response.get_json()["id"]

    def tick(self, days_after_end: int) -> None:
        workflow.tick(after_event(db.session.get(Event, self.event["id"]), days_after_end))
        db.session.commit()

    # ------------------------------------------------------------------ the steps, with valid data
    def plan(self, *, units: bool = True, sink: bool = False) -> None:
        bodies = self.client.get("/api/v1/verifier-bodies", headers=self.headers("organizer")).get_json()
        body_id = bodies["items"][0]["id"]
        offset_plan = ([{"instrument": "sd_inclusion_forestry", "quantity_tco2e": "10"}] if units else []) + (
            [{"instrument": "new_forestry_sink", "quantity_tco2e": "5"}] if sink else [])
        self.complete("prepare_plan", "organizer", {
            "boundary": [{"category": "venue_energy", "included": True}] + [
                {"category": c, "included": False, "reason": "不适用"}
                for c in ("transport", "accommodation", "catering", "materials", "waste")],
            "estimate": [{"factor_key": "grid_electricity_north_china_2022", "quantity": "10000"}],
            "measures": [{"kind": "clean_plate", "description": "光盘行动", "expected_tco2e": "0.5"}],
            "offset_plan": offset_plan, "new_sink_project": sink, "verifier_body": body_id})

    def approve(self, funding: bool = False) -> None:
        self.complete("review_plan_sector", "commerce", {"decision": "approve"})
        self.complete("review_plan_eeb", "eeb_rencheng", {"decision": "approve"})
        if funding:
            self.complete("review_funding", "finance", {"decision": "approve", "amount_cny": "80000"})

    def after_event(self) -> None:
        self.tick(1)
        measures = self.client.get(f"/api/v1/events/{self.event['id']}",
                                   headers=self.headers("organizer")).get_json()["emissions"]["measures"]
        self.complete("report_reductions", "organizer",
                      {"measures": [{"measure_id": m["id"], "achieved_tco2e": "0"} for m in measures]})
        self.complete("account_emissions", "organizer",
                      {"activities": [{"factor_key": "grid_electricity_north_china_2022", "quantity": "20000"}]})

    def cancel(self, quantity: int = 14, first: int = 1) -> dict:
        return self.complete("cancel_units", "organizer", {"cancellations": [{
            "instrument": "sd_inclusion_forestry", "registry": "sd_inclusion_platform",
            "serial_from": f"SDPH-{self.event['id']:03d}{first:05d}",
            "serial_to": f"SDPH-{self.event['id']:03d}{first + quantity - 1:05d}", "quantity_tco2e": str(quantity),
            "cancelled_on": date.today().isoformat(), "certificate": self.upload("organizer")}]})

    def sink(self) -> None:
        self.complete("register_sink_project", "organizer", {
            "name": "微山湖新造林", "sink_type": "forestry", "location": "微山县", "area_ha": "50",
            "expected_tco2e": "20", "crediting_period_years": 20, "applied_on": date.today().isoformat()})

    def validate(self, decision: str = "approve") -> None:
        self.complete("validate_sink_project", "nr", {
            "monitoring_report": self.upload("nr", "monitoring.pdf"), "validated_tco2e": "15",
            "validated_on": date.today().isoformat(), "decision": decision,
            "comment": "补充监测数据" if decision == "return" else ""})

    def evaluate(self, conclusion: str = "neutral") -> dict:
        return self.complete("third_party_evaluation", "verifier", {
            "report": self.upload("verifier", "report.pdf"), "verified_tco2e": "13.552", "conclusion": conclusion,
            "comment": "抵消量不足" if conclusion == "not_neutral" else ""})


@pytest.fixture()
def walk(client, demo, api_token) -> Walker:  # noqa: ANN001
    return Walker(client, api_token)


def test_self_commitment_path_R_TIER_2(walk):
    past = date.today() - timedelta(days=10)  # neutrality is reached after the event's end, not before (R-TIER-2)
    walk.register(300, starts_on=past.isoformat(), ends_on=(past + timedelta(days=1)).isoformat())
    walk.plan()
    walk.approve()
    walk.after_event()
    walk.cancel()
    assert walk.open_names() == {"sign_commitment"}
    state = walk.complete("sign_commitment", "organizer", {
        "confirmation_method": "自我承诺", "neutral_on": date.today().isoformat(), "truthful": True})
    assert state["status"] == "confirmed" and state["disclosed_at"]


def test_out_of_scope_path_R_TIER_0(walk):
    event = walk.register(120)
    assert event["tier"] == "out_of_scope" and event["status"] == "out_of_scope" and event["open_tasks"] == []


def test_new_sink_only_path_R_OFF_1(walk):
    walk.register(600)
    walk.plan(units=False, sink=True)
    walk.approve()
    walk.after_event()
    assert walk.open_names() == {"register_sink_project"}
    walk.sink()
    walk.validate("return")
    assert walk.open_names() == {"register_sink_project"}, "a returned project goes back to the organizer"
    walk.sink()
    walk.validate()
    assert walk.open_names() == {"third_party_evaluation"}


def test_units_and_sink_path(walk):
    walk.register(600)
    walk.plan(units=True, sink=True)
    walk.approve()
    walk.after_event()
    assert walk.open_names() == {"cancel_units", "register_sink_project"}
    walk.cancel(quantity=9)
    walk.sink()
    walk.validate()
    assert walk.evaluate()["status"] == "confirmed"


def test_returned_plan_path(walk):
    walk.register(600)
    walk.plan()
    walk.complete("review_plan_sector", "commerce", {"decision": "return"}, status=422)  # a return needs a comment
    walk.complete("review_plan_sector", "commerce", {"decision": "return", "comment": "请细化交通排放估算"})
    walk.complete("review_plan_eeb", "eeb_rencheng", {"decision": "approve"})
    assert walk.open_names() == {"prepare_plan"}
    walk.plan()
    walk.approve()
    assert walk.open_names() == set()


@pytest.mark.parametrize("funding", [True, False])
def test_finance_included_or_not_path(walk, funding):
    walk.register(600, fiscal_funding_requested=funding, **({"funding_requested_cny": "80000"} if funding else {}))
    walk.plan()
    assert ("review_funding" in walk.open_names()) is funding
    walk.approve(funding=funding)
    state = walk.client.get(f"/api/v1/events/{walk.event['id']}", headers=walk.headers("organizer")).get_json()
    assert state["plan_published_at"] is not None


def test_not_neutral_returns_to_offsetting_path(walk):
    walk.register(600)
    walk.plan()
    walk.approve()
    walk.after_event()
    walk.cancel(quantity=14)
    walk.evaluate("not_neutral")
    assert walk.open_names() == {"cancel_units"}
    walk.cancel(quantity=2, first=100)
    assert walk.evaluate()["status"] == "confirmed"


def test_offset_deadline_path_R_TIME_1(walk):
    walk.register(600)
    walk.plan()
    walk.approve()
    walk.after_event()
    walk.tick(200)
    assert walk.open_names() == {"cancel_units", "follow_up_overdue"}
    state = walk.client.get(f"/api/v1/events/{walk.event['id']}", headers=walk.headers("organizer")).get_json()
    assert {"kind": "offset", "status": "overdue"}.items() <= state["deadlines"][0].items()
    walk.complete("follow_up_overdue", "eeb_rencheng", {"action_taken": "约谈主办方", "comment": ""})
    assert walk.open_names() == {"cancel_units"}
