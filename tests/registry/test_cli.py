"""`flask registry import|list|recheck` (issue #22): the CLI imports like the page, all rows or none."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from models import db
from models.registry import CancellationCheck, RegistryImport, RegistryStatus
from tests.registry.conftest import GOLD, VERRA, VERRA_NOBODY, cancel

pytestmark = pytest.mark.usefixtures("demo")


def test_r_can_2_cli_imports_a_verra_export_and_reports_rows_rate_and_statuses(runner, events):
    row = cancel(events[0], VERRA_NOBODY, 425)
    result = runner.invoke(args=["registry", "import", "--registry", "verra", str(VERRA), "--actor", "eeb_rencheng",
                                 "--source", "Verra transactions export"])
    assert result.exit_code == 0, result.output
    assert "30 rows, 30 retirement ranges from verra-transactions.csv" in result.output and "rows/s" in result.output
    assert "confirmed 1" in result.output
    imported = db.session.execute(select(RegistryImport)).scalar_one()
    assert (imported.imported_by.username, imported.channel, imported.source) == (
        "eeb_rencheng", "cli", "Verra transactions export")
    assert db.session.execute(select(CancellationCheck.status).filter_by(cancellation_id=row.id)).scalar() is (
        RegistryStatus.CONFIRMED)
    listed = runner.invoke(args=["registry", "list"])
    assert f"#{imported.id}" in listed.output and "eeb_rencheng" in listed.output


def test_r_can_2_cli_refuses_the_wrong_registrys_export_naming_it_and_imports_nothing(runner):
    result = runner.invoke(args=["registry", "import", "--registry", "verra", str(GOLD)])
    assert result.exit_code == 1 and "Gold Standard" in result.output
    assert db.session.scalar(select(func.count()).select_from(RegistryImport)) == 0


@pytest.mark.parametrize("actor", ["organizer", "commerce", "nobody", "verifier"])
def test_r_can_2_cli_actor_must_be_eeb_or_an_administrator(runner, actor):
    result = runner.invoke(args=["registry", "import", "--registry", "verra", str(VERRA), "--actor", actor])
    assert result.exit_code == 2 and "--actor" in result.output
    assert db.session.scalar(select(func.count()).select_from(RegistryImport)) == 0


def test_r_can_2_cli_generic_columns_are_checked(runner, tmp_path):
    path = tmp_path / "sd.csv"
    path.write_text("编号,日期\nSDPH-LY-2024-000001,2026-03-05\n", encoding="utf-8")
    bad = runner.invoke(args=["registry", "import", "--registry", "sd_inclusion_platform", str(path),
                              "--column", "serial"])
    assert bad.exit_code == 2 and "FIELD=COLUMN" in bad.output
    missing = runner.invoke(args=["registry", "import", "--registry", "sd_inclusion_platform", str(path),
                                  "--column", "serial=编号"])
    assert missing.exit_code == 1 and "column_date" in missing.output
    good = runner.invoke(args=["registry", "import", "--registry", "sd_inclusion_platform", str(path),
                               "--column", "serial=编号", "--column", "date=日期"])
    assert good.exit_code == 0, good.output


def test_r_can_2_cli_recheck_stores_a_status_for_every_active_line(runner, events):
    row = cancel(events[0], VERRA_NOBODY, 425)
    db.session.execute(CancellationCheck.__table__.delete())
    db.session.commit()
    result = runner.invoke(args=["registry", "recheck"])
    assert result.exit_code == 0 and "no_data 1" in result.output
    assert db.session.execute(select(CancellationCheck.status).filter_by(cancellation_id=row.id)).scalar() is (
        RegistryStatus.NO_DATA)
