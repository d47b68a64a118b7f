"""The emission-factor library (issue 5): versioned imports, whole-file rejection with line
numbers, idempotent re-import, the shipped default set, and the `flask factors` commands (R-ACC-1)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from flask_babel import force_locale
from sqlalchemy import func, select

from models import AuditEntry, db
from models.accounting import EmissionFactor, FactorSet, FactorStatus
from processes import accounting
from processes.accounting.factors import DEFAULT_FACTOR_FILE
from processes.errors import Invalid
from webapp import factors_cli

HEADER = "key,category,subcategory,name_zh,name_en,unit,kgco2e_per_unit,gases,source,year,status"
GOOD_ROW = "grid_test,venue_energy,electricity,电网,Grid,kWh,0.6776,CO2,MEE & NBS 2022,2022,verified"


@pytest.fixture(autouse=True)
def _english(app):  # noqa: ANN001,ANN202
    with force_locale("en"):
        yield


def _count(model: type) -> int:
    return db.session.execute(select(func.count()).select_from(model)).scalar_one()


def _rejection(text: str) -> dict[str, list[str]]:
    with pytest.raises(Invalid) as caught:
        accounting.import_factor_csv(text)
    return {name: [str(m) for m in messages] for name, messages in caught.value.fields.items()}


def test_default_factor_set_loads_once_and_is_in_force(app):
    first = accounting.ensure_default_factor_set()
    assert first.number == 1 and first.filename == "emission-factors.csv"
    assert first.note.startswith("Factor set shipped with Tanzhong (processes/data/emission-factors.csv, sha256 ")
    assert accounting.ensure_default_factor_set().id == first.id
    assert accounting.current_factor_set().id == first.id
    assert _count(FactorSet) == 1
    heat = first.factors["purchased_heat"]
    assert (heat.unit, heat.kgco2e_per_unit, heat.status, heat.year) == ("GJ", Decimal("110"), FactorStatus.VERIFIED,
                                                                        2015)
    assert first.factors["meal_standard"].year is None  # the source gives no year; kept empty, not invented
    assert all(f.source for f in accounting.factors(first))
    assert [row["action"] for row in _audit()] == ["factors.imported"]


def _audit() -> list[dict]:
    return [{"action": e.action, "detail": e.detail} for e in db.session.execute(
        select(AuditEntry).order_by(AuditEntry.seq)).scalars()]


def test_bad_file_is_rejected_whole_with_line_numbers(app):
    """Every bad row is reported by its line (header = line 1); nothing is imported."""
    text = "\n".join([
        HEADER,
        GOOD_ROW,  # line 2: fine
        "bad_unit,venue_energy,electricity,电,El,kwh,0.5,CO2,src,2022,verified",  # line 3
        "negative,waste,landfill,填埋,Landfill,t,-1,CO2e,src,2025,to-verify",  # line 4
        "no_source,catering,meal,餐,Meal,meal,1.5,CO2e,,,to-verify",  # line 5
        "grid_test,venue_energy,electricity,电,El,kWh,0.5,CO2,src,2022,verified",  # line 6: duplicate key
        "huge,materials,paper,纸,Paper,kg,100000,CO2e,src,2025,derived",  # line 7: ≥ 100 000 kg per unit
        "text_value,materials,paper,纸,Paper,kg,abc,CO2e,src,twenty,maybe",  # line 8
        "Bad Key,lodging,hotel,酒店,Hotel,room-night,53.5,CO2e,src,2025,to-verify",  # line 9
    ]) + "\n"
    errors = _rejection(text)
    assert list(errors) == [f"line {n}" for n in range(3, 10)]
    assert errors["line 3"] == ["unit 'kwh' is not one of kWh, GJ, t, m3, L, pkm, km, room-night, meal, kg, item"]
    assert "outside 0 ≤ value < 100000" in errors["line 4"][0]
    assert errors["line 5"] == ["source is empty"]
    assert errors["line 6"] == ["key 'grid_test' is already on line 2"]
    assert "outside" in errors["line 7"][0]
    assert len(errors["line 8"]) == 3  # value, year, status
    assert len(errors["line 9"]) == 2  # key, category
    assert _count(FactorSet) == 0 and _count(EmissionFactor) == 0 and _audit() == []


def test_line_numbers_count_physical_lines_of_quoted_fields(app):
    multi_line_source = GOOD_ROW.replace("MEE & NBS 2022", '"MEE &\nNBS 2022"')
    text = "\n".join([
        HEADER,  # line 1
        multi_line_source,  # lines 2–3
        "",  # line 4, blank
        "other,waste,landfill,填埋,Landfill,tonne,497,CO2e,src,2025,to-verify",  # line 5
    ]) + "\n"
    assert list(_rejection(text)) == ["line 5"]


def test_header_is_checked(app):
    errors = _rejection("key,category,unit,kgco2e_per_kwh\nx,waste,t,1\n")
    assert list(errors) == ["line 1"] and "missing columns" in errors["line 1"][0]
    assert "unknown columns: kgco2e_per_kwh" in errors["line 1"][1]
    assert list(_rejection(HEADER + "\n")) == ["line 2"]  # no factors at all


def test_new_version_is_numbered_and_identical_file_changes_nothing(app, demo):
    from models import User

    admin = db.session.execute(select(User).filter_by(username="admin")).scalar_one()
    default = accounting.ensure_default_factor_set()
    text = f"{HEADER},valid_from,valid_to\n{GOOD_ROW},2023-01-01,2025-12-31\n"
    second = accounting.import_factor_csv(text, actor=admin, note="test update")
    assert (second.number, second.note, second.imported_by_id) == (2, "test update", admin.id)
    assert second.factors["grid_test"].valid_to.isoformat() == "2025-12-31"
    assert accounting.current_factor_set().id == second.id
    audit_count = len(_audit())
    again = accounting.import_factor_csv(text, actor=admin, note="again")
    assert again.id == second.id and again.note == "test update"
    assert accounting.import_factor_csv(DEFAULT_FACTOR_FILE).id == default.id
    assert _count(FactorSet) == 2 and len(_audit()) == audit_count
    assert _audit()[-1]["detail"]["factor_set"] == 2 and _audit()[-1]["detail"]["sha256"] == second.sha256


def test_factor_json_gives_decimal_strings_status_and_exact_source(app):
    factors = accounting.current_factor_set().factors
    data = accounting.factor_json(factors["plastics_kg"])
    assert data["kgco2e_per_unit"] == "3.17249932" and data["category"] == "materials" and data["unit"] == "kg"
    assert (data["status"], data["status_title"]) == ("verified", "Verified against the primary publication")
    assert data["source_reference"].endswith("factor ID 19_505_5120_15_1: Material use > Plastic > "
                                             "Plastics: average plastics > Primary material production, tonnes")
    assert data["source"].startswith(data["source_reference"] + "; ") and data["valid_from"] is None
    grid = accounting.factor_json(factors["grid_electricity_north_china_2023"])
    assert (grid["valid_from"], grid["valid_to"], grid["status"]) == ("2026-01-15", None, "to-verify")


def test_cli_import_and_list(runner, tmp_path):
    good = tmp_path / "factors-2026.csv"
    good.write_text(f"{HEADER}\n{GOOD_ROW}\n", encoding="utf-8")
    accounting.ensure_default_factor_set()
    db.session.commit()
    result = runner.invoke(factors_cli.factors, ["import", str(good), "--note", "2026 update"])
    assert result.exit_code == 0, result.output
    assert "Imported factor set #2 (1 factors)" in result.output
    result = runner.invoke(factors_cli.factors, ["import", str(good)])
    assert result.exit_code == 0 and "Identical to factor set #2" in result.output
    listing = runner.invoke(factors_cli.factors, ["list"])
    assert listing.exit_code == 0 and "#2" in listing.output and "grid_test" in listing.output
    older = runner.invoke(factors_cli.factors, ["list", "--number", "1"])
    assert "purchased_heat" in older.output
    line = next(x for x in older.output.splitlines() if x.startswith("grid_electricity_national_2023 "))
    assert line.split()[-4:] == ["2023", "to-verify", "from", "2026-01-15"]


def test_cli_rejects_a_bad_file_with_line_numbers(runner, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text(f"{HEADER}\n{GOOD_ROW.replace('kWh', 'MWh')}\n", encoding="utf-8")
    result = runner.invoke(factors_cli.factors, ["import", str(bad)])
    assert result.exit_code != 0
    assert "line 2: unit 'MWh'" in result.output  # the CLI speaks the default language (Chinese)
    assert _count(FactorSet) == 0
