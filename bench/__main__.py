"""`python -m bench` (`make bench`): the lifecycle benchmark; prints figure | value | target | ok?.

Runs on a temporary SQLite file (created, filled with the demo data, deleted afterwards unless
--keep-db). Exits 0 whatever the figures are: a benchmark reports, it does not fail the build.
"""

from __future__ import annotations

import argparse
import json
import os
import pstats
import shutil
import sys
import tempfile
import time
from pathlib import Path

from flask import Flask

from bench import inbox, lifecycle, scale
from bench import migration as migration_bench
from bench import registry as registry_bench
from bench.report import Figure, kib, mean, median, ms, percentile, table

RATIO_TARGET = 3.0
STATE_TARGET = 64 * 1024
INBOX_TARGET = 0.050
PAGE = f"{inbox.PAGE_SIZE} rows + count"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=200, help="complete lifecycles through the services (200)")
    parser.add_argument("--warmup", type=int, default=3, help="unrecorded lifecycles first (3)")
    parser.add_argument("--inbox-events", type=int, default=10_000, help="open events for the inbox figure (10000)")
    parser.add_argument("--inbox-orgs", type=int, default=100, help="organizations they belong to (100)")
    parser.add_argument("--organizer-share", type=float, default=0.1,
                        help="share of them held by the demo organizer's organization (0.1)")
    parser.add_argument("--repeats", type=int, default=31, help="timed runs per inbox query; median reported (31)")
    parser.add_argument("--explain", action="store_true", help="print SQLite's EXPLAIN QUERY PLAN of the inbox")
    parser.add_argument("--profile", action="store_true",
                        help="cProfile the timed service completions and print the top functions")
    parser.add_argument("--breakdown", action="store_true",
                        help="time the parts of each service completion (handler, load, engine, save, commit)")
    parser.add_argument("--json", type=Path, metavar="FILE", help="also write the figures as JSON to FILE")
    parser.add_argument("--keep-db", action="store_true", help="keep the temporary SQLite file and print its path")
    parser.add_argument("--registry-rows", type=int, default=200_000,
                        help="rows of the generated Verra export imported (200000; 0 skips it, issue #22)")
    scale.add_arguments(parser)  # issue #19
    return parser


def _app(directory: Path) -> Flask:
    from config import TestConfig
    from webapp import create_app

    class BenchConfig(TestConfig):
        SQLALCHEMY_DATABASE_URI = f"sqlite:///{directory / 'bench.sqlite'}"
        UPLOAD_DIR = str(directory / "uploads")

    return create_app(BenchConfig)


def _say(message: str) -> None:
    print(message, flush=True)


def _lifecycle_figures(args: argparse.Namespace) -> list[Figure]:
    _say(f"Lifecycles: {args.events} through the services on SQLite (after {args.warmup} warm-up), each followed "
         "by the same steps on the bare engine in memory, and again with a JSON load/save per step ...")
    breakdown = lifecycle.Breakdown() if args.breakdown else None
    services, bare, profiler = lifecycle.run(args.events, args.warmup, profile=args.profile, breakdown=breakdown,
                                             progress=_say)
    _say(f"  {len(services.completions)} service task completions; {services.wall:.1f} s wall for all of it")
    tenth = max(len(services.completions) // 10, 1)
    _say(f"  drift: first tenth of the service completions {ms(mean(services.completions[:tenth]))} mean, "
         f"last tenth {ms(mean(services.completions[-tenth:]))}")
    _say(f"  medians: services {ms(median(services.completions))}, bare engine {ms(median(bare.completions))}, "
         f"ratio {median(services.completions) / median(bare.completions):.1f}x")
    _say("\nPer step (mean):             services     bare engine   ratio")
    for name, _user, _routing in lifecycle.STEPS:
        service_mean, bare_mean = mean(services.steps[name]), mean(bare.steps[name])
        _say(f"  {name:<26} {ms(service_mean):>11}   {ms(bare_mean):>11}   {service_mean / bare_mean:5.1f}x")
    _say(f"  {'(tick past the event end)':<26} {ms(mean(services.ticks)):>11}   {ms(mean(bare.ticks)):>11}")
    _say(f"  {'(register + start)':<26} {ms(mean(services.registrations)):>11}   {ms(mean(bare.starts)):>11}")
    _say(f"  state_json after a lifecycle: services {kib(mean(services.state_sizes))}, "
         f"bare engine {kib(mean(bare.state_sizes))} (specs are stored once per diagram version, not per instance)")
    if breakdown is not None:
        means = breakdown.means()
        _say("\nWhere a service completion's time goes (mean per completion):")
        for part, label in [*lifecycle.PARTS.items(), ("commit", "commit"),
                            ("rest", "rest (task lookup, lock, completion audit, flush)"), ("total", "total")]:
            _say(f"  {label:<52} {ms(means[part]):>10}  {means[part] / means['total']:6.1%}")
    if profiler is not None:
        _say("\ncProfile of the timed service completions (top 30 by cumulative time):")
        stats = pstats.Stats(profiler, stream=sys.stdout)
        stats.strip_dirs().sort_stats("cumulative").print_stats(30)

    service_mean, bare_mean = mean(services.completions), mean(bare.completions)
    ratio = service_mean / bare_mean
    sizes = services.state_sizes
    return [
        Figure("lifecycles through the services", str(args.events)),
        Figure("task completion, services: mean", ms(service_mean)),
        Figure("task completion, services: median", ms(median(services.completions))),
        Figure("task completion, services: p95", ms(percentile(services.completions, 95))),
        Figure("  of which the commit: mean", ms(mean(services.commits))),
        Figure("same step, bare engine in memory: mean", ms(bare_mean)),
        Figure("ratio services / bare engine", f"{ratio:.1f}x", f"<= {RATIO_TARGET:.0f}x", ratio <= RATIO_TARGET),
        Figure("  bare engine + JSON load/save per step: mean", ms(mean(bare.round_trips))),
        Figure("state size per instance: mean", kib(mean(sizes)), "<= 64 KB", mean(sizes) <= STATE_TARGET),
        Figure("state size per instance: max", kib(max(sizes)), "<= 64 KB", max(sizes) <= STATE_TARGET),
    ]


def _inbox_figures(args: argparse.Namespace) -> list[Figure]:
    _say(f"\nInbox: bulk-inserting {args.inbox_events} open events over {args.inbox_orgs} organizations ...")
    seeded = inbox.seed_open_events(args.inbox_events, args.inbox_orgs, args.organizer_share)
    by_lane = ", ".join(f"{lane} {count}" for lane, count in sorted(inbox.open_tasks_by_lane().items()))
    _say(f"  {seeded.events} events, {seeded.task_rows} human_task rows ({seeded.open_tasks} open: {by_lane}) "
         f"in {seeded.seconds:.1f} s")
    figures, index_names, full_scan = [], set(), False
    for label, username in inbox.INBOX_USERS:
        timing = inbox.time_inbox(label, username, args.repeats)
        page = median(timing.pages)
        _say(f"  {label} ({username}): {timing.total} open in the inbox, first page {timing.first_page} rows; "
             f"page+count median {ms(page)}, p95 {ms(percentile(timing.pages, 95))}; "
             f"50-row select alone median {ms(median(timing.rows_only))}")
        figures.append(Figure(f"inbox first page ({PAGE}), {label}: median", ms(page), "<= 50 ms",
                              page <= INBOX_TARGET))
        for kind, lines in inbox.plans(username).items():
            used, scan = inbox.indexes_used(lines)
            index_names |= used
            full_scan |= scan or not used
            if args.explain:
                _say(f"  EXPLAIN QUERY PLAN, {label}, {kind}:")
                for line in lines:
                    _say(f"    {line}")
    names = sorted(name.removeprefix("ix_human_task_") for name in index_names)
    figures.append(Figure("inbox queries use an index on human_task", ", ".join(names) or "none",
                          "index, no full scan", not full_scan))
    return figures



def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.scale > 0:
        return scale.run(args, _say)
    directory = Path(tempfile.mkdtemp(prefix="tanzhong-bench-"))
    started, load_before = time.perf_counter(), os.getloadavg()[0]
    try:
        app = _app(directory)
        with app.app_context():
            from models import db
            from processes.demo import load_demo_data

            db.create_all()
            load_demo_data()
            db.session.commit()
            figures = _lifecycle_figures(args) if args.events > 0 else []
            if args.inbox_events > 0:
                figures += _inbox_figures(args)
            figures += [Figure(*row) for row in migration_bench.run(progress=_say)]  # issue #10
            if args.registry_rows > 0:  # issue #22
                figures += [Figure(*row) for row in registry_bench.run(args.registry_rows, progress=_say)]
            db.session.remove()
            db.engine.dispose()
    finally:
        if args.keep_db:
            _say(f"\nDatabase kept: {directory / 'bench.sqlite'}")
        else:
            shutil.rmtree(directory, ignore_errors=True)
    elapsed = time.perf_counter() - started
    _say(f"\nTanzhong lifecycle benchmark, {time.strftime('%Y-%m-%d %H:%M')}, "
         f"Python {sys.version.split()[0]}, SQLite file, {os.cpu_count()} CPUs, load average "
         f"{load_before:.2f} at start / {os.getloadavg()[0]:.2f} at end, {elapsed:.0f} s in all\n")
    _say(table(figures))
    if args.json:
        args.json.write_text(json.dumps([f.as_dict() for f in figures], ensure_ascii=False, indent=2) + "\n",
                             encoding="utf-8")
    missed = [f.name for f in figures if f.ok is False]
    _say(f"\n{len(missed)} figure(s) missed their target" + (f": {'; '.join(missed)}" if missed else "") +
         " (reported, not failed; see docs/benchmarks.md).")
    return 0


if __name__ == "__main__":
    sys.exit(main())
