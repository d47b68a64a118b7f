"""Publishing a new shipped factor set (issue #16, R-ACC-1): an existing installation gets it as its
next version on `init-db`, while every event keeps the version and figures it was computed with; a
fresh installation starts with it; a set an administrator imported later stays in force."""

from __future__ import annotations

import hashlib
from pathlib import Path

from sqlalchemy import func, select

from models import AuditEntry, User, db
from models.accounting import ActivityLine, EmissionCategory, FactorSet, FactorStatus
from processes import accounting
from processes.accounting.factors import DEFAULT_FACTOR_FILE
from tests.unit.test_migrations import empty_database_url  # noqa: F401 - fixture

# the file shipped before issue #16 (sha256 2746664c…): what existing installations have as set 1
PREVIOUS_FILE = Path(__file__).parent / "data" / "emission-factors-2746664c.csv"
SHIPPED_SHA256 = hashlib.sha256(DEFAULT_FACTOR_FILE.read_bytes()).hexdigest()


def _set_count() -> int:
    return db.session.execute(select(func.count()).select_from(FactorSet)).scalar_one()


def _imports() -> int:
    return db.session.execute(select(func.count()).select_from(AuditEntry)
                              .where(AuditEntry.action == "factors.imported")).scalar_one()


def test_upgrade_adds_the_new_set_and_past_events_keep_their_figures(make_event):
    organizer = db.session.execute(select(User).filter_by(username="organizer")).scalar_one()
    old = accounting.import_factor_csv(PREVIOUS_FILE, note="shipped before issue 16")
    assert old.factors["hotel_room_night"].status is FactorStatus.TO_VERIFY
    event = make_event()
    measures = [{"kind": "clean_plate", "description": "光盘行动", "expected_tco2e": "0.2"}]
    accounting.save_plan_accounting(event, [c.value for c in EmissionCategory],
                                    [{"factor_key": "hotel_room_night", "quantity": "450"}], measures, organizer)
    accounting.save_account(event, [{"factor_key": "hotel_room_night", "quantity": "450"},
                                    {"factor_key": "gasoline_l", "quantity": "1000"}], organizer)
    before, csv_before = accounting.emissions_summary(event), accounting.export_csv(event)
    assert before["factor_set"] == old.number == 1

    new = accounting.ensure_default_factor_set()  # what `init-db` runs on every upgrade

    assert (new.number, new.sha256, new.filename) == (2, SHIPPED_SHA256, "emission-factors.csv")
    assert accounting.current_factor_set().id == new.id and "sha256 " + SHIPPED_SHA256[:12] in new.note
    db.session.expire_all()
    assert accounting.emissions_summary(event) == before and accounting.export_csv(event) == csv_before
    assert "To be verified against the primary publication" in csv_before  # the old set's status, kept
    assert "third-party transcription" in csv_before  # and its words
    lines = db.session.execute(select(ActivityLine).filter_by(event_id=event.id)).scalars().all()
    assert {line.factor_set_id for line in lines} == {old.id}
    assert old.factors["hotel_room_night"].status is FactorStatus.TO_VERIFY  # stored sets are never edited
    assert new.factors["hotel_room_night"].status is FactorStatus.VERIFIED
    # the same figures in both versions: only statuses and sources changed, and rows were added
    assert {k: f.kgco2e_per_unit for k, f in old.factors.items()} == {
        k: f.kgco2e_per_unit for k, f in new.factors.items() if k in old.factors}
    assert set(new.factors) - set(old.factors) == {
        "grid_electricity_national_2023", "grid_electricity_north_china_2023",
        "grid_electricity_national_excl_market_nonfossil_2023", "grid_electricity_fossil_2023"}
    # an account saved now uses the new version
    accounting.save_account(event, [{"factor_key": "grid_electricity_national_2023", "quantity": "10000"}], organizer)
    assert accounting.emissions_summary(event)["factor_set"] == 2
    assert accounting.emissions_summary(event)["actual_tco2e"] == "5.306"


def test_running_init_again_imports_nothing_and_a_later_admin_set_stays_in_force(app):
    shipped = accounting.ensure_default_factor_set()
    custom = accounting.import_factor_csv(DEFAULT_FACTOR_FILE.read_text(encoding="utf-8").replace(
        "0.5306", "0.5307"), note="local correction")
    audits = _imports()
    assert accounting.ensure_default_factor_set().id == custom.id
    assert accounting.ensure_default_factor_set().id == custom.id
    assert (_set_count(), _imports(), shipped.number, custom.number) == (2, audits, 1, 2)


def test_init_db_and_demo_data_on_a_fresh_database_start_with_the_shipped_set(empty_database_url):  # noqa: F811
    from config import TestConfig
    from webapp import create_app

    class FreshConfig(TestConfig):
        SQLALCHEMY_DATABASE_URI = empty_database_url

    fresh = create_app(FreshConfig)
    with fresh.app_context():
        runner = fresh.test_cli_runner()
        for command in ("init-db", "demo-data", "init-db"):
            result = runner.invoke(args=[command])
            assert result.exit_code == 0, result.output
        sets = accounting.factor_sets()
        assert [(s.number, s.sha256) for s in sets] == [(1, SHIPPED_SHA256)]
        current = accounting.current_factor_set()
        assert current.factors["flight_long_haul_pkm"].status is FactorStatus.VERIFIED
        assert current.factors["grid_electricity_national_2023"].valid_from.isoformat() == "2026-01-15"
        db.session.remove()
        db.engine.dispose()
