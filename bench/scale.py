"""Provincial scale (issue #19, `make bench-scale`): every page and job at two sizes of history.

Seeds a small history (`--scale-small`, by default a tenth of `--scale`), times each page and job,
seeds the rest up to `--scale` events and times them again; prints per figure the median at both
sizes, the growth between them, the target and whether it was met. Pages are requested through
Flask's test client, signed in as the person who uses them (full request: routing, queries,
template); jobs run in process as their command does. Nothing is asserted: the table reports.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from time import perf_counter

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from bench import seed as seeding
from bench.report import grid, median
from processes.demo import DEMO_PASSWORD  # the demo accounts sign in outside production

PAGE_TARGET = 0.200  # s, median at the large size
GROWTH_TARGET = 2.0  # large / small
TICK_TARGET = 1.0  # s, `flask deadlines tick` with nothing due
INCREMENTAL_TARGET = 1.0  # s, `audit verify --since-checkpoint` over a day's entries



@dataclass(frozen=True)
class Page:
    """A page as one user sees it; `path` may name `{event}` / `{open_event}` (ids found after seeding)."""

    name: str
    username: str | None
    path: str


PAGES = [
    Page("compliance report (auditor, all events)", "auditor", "/dashboard/compliance"),
    Page("compliance report (county EEB branch)", "eeb_rencheng", "/dashboard/compliance"),
    Page("dashboard (DRC, all years)", "drc", "/dashboard/"),
    Page("events list (auditor)", "auditor", "/events/"),
    Page("events list, status filter", "auditor", "/events/?status=offsetting"),
    Page("events list, overdue filter", "auditor", "/events/?overdue=1"),
    Page("events list, text filter", "auditor", "/events/?q=%E9%A9%AC%E6%8B%89%E6%9D%BE"),  # 马拉松
    Page("events list, overdue + text filter", "auditor", "/events/?overdue=1&q=%E8%BD%A6%E5%B1%95"),  # 车展
    Page("events list, all filters (sector bureau)", "commerce",
         "/events/?status=offsetting&overdue=1&q=%E6%B5%8E%E5%AE%81"),  # 济宁
    Page("events list, page 200 (auditor)", "auditor", "/events/?page=200"),
    Page("inbox (department staff)", "commerce", "/tasks/"),
    Page("inbox (county EEB branch)", "eeb_rencheng", "/tasks/"),
    Page("inbox (organizer)", "organizer", "/tasks/"),
    Page("inbox (verifier)", "verifier", "/tasks/"),
    Page("event page, confirmed event (auditor)", "auditor", "/events/{event}"),
    Page("event page, open event (auditor)", "auditor", "/events/{open_event}"),
    Page("public list", None, "/public/"),
    Page("public search", None, "/public/?q=%E8%AE%BA%E5%9D%9B"),  # 论坛
    Page("public list, page 300", None, "/public/?page=300"),
    Page("supervision: sink projects (Natural Resources)", "nr", "/supervision/sink-projects"),
    Page("audit trail, first page (auditor)", "auditor", "/audit/"),
    Page("audit trail, page 1000 (auditor)", "auditor", "/audit/?page=1000"),
]


@dataclass
class Measured:
    """One figure at both sizes: seconds per run (medians are reported), or a throughput."""

    name: str
    target: float | None
    unit: str = "ms"  # ms | s | entries/s
    samples: dict[str, list[float]] = field(default_factory=dict)
    note: str = ""

    def value(self, size: str) -> float | None:
        values = self.samples.get(size)
        return median(values) if values else None


def _app(database_url: str, directory: Path) -> Flask:
    from config import TestConfig
    from webapp import create_app

    class ScaleConfig(TestConfig):
        SQLALCHEMY_DATABASE_URI = database_url
        UPLOAD_DIR = str(directory / "uploads")
        WTF_CSRF_ENABLED = False  # the benchmark signs in with a plain POST

    return create_app(ScaleConfig)


def _client(app: Flask, username: str | None, clients: dict[str | None, FlaskClient]) -> FlaskClient:
    if username not in clients:
        client = app.test_client()
        if username is not None:
            response = client.post("/login", data={"username": username, "password": DEMO_PASSWORD})
            if response.status_code != 302:
                raise RuntimeError(f"cannot sign in as {username}: HTTP {response.status_code}")
        clients[username] = client
    return clients[username]


def _sample_ids() -> dict[str, int]:
    """A confirmed event and an open one (the last seeded of each), for the event pages."""
    from models import Event, db
    from models.event import EventStatus

    ids = {"event": db.session.execute(select(func.max(Event.id)).where(Event.status == EventStatus.CONFIRMED))
           .scalar() or 1,
           "open_event": db.session.execute(select(func.max(Event.id)).where(Event.status == EventStatus.OFFSETTING))
           .scalar() or 1}
    db.session.remove()
    return ids


def time_pages(app: Flask, size: str, repeats: int, figures: dict[str, Measured], say: Callable[[str], None]) -> None:
    clients: dict[str | None, FlaskClient] = {}
    with app.app_context():
        ids = _sample_ids()
    for page in PAGES:
        client = _client(app, page.username, clients)
        path = page.path.format(**ids)
        samples = []
        for attempt in range(repeats + 1):  # the first request warms caches
            started = perf_counter()
            response = client.get(path)
            elapsed = perf_counter() - started
            if response.status_code != 200:
                raise RuntimeError(f"{path} as {page.username}: HTTP {response.status_code}")
            if attempt:
                samples.append(elapsed)
        figure = figures.setdefault(page.name, Measured(page.name, PAGE_TARGET))
        figure.samples[size] = samples
        say(f"  {page.name:<48} {median(samples) * 1000:9.1f} ms  ({len(response.data) // 1024} KB)")


def time_jobs(app: Flask, size: str, repeats: int, figures: dict[str, Measured], say: Callable[[str], None]) -> None:
    runner = app.test_cli_runner()
    samples = []
    for attempt in range(repeats + 1):  # the first run writes what was due at seeding time
        with app.app_context():  # as `flask` does for every command
            started = perf_counter()
            result = runner.invoke(args=["deadlines", "tick"])
            elapsed = perf_counter() - started
        if result.exit_code != 0:
            raise RuntimeError(f"deadlines tick failed: {result.output}") from result.exception
        if attempt:
            samples.append(elapsed)
        say(f"  deadlines tick run {attempt}: {elapsed:.2f} s; {' / '.join(result.output.strip().splitlines())}")
    figures.setdefault("tick", Measured("`flask deadlines tick`, nothing due", TICK_TARGET, "s")).samples[size] = \
        samples

    from models import AuditCheckpoint, AuditEntry, db
    from models.db import utcnow
    from processes import audit
    from processes.dates import local_today

    with app.app_context():
        # From the checkpoint a day's entries back (the seed publishes it as yesterday's), not from the one
        # the tick has just made at the head.
        since = db.session.execute(select(AuditCheckpoint).where(AuditCheckpoint.day < local_today(utcnow()))
                                   .order_by(AuditCheckpoint.seq.desc()).limit(1)).scalar()
        started = perf_counter()
        report = audit.verify_chain(since=since)
        incremental = perf_counter() - started
        if not report.ok:
            raise RuntimeError(f"audit chain broken: {report}")
        say(f"  audit verify --since-checkpoint: {report.checked:,} entries in {incremental:.2f} s")
        started = perf_counter()
        report = audit.verify_chain()
        full = perf_counter() - started
        if not report.ok:
            raise RuntimeError(f"audit chain broken: {report}")
        entries = db.session.execute(select(func.count()).select_from(AuditEntry)).scalar()
        db.session.remove()
    say(f"  audit verify (full): {report.checked:,} entries in {full:.1f} s, {report.checked / full:,.0f} entries/s")
    figures.setdefault("verify since", Measured("audit verify --since-checkpoint (the last day's entries)",
                                                INCREMENTAL_TARGET, "s")).samples[size] = [incremental]
    throughput = figures.setdefault("verify", Measured("audit verify, full chain: throughput", None, "entries/s"))
    throughput.samples[size] = [report.checked / full]
    throughput.note = f"{entries:,} entries"


def _format(value: float | None, unit: str) -> str:
    if value is None:
        return "-"
    if unit == "ms":
        return f"{value * 1000:,.1f} ms"
    if unit == "s":
        return f"{value:,.2f} s"
    return f"{value:,.0f} /s"


def _target(figure: Measured) -> str:
    if figure.target is None:
        return "-"
    return f"<= {_format(figure.target, figure.unit)}" + (", growth <= 2x" if figure.unit == "ms" else "")


def report_rows(figures: dict[str, Measured], small: str, large: str) -> list[list[str]]:
    rows = []
    for figure in figures.values():
        before, after = figure.value(small), figure.value(large)
        growth = after / before if before and after else None
        ok = "-"
        if figure.target is not None and after is not None:
            met = after <= figure.target and (figure.unit != "ms" or growth is None or growth <= GROWTH_TARGET)
            ok = "yes" if met else "NO"
        rows.append([figure.name, _format(before, figure.unit), _format(after, figure.unit),
                     f"{growth:.2f}x" if growth else "-", _target(figure), ok])
    return rows


def run(args: argparse.Namespace, say: Callable[[str], None] = print) -> int:
    """Seed, measure, seed more, measure again; print the table."""
    database_url = args.database_url or os.environ.get("DATABASE_URL")
    if not database_url:
        raise SystemExit("--scale needs --database-url (or DATABASE_URL): an empty database, PostgreSQL for the "
                         "figures of docs/benchmarks.md (make bench-scale starts one)")
    small_n = args.scale_small or max(args.scale // 10, 1)
    sizes = [(f"{small_n:,}", small_n), (f"{args.scale:,}", args.scale - small_n)]
    directory = Path(tempfile.mkdtemp(prefix="tanzhong-scale-"))
    app = _app(database_url, directory)
    started, load_before = perf_counter(), os.getloadavg()[0]
    with app.app_context():
        from models import db
        from processes.demo import load_demo_data

        db.create_all()
        load_demo_data()
        db.session.commit()
    figures: dict[str, Measured] = {}
    seeded_total = 0
    for label, more in sizes:
        with app.app_context():
            say(f"\nSeeding {more:,} events (to {label}) ...")
            seeded = seeding.seed(more, progress=say)
            seeded_total += seeded.events
            say(f"  {seeded.rows:,} rows ({seeded.audit_entries:,} audit entries) in {seeded.seconds:.0f} s")
        say(f"\nPages at {label} events (median of {args.scale_repeats}):")
        time_pages(app, label, args.scale_repeats, figures, say)
        say(f"\nJobs at {label} events:")
        time_jobs(app, label, args.scale_job_repeats, figures, say)
    with app.app_context():
        from models import db

        dialect = db.engine.dialect.name
        db.session.remove()
        db.engine.dispose()
    elapsed = perf_counter() - started
    small, large = sizes[0][0], f"{args.scale:,}"
    say(f"\nTanzhong at provincial scale, {time.strftime('%Y-%m-%d %H:%M')}, Python {sys.version.split()[0]}, "
        f"{dialect}, {os.cpu_count()} CPUs, load average {load_before:.2f} at start / {os.getloadavg()[0]:.2f} at "
        f"end, {elapsed:.0f} s in all (seed included)\n")
    say(grid(["figure", f"at {small}", f"at {large}", "growth", "target", "ok?"],
             report_rows(figures, small, large)))
    missed = [row[0] for row in report_rows(figures, small, large) if row[-1] == "NO"]
    say(f"\n{len(missed)} figure(s) missed their target" + (f": {'; '.join(missed)}" if missed else "") +
        " (reported, not failed; see docs/benchmarks.md).")
    return 0


def add_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("provincial scale (make bench-scale)")
    group.add_argument("--scale", type=int, metavar="N", default=0,
                       help="seed N events with their history and time every page and job (instead of the rest)")
    group.add_argument("--scale-small", type=int, metavar="M", default=0,
                       help="the smaller size measured first (default N/10)")
    group.add_argument("--scale-repeats", type=int, default=20, help="requests per page; the median is reported (20)")
    group.add_argument("--scale-job-repeats", type=int, default=3,
                       help="timed runs of the deadline tick after a first one (3)")
    group.add_argument("--database-url", help="an empty database for --scale (default: DATABASE_URL)")

