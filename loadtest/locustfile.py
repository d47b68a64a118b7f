"""Locust scenario: department reviewers work through their inboxes and sign off plans, organizers
browse their events — all through the HTML pages, as in the browser (sign-in form, CSRF tokens).

Run by loadtest/run.sh against gunicorn on 127.0.0.1 (never another host). Every completion the
server confirmed (302 to the event) is appended to $LOAD_RESULTS/completed.txt for the lost-update
check, and a summary (throughput, p50/p95 per kind of request) goes to $LOAD_RESULTS/summary.json.

Phases: the people sign in (10 per second: a storm of scrypt checks), then SETTLE seconds in which
the server works off what queued up during the storm, then the working period of LOAD_MEASURE_SECONDS,
after which the run stops. The figures of the working period are the result; those of the sign-ins
and of the settling seconds are reported beside them, never dropped (docs/operations.md).
Every request's end time and duration is written to $LOAD_RESULTS/requests.csv.
"""

from __future__ import annotations

import json
import math
import os
import random
import re
import time
from pathlib import Path
from urllib.parse import urlsplit

import gevent
from locust import FastHttpUser, between, events, task
from locust.exception import StopUser

PASSWORD = "Quartz-meadow-4217-harbour"  # noqa: S105 - the seeded throw-away accounts (loadtest/seed.py)
REVIEWERS = int(os.environ.get("LOAD_REVIEWERS", "20"))
ORGANIZERS = int(os.environ.get("LOAD_ORGANIZERS", "10"))
MAX_REQUESTS_PER_USER = int(os.environ.get("LOAD_MAX_REQUESTS_PER_USER", "2000"))  # a hard bound per user
THINK = tuple(float(s) for s in os.environ.get("LOAD_THINK_SECONDS", "1,3").split(","))  # between two clicks
# "click": a person reads each page before the next click (inbox → plan → approve), the default;
# "task": the clicks of one review follow each other without pause and the think time comes only
# between reviews — a harsher burst load, kept for comparison with earlier runs (docs/operations.md).
PACE = os.environ.get("LOAD_PACE", "click")
SETTLE = float(os.environ.get("LOAD_SETTLE_SECONDS", "10"))  # after the last sign-in, before measuring
MEASURE = float(os.environ.get("LOAD_MEASURE_SECONDS", "60"))  # the working period
RESULTS = Path(os.environ.get("LOAD_RESULTS", "loadtest/results"))
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
TASK_LINK = re.compile(r'href="/tasks/(\d+)"')
EVENT_LINK = re.compile(r'href="/events/(\d+)"')
PAGES = ("inbox", "task page", "event page", "my events", "sign-in page")
COMPLETE = "complete task"

_accounts: dict[str, list[str]] = {}
_completed: list[int] = []
_outcomes = {"completed": 0, "already done": 0, "conflict": 0}
_failed: list[str] = []  # every failed request of the whole run, sign-ins included
_measuring = {"signed_in": 0, "since": None}
_timeline: list[tuple[float, str, float, bool]] = []  # (ended at, kind, ms, failed) of every request


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
            # Everyone is in. The working period starts after the settling seconds (the sign-in storm
            # of the first seconds, 50 scrypt checks at once, is not what a working day looks like).
            _measuring["since"] = time.monotonic()
            self.environment.stats.reset_all()  # locust's own printed table: from here on
            gevent.spawn(_end_after_working_period, self.environment)

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


def _end_after_working_period(environment) -> None:  # noqa: ANN001
    gevent.sleep(SETTLE + MEASURE)
    environment.runner.quit()


def _figures(rows: list[tuple[float, str, float, bool]], names: tuple[str, ...]) -> dict:
    """Requests, failures, p50 and p95 (nearest rank, exact milliseconds) of the named requests."""
    times = sorted(ms for _at, name, ms, *_ in rows if name in names)
    failures = sum(1 for _at, name, _ms, failed in rows if name in names and failed)
    if not times:
        return {"requests": 0, "failures": failures, "p50_ms": None, "p95_ms": None}

    def rank(p: float) -> float:
        return round(times[max(math.ceil(p * len(times)) - 1, 0)])

    return {"requests": len(times), "failures": failures, "p50_ms": rank(0.5), "p95_ms": rank(0.95)}


@events.request.add_listener
def _on_request(request_type, name, response_time=0.0, exception=None, **_kwargs) -> None:  # noqa: ANN001
    if exception is not None:
        _failed.append(f"{request_type} {name}: {str(exception)[:200]}")
    _timeline.append((time.monotonic(), name, response_time, exception is not None))


@events.test_start.add_listener
def _start(environment, **_kwargs) -> None:  # noqa: ANN001
    _allowed(environment.host)
    environment.started_at = time.monotonic()


@events.test_stop.add_listener
def _stop(environment, **_kwargs) -> None:  # noqa: ANN001
    now = time.monotonic()
    start = getattr(environment, "started_at", now)
    since = _measuring["since"]  # the last sign-in; None if not everyone got in (then all of it counts)
    work_from = start if since is None else since + SETTLE
    working = [row for row in _timeline if row[0] >= work_from]
    settling = [row for row in _timeline if since is not None and since <= row[0] < work_from]
    seconds = now - work_from
    summary = {
        "seconds": round(seconds, 1),  # the working period
        "settle_seconds": SETTLE,
        "think_seconds": list(THINK),
        "pace": PACE,
        "users": getattr(environment.parsed_options, "num_users", None),
        "requests": len(working),
        "failures": len(_failed),  # over the whole run, sign-ins included
        "failures_sample": _failed[:20],
        "throughput_rps": round(len(working) / seconds, 1) if seconds > 0 else None,
        "pages": _figures(working, PAGES),
        "task_completion": _figures(working, (COMPLETE,)),
        "settling": {"pages": _figures(settling, PAGES), "task_completion": _figures(settling, (COMPLETE,))},
        "sign_in": _figures(_timeline, ("sign in",)),  # the storm at the start
        "outcomes": dict(_outcomes),
        "errors": [{"name": e.name, "error": str(e.error)[:200], "count": e.occurrences}
                   for e in environment.stats.errors.values()],
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "summary.json").write_text(json.dumps(summary, indent=2, ensure_ascii=False))
    (RESULTS / "completed.txt").write_text("".join(f"{task_id}\n" for task_id in _completed))

    def phase(at: float) -> str:
        return "working" if at >= work_from else ("settling" if since is not None and at >= since else "sign-in")

    (RESULTS / "requests.csv").write_text("seconds,request,ms,failed,phase\n" + "".join(
        f"{at - start:.3f},{name},{ms:.1f},{int(failed)},{phase(at)}\n" for at, name, ms, failed in _timeline))
