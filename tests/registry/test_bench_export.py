"""The benchmark's generated Verra export (bench/registry.py) is a valid export in Verra's layout, and
its ledger lines are confirmed, in conflict or not found as intended (so `make bench` measures a real import)."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from bench import registry as bench
from models import db
from models.registry import CancellationCheck, RetirementRecord


@pytest.mark.usefixtures("demo")
def test_r_can_2_the_generated_export_imports_whole_and_checks_the_seeded_lines():
    figures = bench.run(rows=300, lines=30, progress=lambda _text: None)
    assert figures[0][0].startswith("registry import (300-row Verra export")
    assert figures[0][1].replace(",", "").isdigit()
    assert db.session.scalar(select(func.count()).select_from(RetirementRecord)) == 300
    counts = {s.value: n for s, n in db.session.execute(select(CancellationCheck.status, func.count()).group_by(
        CancellationCheck.status))}
    # Every other line lies in a retired block (for the organizer, for another company, or for nobody),
    # the rest beyond the last block.
    assert counts["not_found"] == 15 and counts["confirmed"] + counts["conflict"] == 15 and counts["conflict"] > 0
