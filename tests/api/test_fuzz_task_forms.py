"""Random JSON bodies for every task form, at the task open in a real event (issue #15): whatever
the body — the form's own keys with values of any JSON type, near-valid values drawn from its
schema, unknown keys, nested junk — the answer is 200, 409 or a 4xx naming fields; never a 500."""

from __future__ import annotations

import contextvars
from datetime import date
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from models import Event, db
from processes import events, workflow
from tests.lifecycle import (
    after_event,
    cancellation,
    complete,
    open_task,
    plan_data,
    register,
    to_offsetting,
    upload_for,
    user,
)
from webapp.tasks.forms import TASK_FORMS

JUNK = st.recursive(st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=12),
                    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
                    max_leaves=8)
LANE_USERS = {"Organizer": "organizer", "SectorBureau": "commerce", "EEB": "eeb_rencheng", "Finance": "finance",
              "NaturalResources": "nr", "Verifier": "verifier"}
SINK = {"name": "微山湖新造林", "project_code": "SD-LY-0001", "sink_type": "forestry", "location": "微山县",
        "area_ha": 50, "expected_tco2e": 20, "crediting_period_years": 20, "applied_on": date.today()}


def _value(node: dict[str, Any]) -> st.SearchStrategy:
    """Values around what the schema asks for, and anything else."""
    options = [JUNK]
    types = node.get("type") if isinstance(node.get("type"), list) else [node.get("type")]
    if "anyOf" in node:
        options += [_value(branch) for branch in node["anyOf"]]
    if "enum" in node:
        options.append(st.sampled_from(node["enum"]))
    if "pattern" in node and "integer" in types:
        options += [st.from_regex(node["pattern"], fullmatch=True), st.integers(-2, node["maximum"] + 2),
                    st.decimals(allow_nan=True).map(str)]
    elif "integer" in types:
        options.append(st.integers(node.get("minimum", 0) - 1, node.get("maximum", 10) + 1))
    if "boolean" in types:
        options.append(st.booleans())
    if node.get("format") == "date":
        options.append(st.dates().map(date.isoformat))
    if "array" in types:
        options.append(st.lists(_value(node["items"]), max_size=3))
    if "object" in types or "properties" in node:
        options.append(_body(node))
    return st.one_of(options)


def _body(schema: dict[str, Any]) -> st.SearchStrategy:
    keys = {name: _value(node) for name, node in schema.get("properties", {}).items()}
    return st.fixed_dictionaries({}, optional=keys) | st.dictionaries(st.text(max_size=8), JUNK, max_size=3)


def _open(name: str) -> tuple[int, str]:
    """Bring a fresh event to where task `name` is open; return its id and who acts on it."""
    funding = name == "review_funding"
    event = register(300 if name == "sign_commitment" else 600, funding=funding)
    if name in ("review_plan_sector", "review_plan_eeb", "review_funding"):
        complete(event, "prepare_plan", "organizer", plan_data())
    elif name in ("report_reductions", "account_emissions"):
        complete(event, "prepare_plan", "organizer", plan_data())
        for review, who in (("review_plan_sector", "commerce"), ("review_plan_eeb", "eeb_rencheng")):
            complete(event, review, who, {"decision": "approve"})
        workflow.tick(after_event(event))
        db.session.commit()
        if name == "account_emissions":
            from tests.lifecycle import report_reductions

            report_reductions(event)
    elif name != "prepare_plan":
        sink = name in ("register_sink_project", "validate_sink_project", "cancel_remainder")
        to_offsetting(event, units=name != "cancel_remainder", sink=sink)
        if name in ("validate_sink_project", "cancel_remainder"):
            complete(event, "register_sink_project", "organizer", SINK, now=after_event(event, 3))
        if name == "cancel_remainder":  # validated 5 t of the 13.552 t accounted: the rest by units
            complete(event, "validate_sink_project", "nr", {
                "monitoring_report": upload_for(event, "nr"), "validated_tco2e": 5, "validated_on": date.today(),
                "decision": "approve"}, now=after_event(event, 4))
        elif name in ("third_party_evaluation", "sign_commitment"):
            complete(event, "cancel_units", "organizer", cancellation(event), now=after_event(event, 3))
        elif name == "follow_up_overdue":
            workflow.tick(after_event(event, 200))
            db.session.commit()
        elif name in ("review_correction", "correct_account"):  # R-ACC-1: the organizer asked to correct
            events.request_correction(user("organizer"), event, "电表读数有误", now=after_event(event, 3))
            db.session.commit()
            if name == "correct_account":
                complete(event, "review_correction", "eeb_rencheng", {"decision": "approve"},
                         now=after_event(event, 4))
    task = open_task(db.session.get(Event, event.id), name)
    return task.id, LANE_USERS[task.lane]


@pytest.mark.parametrize("name", sorted(TASK_FORMS))
def test_random_bodies_never_answer_500(app, client, demo, api_token, name):
    task_id, username = _open(name)
    headers = api_token(username)
    upload_for(db.session.get(Event, open_task_event(task_id)), by=username)
    db.session.commit()
    schema = client.get(f"/api/v1/tasks/{task_id}", headers=headers).get_json()["form"]
    failures: list[str] = []

    @settings(max_examples=40, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))
    @given(body=_body(schema))
    def run(body: dict) -> None:
        response = contextvars.Context().run(client.post, f"/api/v1/tasks/{task_id}/complete", json=body,
                                             headers=headers)
        answer = response.get_json()
        if response.status_code >= 500:
            failures.append(f"{response.status_code} {body!r:.300}: {answer}")
        elif response.status_code not in (200, 409) and not answer.get("fields"):
            failures.append(f"{response.status_code} names no field for {body!r:.300}: {answer}")

    run()
    assert not failures, "\n".join(failures[:5])


def open_task_event(task_id: int) -> int:
    from models import HumanTask

    return db.session.get(HumanTask, task_id).event_id

