"""Locust scenario: department reviewers work through their inboxes and sign off plans, organizers
browse their events — all through the HTML pages, as in the browser (sign-in form, CSRF tokens).

Run by loadtest/run.sh against gunicorn on 127.0.0.1 (never another host). Every completion the
server confirmed (302 to the event) is appended to $LOAD_RESULTS/completed.txt for the lost-update
check, and a summary (throughput, p50/p95 per kind of request) goes to $LOAD_RESULTS/summary.json.
"""

from __future__ import annotations

import json
import os
import random
import re
import time
from pathlib import Path
from urllib.parse import urlsplit

from locust import FastHttpUser, between, events, task
from locust.exception import StopUser
from locust.stats import calculate_response_time_percentile

PASSWORD = "load-test-12345"  # noqa: S105 - the seeded throw-away accounts
REVIEWERS = int(os.environ.get("LOAD_REVIEWERS", "20"))
ORGANIZERS = int(os.environ.get("LOAD_ORGANIZERS", "10"))
MAX_REQUESTS_PER_USER = int(os.environ.get("LOAD_MAX_REQUESTS_PER_USER", "2000"))  # a hard bound per user
THINK = tuple(float(s) for s in os.environ.get("LOAD_THINK_SECONDS", "1,3").split(","))  # between two clicks
# "click": a person reads each page before the next click (inbox → plan → approve), the default;
# "task": the clicks of one review follow each other without pause and the think time comes only
# between reviews — a harsher burst load, kept for comparison with earlier runs (docs/operations.md).
PACE = os.environ.get("LOAD_PACE", "click")
RESULTS = Path(os.environ.get("LOAD_RESULTS", "loadtest/results"))
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
TASK_LINK = re.compile(r'href="/tasks/(\d+)"')
EVENT_LINK = re.compile(r'href="/events/(\d+)"')
PAGES = ("inbox", "task page", "event page", "my events", "sign-in page")
COMPLETE = "complete task"

_accounts: dict[str, list[str]] = {}
_completed: list[int] = []
_outcomes = {"completed": 0, "already done": 0, "conflict": 0}
_failed: list[str] = []  # every failed request of the whole run (the statistics restart after sign-in)
_measuring = {"signed_in": 0, "since": None}


def _allowed(host: str) -> None:
    if urlsplit(host).hostname not in ("127.0.0.1", "localhost", "::1"):
        raise SystemExit(f"refusing to load {host}: loopback only")


def _next_account(kind: str, prefix: str, count: int) -> str:
    pool = _accounts.setdefault(kind, [f"{prefix}{n:02d}" for n in range(1, count + 1)])
    account = pool.pop(0)
    pool.append(account)
    return account


class Person(FastHttpUser):
    abstract = True
    wait_time = between(*THINK)  # a person reads a page before the next click
    username = ""

    def on_start(self) -> None:
        _allowed(self.host)
        self.requests_made = 0
        page = self.get("/login", "sign-in page")
        token = CSRF.search(page.text or "")
        with self.client.post("/login", data={"csrf_token": token.group(1) if token else "",
                                              "username": self.username, "password": PASSWORD},
                              name="sign in", allow_redirects=False, catch_response=True) as response:
            if response.status_code != 302:
                response.failure(f"sign-in of {self.username} answered {response.status_code}")
                raise StopUser()
        _measuring["signed_in"] += 1
        if _measuring["signed_in"] == self.environment.parsed_options.num_users:
            # Everyone is in: measure the working period from here (the sign-in storm of the first
            # seconds, 50 scrypt checks at once, is not what a working day looks like).
            _measuring["sign_in"] = _percentiles(self.environment, ("sign in",))
            self.environment.stats.reset_all()
            _measuring["since"] = time.monotonic()

    def read(self) -> None:
        """The person reads the page before clicking on (LOAD_PACE=click)."""
        if PACE == "click":
            self.wait()

    def get(self, path: str, name: str):  # noqa: ANN201
        self.requests_made += 1
        if self.requests_made > MAX_REQUESTS_PER_USER:
            raise StopUser()
        return self.client.get(path, name=name)


class Reviewer(Person):
    """A clerk of the Commerce Bureau or the 任城区 EEB branch: inbox → a plan → approve."""

    weight = 2 * REVIEWERS

    def on_start(self) -> None:
        kind = random.choice(("commerce", "eeb"))  # noqa: S311 - load mix, not security
        self.username = _next_account(kind, f"load_{kind}_", REVIEWERS)
        super().on_start()

    @task
    def review_one(self) -> None:
        pages = max(1, int(os.environ.get("LOAD_INBOX_PAGES", "4")))
        inbox = self.get(f"/tasks/?page={random.randint(1, pages)}", "inbox")  # noqa: S311
        ids = TASK_LINK.findall(inbox.text or "")
        if not ids:
            inbox = self.get("/tasks/", "inbox")
            ids = TASK_LINK.findall(inbox.text or "")
        if not ids:
            return  # nothing left to review: keep browsing
        task_id = int(random.choice(ids))  # noqa: S311
        self.read()
        page = self.get(f"/tasks/{task_id}", "task page")
        token = CSRF.search(page.text or "")
        if page.status_code != 200 or token is None or 'name="decision"' not in (page.text or ""):
            _outcomes["already done"] += 1
            return
        self.read()
        self.requests_made += 1
        with self.client.post(f"/tasks/{task_id}", name=COMPLETE, allow_redirects=False, catch_response=True,
                              data={"csrf_token": token.group(1), "decision": "approve",
                                    "comment": "负载测试：同意", "action": "complete"}) as response:
            if response.status_code == 302 and "/events/" in response.headers.get("Location", ""):
                _outcomes["completed"] += 1
                _completed.append(task_id)
                event = re.search(r"/events/(\d+)", response.headers["Location"])
                if event:
                    self.get(f"/events/{event.group(1)}", "event page")
            elif response.status_code == 409:  # another clerk completed it a moment earlier: correct
                _outcomes["conflict"] += 1
                response.success()
            elif response.status_code == 200 and 'name="decision"' not in (response.text or ""):
                _outcomes["already done"] += 1  # it was completed before our request was read
                response.success()
            else:
                response.failure(f"completing task {task_id} answered {response.status_code}")


class Organizer(Person):
    """An organizer looks at their events and their inbox."""

    weight = ORGANIZERS

    def on_start(self) -> None:
        self.username = _next_account("organizer", "load_org_", ORGANIZERS)
        super().on_start()

    @task(3)
    def browse_an_event(self) -> None:
        inbox = self.get("/tasks/", "inbox")
        ids = EVENT_LINK.findall(inbox.text or "")
        if not ids:
            listing = self.get("/events/mine", "my events")
            ids = EVENT_LINK.findall(listing.text or "")
        if ids:
            self.read()
            self.get(f"/events/{random.choice(ids)}", "event page")  # noqa: S311

    @task(1)
    def my_events(self) -> None:
        self.get("/events/mine", "my events")


def _percentiles(environment, names: tuple[str, ...]) -> dict:  # noqa: ANN001
    merged: dict[int, int] = {}
    count = failures = 0
    for (name, _method), entry in environment.stats.entries.items():
        if name in names:
            count += entry.num_requests
            failures += entry.num_failures
            for ms, n in entry.response_times.items():
                merged[ms] = merged.get(ms, 0) + n
    if not count:
        return {"requests": 0, "failures": failures, "p50_ms": None, "p95_ms": None}
    return {"requests": count, "failures": failures,
            "p50_ms": calculate_response_time_percentile(merged, count, 0.5),
            "p95_ms": calculate_response_time_percentile(merged, count, 0.95)}


@events.request.add_listener
def _on_request(request_type, name, exception=None, **_kwargs) -> None:  # noqa: ANN001
    if exception is not None:
        _failed.append(f"{request_type} {name}: {str(exception)[:200]}")


@events.test_start.add_listener
def _start(environment, **_kwargs) -> None:  # noqa: ANN001
    _allowed(environment.host)
    environment.started_at = time.monotonic()


@events.test_stop.add_listener
def _stop(environment, **_kwargs) -> None:  # noqa: ANN001
    since = _measuring["since"] or getattr(environment, "started_at", time.monotonic())
    seconds = time.monotonic() - since
    total = environment.stats.total
    summary = {
        "seconds": round(seconds, 1),
        "think_seconds": list(THINK),
        "pace": PACE,
        "users": getattr(environment.parsed_options, "num_users", None),
        "requests": total.num_requests,
        "failures": len(_failed),  # over the whole run, spawning included
        "failures_sample": _failed[:20],
        "throughput_rps": round(total.num_requests / seconds, 1) if seconds else None,  # since all signed in
        "pages": _percentiles(environment, PAGES),
        "task_completion": _percentiles(environment, (COMPLETE,)),
        "sign_in": _measuring.get("sign_in") or _percentiles(environment, ("sign in",)),  # the storm at the start
        "outcomes": dict(_outcomes),
        "errors": [{"name": e.name, "error": str(e.error)[:200], "count": e.occurrences}
                   for e in environment.stats.errors.values()],
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "summary.json").write_text(json.dumps(summary, indent=2, ensure_ascii=False))
    (RESULTS / "completed.txt").write_text("".join(f"{task_id}\n" for task_id in _completed))
