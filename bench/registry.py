"""Importing a registry's export (issue #22): a generated Verra transactions export of 200,000 rows,
written to a temporary file in the registry's own layout, imported through the service as EEB staff
do it (streamed from disk, parsed into normalised ranges, inserted in batches, the ledger's lines at
Verra checked again), on the benchmark's SQLite file. Before it, 1,000 cancellations at Verra are
bulk-inserted so the recheck after the import has work: half inside retired blocks, half beyond them.

Figures: rows/s of the whole import (hash, read, parse, insert, recheck, commit) and the time the
recheck of the ledger's lines takes alone (run again after the import). Run alone with
`python -m bench.registry [--rows N]`.
"""

from __future__ import annotations

import argparse
import csv
import random
import shutil
import tempfile
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from time import perf_counter
from typing import Any

from sqlalchemy import insert, select

from models import Event, User, db
from models.db import utcnow
from models.event import EventKind, Sector, Tier
from models.offsets import Cancellation, Instrument, Registry
from models.org import OrganizerType
from models.registry import CancellationCheck
from processes.registry import importer, matching

TARGET = 10_000  # rows per second: 200,000 rows in 20 s, the recheck included ("imports in seconds")
HEADER = ["Issuance Date", "Sustainable Development Goals", "Vintage Start", "Vintage End", "ID", "Name",
          "Country/Area", "Project Type", "Methodology", "Total Vintage Quantity", "Quantity Issued", "Serial Number",
          "Additional Certifications", "Retirement/Cancellation Date", "Retirement Beneficiary", "Retirement Reason",
          "Retirement Details"]
FIRST_UNIT = 900_000_000
Row = tuple[str, str, str, bool | None]


def write_export(path: Path, rows: int, seed: int = 22) -> list[tuple[int, int]]:
    """Write a Verra transactions export of `rows` retirements (blocks of 1–5,000 units one after another,
    a third with a beneficiary and details, some in Chinese); return the blocks (first, last)."""
    rng = random.Random(seed)
    blocks, unit = [], FIRST_UNIT
    start = date(2024, 1, 1)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        for i in range(rows):
            size = rng.randint(1, 5_000)
            first, last = unit, unit + size - 1
            unit = last + 1 + rng.randint(0, 50)
            project = 1000 + i % 3000
            year = 2016 + i % 9
            beneficiary, reason, details = ("", "", "")
            if i % 3 == 0:
                beneficiary = f"济宁会展服务有限公司 Company {i}" if i % 2 else f"Company {i} Ltd."
                reason, details = "Retirement for Person or Organization", f"Offsetting the event no. {i}"
            writer.writerow([
                (start + timedelta(days=i % 700)).isoformat(), "", f"{year}-01-01", f"{year}-12-31", str(project),
                f"Project {project}", "China", "Energy industries", "ACM0002", f"{size * 3:,}", f"{size:,}",
                f"{19000 + i // 10}-{first}-{last}-VCS-VCU-1289-VER-CN-1-{project}-0101{year}-3112{year}-0", "",
                (start + timedelta(days=i % 700 + 10)).isoformat(), beneficiary, reason, details])
            blocks.append((first, last))
    return blocks


def seed_ledger(blocks: list[tuple[int, int]], lines: int) -> int:
    """Bulk-insert `lines` cancellations at Verra for one event: half inside retired blocks, half past
    the last block (not found). Return how many."""
    organizer = db.session.execute(select(User).filter_by(username="organizer")).scalar_one()
    event = Event(name="登记簿核对基准活动", kind=EventKind.EXHIBITION, sector=Sector.COMMERCE,
                  organizers=["济宁会展服务有限公司"], organizer_type=OrganizerType.ENTERPRISE, participants=600,
                  starts_on=date(2026, 1, 5), ends_on=date(2026, 1, 6), venue="济宁国际会展中心", county="任城区",
                  tier=Tier.THIRD_PARTY, organization_id=organizer.organization_id, created_by_id=organizer.id,
                  plan_published_at=utcnow())
    db.session.add(event)
    db.session.flush()
    step = max(len(blocks) // lines, 1)
    beyond = blocks[-1][1] + 1_000
    values = []
    for n in range(lines):
        first, last = blocks[(n * step) % len(blocks)] if n % 2 == 0 else (beyond + n * 10, beyond + n * 10 + 9)
        values.append({
            "event_id": event.id, "instrument": Instrument.OTHER_MECHANISM, "unit_registry": Registry.VERRA,
            "serial_from": f"30000-{first}-{last}-VCS-VCU-1289-VER-CN-1-1000-01012016-31122016-0",
            "serial_prefix": "verra|", "serial_start": first, "serial_end": last, "quantity_tco2e": last - first + 1,
            "cancelled_on": date(2026, 3, 1), "recorded_by_id": organizer.id, "overdue": False,
            "created_at": utcnow(), "reason": "bench"})
    db.session.execute(insert(Cancellation), values)
    db.session.commit()
    return lines


def run(rows: int = 200_000, lines: int = 1_000, progress: Callable[[str], Any] = print) -> list[Row]:
    """Generate the export, import it, return (figure, value, target, ok) rows."""
    directory = Path(tempfile.mkdtemp(prefix="tanzhong-bench-registry-"))
    try:
        path = directory / "verra-transactions.csv"
        progress(f"\nRegistry import: writing a Verra transactions export of {rows:,} rows ...")
        started = perf_counter()
        blocks = write_export(path, rows)
        progress(f"  {path.stat().st_size / 2**20:.1f} MB in {perf_counter() - started:.1f} s; "
                 f"seeding {lines:,} ledger lines at Verra ...")
        seed_ledger(blocks, lines)
        actor = db.session.execute(select(User).filter_by(username="eeb_rencheng")).scalar_one()
        started = perf_counter()
        with path.open("rb") as stream:
            imported = importer.import_export(stream, Registry.VERRA, filename=path.name, actor=actor,
                                              channel="cli", max_bytes=2**31)
        db.session.commit()
        seconds = perf_counter() - started
        started = perf_counter()
        matching.recheck(Registry.VERRA)  # the same again, alone: what the import spent on the ledger's lines
        db.session.commit()
        recheck = perf_counter() - started
        counts = dict(db.session.execute(select(CancellationCheck.status, db.func.count()).group_by(
            CancellationCheck.status)).all())
        rate = imported.rows / seconds
        progress(f"  imported {imported.rows:,} rows ({imported.ranges:,} ranges) in {seconds:.1f} s, "
                 f"{rate:,.0f} rows/s; ledger lines: " + ", ".join(f"{s.value} {n}" for s, n in counts.items()))
        return [
            (f"registry import ({rows:,}-row Verra export, {path.stat().st_size / 2**20:.0f} MB): rows/s",
             f"{rate:,.0f}", f">= {TARGET:,}", rate >= TARGET),
            ("  of which the check of the ledger's lines at Verra", f"{recheck:.2f} s for {lines:,} lines", "-", None),
        ]
    finally:
        shutil.rmtree(directory, ignore_errors=True)


def _standalone(argv: list[str] | None = None) -> None:
    """`python -m bench.registry`: a temporary SQLite file with the demo data, then `run`."""
    from bench.report import Figure, table
    from config import TestConfig
    from processes.demo import load_demo_data
    from webapp import create_app

    parser = argparse.ArgumentParser(prog="python -m bench.registry", description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=200_000, help="rows of the generated export (200000)")
    parser.add_argument("--lines", type=int, default=1_000, help="ledger lines at Verra to check (1000)")
    args = parser.parse_args(argv)
    directory = Path(tempfile.mkdtemp(prefix="tanzhong-bench-"))

    class BenchConfig(TestConfig):
        SQLALCHEMY_DATABASE_URI = f"sqlite:///{directory / 'bench.sqlite'}"
        UPLOAD_DIR = str(directory / "uploads")

    try:
        app = create_app(BenchConfig)
        with app.app_context():
            db.create_all()
            load_demo_data()
            db.session.commit()
            figures = [Figure(*row) for row in run(args.rows, args.lines)]
            db.session.remove()
            db.engine.dispose()
        print()
        print(table(figures))
    finally:
        shutil.rmtree(directory, ignore_errors=True)


if __name__ == "__main__":
    _standalone()
