"""Fuzz the JSON API from its own OpenAPI document (schemathesis, in-process WSGI): valid and
invalid requests, against unknown ids and against real ones, as the demo organizer (and, for
the reviewer's endpoints, the Commerce clerk) — never a 500, and every answer is JSON.

Bounded: MAX_EXAMPLES requests per operation, derandomized so CI runs the same cases each time.
"""

from __future__ import annotations

import contextvars
import os

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode

from tests.security.conftest import bearer
from tests.security.test_authorization_matrix import ROUTE_APP

MAX_EXAMPLES = int(os.environ.get("FUZZ_MAX_EXAMPLES", "25"))
SCHEMA = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", ROUTE_APP)
OPERATIONS = {result.ok().label: result.ok() for result in SCHEMA.get_all_operations()}
TASK_OPERATIONS = ("claim", "unclaim", "complete", "GET /tasks/{task_id}")


def test_the_document_describes_every_api_route(app):  # noqa: ANN001
    documented = {label.split(" ", 1)[1].replace("{", "<").replace("}", ">") for label in OPERATIONS}
    routes = {rule.rule.removeprefix("/api/v1") for rule in app.url_map.iter_rules()
              if rule.rule.startswith("/api/v1") and rule.endpoint != "api.openapi_json"}
    normalised = {r.replace("<int:", "<") for r in routes}
    assert documented == normalised, documented ^ normalised


@pytest.mark.parametrize("label", sorted(OPERATIONS))
def test_no_server_errors(app, world, upload_dir, label):  # noqa: ANN001
    operation = OPERATIONS[label]
    real = {"event_id": world.event_id, "task_id": world.task_id, "token_id": 1}
    known = {name: value for name, value in real.items() if "{" + name + "}" in operation.path}
    strategies = [operation.as_strategy(GenerationMode.POSITIVE), operation.as_strategy(GenerationMode.NEGATIVE)]
    if known:
        strategies.append(operation.as_strategy(GenerationMode.POSITIVE, path_parameters=known))
        strategies.append(operation.as_strategy(GenerationMode.NEGATIVE, path_parameters=known))
    # The reviewer's endpoints as the clerk who holds the task; everything else as the organizer.
    username = "commerce" if any(part in label for part in TASK_OPERATIONS) else "organizer"
    headers = bearer(username)
    failures: list[str] = []

    @settings(max_examples=MAX_EXAMPLES, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))
    @given(case=st.one_of(strategies))
    def run(case) -> None:  # noqa: ANN001
        auth = bearer(username) if case.method == "DELETE" else headers  # revoking must not end the run
        response = contextvars.Context().run(case.call, app=app, headers=auth)
        content_type = (response.headers.get("content-type") or [""])[0]  # lowercase keys, list values
        if response.status_code >= 500:
            failures.append(f"{response.status_code} {case.method} {case.formatted_path} "
                            f"query={case.query} body={str(case.body)[:300]}: {response.text[:300]}")
        elif response.status_code != 204 and "json" not in content_type:
            failures.append(f"non-JSON {response.status_code} {content_type} {case.method} {case.formatted_path}")

    run()
    assert not failures, "\n".join(sorted(set(failures))[:10])


HOSTILE_QUERIES = ["page=-1", "page=0", "page=99999999999999999999", "page=abc", "per_page=-5", "per_page=0",
                   "per_page=99999999999999", "year=99999999999999", "year=-1", "year=0", "status=%3Cscript%3E",
                   "tier=nope", "sector=nope", "county=%00", "lang=xx", "next=//evil.example", "verify=1",
                   "q=%27%20OR%201%3D1--", "from=1&to=99999999999999", "file=../../etc/passwd",
                   "event_id=99999999999999", "organization_id=99999999999999", "event=99999999999999",
                   "overdue=maybe", "registry=nope", "serial=%00%00"]


def test_hostile_query_strings_never_crash_a_get_route(app, world):  # noqa: ANN001
    """The OpenAPI document does not list query parameters, so they get a pass of their own — over
    every GET route, pages included, as a principal who may use it."""
    from tests.security.conftest import PRINCIPALS, session_client
    from tests.security.matrix_harness import build_url
    from tests.security.test_authorization_matrix import entry_for

    failures = []
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if "GET" not in rule.methods or rule.endpoint == "static":
            continue
        entry = entry_for(rule.endpoint, "GET", rule.rule)
        principal = next((p for p, status in entry.expect.items() if status == 200), "organizer") if entry else "admin"
        who = PRINCIPALS[principal]
        url = build_url(app, rule, world, who, entry.args if entry else None)
        is_api = rule.rule.startswith("/api/")
        client = session_client(app, None if is_api else who)
        headers = bearer(who) if is_api and who else {}
        for query in HOSTILE_QUERIES:
            response = client.get(f"{url}?{query}", headers=headers)
            if response.status_code >= 500:
                failures.append(f"{response.status_code} {principal} {url}?{query}")
            location = response.headers.get("Location", "")
            if "evil.example" in location:
                failures.append(f"open redirect: {url}?{query} → {location}")
    assert not failures, failures


def test_numbers_no_column_can_hold_are_refused_not_a_crash(app, world):  # noqa: ANN001
    """Integers beyond PostgreSQL's INTEGER (2**40) and beyond SQLite's (2**70), wherever an id or a
    number is typed: JSON bodies, multipart fields, page forms. A 4xx, never a 500."""
    import io

    from tests.lifecycle import PDF, open_task, register
    from tests.security.conftest import session_client

    event = register(600, name="大数测试")
    plan_task = open_task(event, "prepare_plan")
    failures = []
    for big in (2**40, 2**70):
        api = session_client(app, None)
        organizer = bearer("organizer")
        body = {"boundary": [{"category": c, "included": c == "venue_energy", "reason": None if c == "venue_energy"
                              else "不适用"} for c in ("venue_energy", "transport", "accommodation", "catering",
                                                      "materials", "waste")],
                "estimate": [{"factor_key": "grid_electricity_north_china_2022", "quantity": "10", "evidence": big,
                              "people": big}],
                "measures": [{"kind": "green_electricity", "description": "x", "expected_tco2e": "1"}],
                "offset_plan": [{"instrument": "sd_inclusion_forestry", "quantity_tco2e": "10"}],
                "verifier_body": big}
        calls = {
            "complete prepare_plan": api.post(f"/api/v1/tasks/{plan_task.id}/complete", json=body, headers=organizer),
            "upload to event": api.post("/api/v1/uploads", headers=organizer, content_type="multipart/form-data",
                                        data={"file": (io.BytesIO(PDF), "a.pdf"), "event_id": str(big)}),
            "events filter": api.get(f"/api/v1/events?page={big}&per_page={big}&year={big}", headers=organizer),
            "ledger filter": api.get(f"/api/v1/ledger/cancellations?event_id={big}", headers=bearer("commerce")),
            "event participants": api.post("/api/v1/events", headers=organizer, json={
                "name": "x", "kind": "exhibition", "sector": "commerce", "organizers": ["x"],
                "organizer_type": "enterprise", "participants": big, "starts_on": "2030-01-01",
                "ends_on": "2030-01-02", "venue": "x", "county": "任城区"}),
        }
        page = session_client(app, "organizer")
        page_commerce = session_client(app, "commerce")
        app.config["WTF_CSRF_ENABLED"] = False
        try:
            calls["comment on a task"] = page.post(f"/events/{world.event_id}/comments",
                                                   data={"body": "x", "task_id": str(big)})
            calls["reassign to a user"] = page_commerce.post(f"/tasks/{world.task_id}/reassign",
                                                             data={"user_id": str(big)})
            calls["notification"] = page.post(f"/notifications/{big}/read")
        finally:
            app.config["WTF_CSRF_ENABLED"] = True
        failures += [f"{name} with {big}: {r.status_code}" for name, r in calls.items() if r.status_code >= 500]
    assert not failures, failures
