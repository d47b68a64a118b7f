"""The shipped factor file against the extracts of its primary publications (issue #16, R-ACC-1).

A `verified` row that names a DESNZ factor ID must carry the value the extract gives for that ID, so a
later edit cannot drift silently; the rows still `to-verify` say in one line what is missing; the
per-litre fuel rows keep the density they state. The extracts are `processes/data/factor-sources/`.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from processes.accounting.factors import DEFAULT_FACTOR_FILE, SOURCE_SEPARATOR

SOURCES = DEFAULT_FACTOR_FILE.parent / "factor-sources"
DESNZ_EXTRACTS = {"2025": "desnz_2025_flat_file_extract.csv"}  # publication year → flat-file extract
# extract UOM → {product unit: how many product units make one extract unit}
SCALES = {"passenger.km": {"pkm": 1}, "km": {"km": 1}, "Room per night": {"room-night": 1},
          "tonnes": {"t": 1, "kg": 1000}}
DESNZ_REF = re.compile(r"conversion factors (\d{4}), flat file\b.*\bfactor ID (\d+(?:_\d+)+)")
# CHECK.md: the 18 rows confirmed by factor ID, and the six with no primary copy
CONFIRMED = {
    "flight_domestic_pkm", "flight_short_haul_pkm", "flight_long_haul_pkm", "flight_international_non_uk_pkm",
    "rail_conventional_pkm", "coach_pkm", "bus_local_pkm", "car_petrol_km", "car_diesel_km", "taxi_km",
    "taxi_pkm", "hotel_room_night", "paper_kg", "paper_recycled_kg", "plastics_kg", "textiles_kg",
    "waste_landfill_t", "waste_incineration_t",
}
NOT_FOUND = {"flight_china_domestic_pkm", "rail_high_speed_pkm", "meal_standard", "meal_vegetarian", "meal_beef",
             "waste_incineration_msw_t"}
GRID_2023 = {"grid_electricity_national_2023": "0.5306", "grid_electricity_north_china_2023": "0.6361",
             "grid_electricity_national_excl_market_nonfossil_2023": "0.6096",
             "grid_electricity_fossil_2023": "0.8273"}


def shipped() -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(DEFAULT_FACTOR_FILE.read_text(encoding="utf-8"), newline="")))


def extract(name: str) -> list[dict[str, str]]:
    """The rows of an extract; its provenance header is the lines starting with '#'."""
    lines = [line for line in (SOURCES / name).read_text(encoding="utf-8").splitlines() if not line.startswith("#")]
    return list(csv.DictReader(lines))


def by_id(name: str) -> dict[str, dict[str, str]]:
    return {row["ID"]: row for row in extract(name)}


def drift(rows: list[dict[str, str]]) -> dict[str, str]:
    """Why each `verified` row citing DESNZ does not match its extract (no entry: it matches)."""
    problems: dict[str, str] = {}
    for row in rows:
        if row["status"] != "verified" or "DESNZ" not in row["source"]:
            continue
        key, reference = row["key"], row["source"].split(SOURCE_SEPARATOR, 1)[0]
        found = DESNZ_REF.search(reference)
        if found is None:
            problems[key] = "its source does not start with a DESNZ publication year and factor ID"
            continue
        year, factor_id = found.groups()
        if year not in DESNZ_EXTRACTS:
            problems[key] = f"no extract of the DESNZ {year} publication"
            continue
        entry = by_id(DESNZ_EXTRACTS[year]).get(factor_id)
        if entry is None or entry["product_key"] != key:
            problems[key] = f"factor ID {factor_id} is not this factor's row in the extract"
            continue
        scale = SCALES.get(entry["UOM"], {}).get(row["unit"])
        if scale is None or (row["gases"] == "CO2e" and entry["GHG/Unit"] != "kg CO2e"):
            problems[key] = (f"unit {row['unit']} / {row['gases']} is not the extract's "
                             f"{entry['UOM']} / {entry['GHG/Unit']}")
            continue
        published = Decimal(entry[f"GHG Conversion Factor {year}"])
        if Decimal(row["kgco2e_per_unit"]) * scale != published:
            problems[key] = f"{row['kgco2e_per_unit']} differs from {published} per {entry['UOM']} (ID {factor_id})"
    return problems


def test_every_verified_desnz_row_equals_its_extract_issue_16():
    rows = shipped()
    assert drift(rows) == {}
    assert {r["key"] for r in rows if r["status"] == "verified" and "DESNZ" in r["source"]} == CONFIRMED


def test_the_2025_full_set_agrees_cell_by_cell():
    """The second layout of the same publication gives the same 18 values (per tonne for materials)."""
    rows = {r["key"]: r for r in shipped()}
    cells = [c for c in extract("desnz_2025_fullset_and_2024_condensed_extract.csv") if c["part"] == "1"]
    assert {c["product_key"] for c in cells} == CONFIRMED
    for cell in cells:
        row = rows[cell["product_key"]]
        scale = 1000 if row["unit"] == "kg" else 1
        assert Decimal(row["kgco2e_per_unit"]) * scale == Decimal(cell["value"]), cell["sheet!cell"]


@settings(max_examples=150, deadline=None)
@given(key=st.sampled_from(sorted(CONFIRMED)),
       delta=st.decimals(min_value=Decimal("-5"), max_value=Decimal("5"), places=8).filter(lambda d: d != 0))
def test_a_drifted_verified_value_is_caught(key, delta):
    rows = shipped()
    row = next(r for r in rows if r["key"] == key)
    row["kgco2e_per_unit"] = str(Decimal(row["kgco2e_per_unit"]) + delta)
    assert list(drift(rows)) == [key]


@pytest.mark.parametrize("change", [
    lambda s: s.replace("factor ID 29_600_4009_13_1", "factor ID 25_313_3141_4_1"),  # another row's ID
    lambda s: s.replace("factor ID 29_600_4009_13_1", "factor ID 29_600_4009_13_9"),  # an ID not extracted
    lambda s: s.replace("conversion factors 2025", "conversion factors 2026"),  # a year with no extract
    lambda s: s.replace("factor ID 29_600_4009_13_1", "Hotel stay > China"),  # no ID at all
])
def test_a_verified_row_whose_reference_does_not_lead_to_its_extract_is_caught(change):
    rows = shipped()
    hotel = next(r for r in rows if r["key"] == "hotel_room_night")
    hotel["source"] = change(hotel["source"])
    assert list(drift(rows)) == ["hotel_room_night"]


def test_a_verified_row_in_the_wrong_unit_is_caught():
    rows = shipped()
    paper = next(r for r in rows if r["key"] == "paper_kg")
    paper["unit"] = "t"  # 1.3450779 per tonne would be a thousandfold understatement
    assert list(drift(rows)) == ["paper_kg"]


def test_fuel_rows_use_the_stated_2023_density():
    """gasoline_l / diesel_l = the per-tonne row ÷ the DESNZ 2023 density (L/t), which the extract gives."""
    rows = {r["key"]: r for r in shipped()}
    flat_2023 = by_id("desnz_2023_v1_1_flat_file_extract.csv")
    for litre_key, tonne_key, litre_id, tonne_id, litres_per_tonne, newer in (
            ("gasoline_l", "gasoline_t", "1_101_1018_8_2", "1_101_1018_15_2", 1345, "1348 L/t"),
            ("diesel_l", "diesel_t", "1_101_1012_8_2", "1_101_1012_15_2", 1205, "1204 L/t")):
        per_litre = Decimal(flat_2023[litre_id]["GHG Conversion Factor 2023"])
        per_tonne = Decimal(flat_2023[tonne_id]["GHG Conversion Factor 2023"])
        assert round(per_tonne / per_litre) == litres_per_tonne
        row = rows[litre_key]
        expected = (Decimal(rows[tonne_key]["kgco2e_per_unit"]) / litres_per_tonne).quantize(Decimal("0.0001"))
        assert Decimal(row["kgco2e_per_unit"]) == expected
        assert f"{litres_per_tonne} L/t" in row["source"] and "conversion factors 2023" in row["source"]
        assert newer in row["source"]  # says which year's density it does not use, and why
        assert row["status"] == "to-verify"  # the per-tonne NDRC input has no primary copy yet
    fuel_properties = [c for c in extract("desnz_2025_fullset_and_2024_condensed_extract.csv") if c["part"] == "2"]
    assert sorted(c["value"].split(" = ")[-1] for c in fuel_properties) == ["1204 litres/tonne", "1348 litres/tonne"]


def test_rows_still_to_verify_say_what_is_missing_in_one_line():
    rows = shipped()
    unverified = {r["key"]: r for r in rows if r["status"] == "to-verify"}
    assert set(unverified) == NOT_FOUND | {"gasoline_l", "diesel_l"} | set(GRID_2023)
    for key, row in unverified.items():
        segments = row["source"].split(SOURCE_SEPARATOR)
        missing = [s for s in segments if s.startswith("Missing: ")]
        assert missing == [segments[-1]], key
        assert "\n" not in missing[0] and len(missing[0]) > len("Missing: ") + 10, key


def test_missing_chinese_sources_are_said_on_the_factor():
    rows = {r["key"]: r for r in shipped()}
    for key in ("meal_standard", "meal_vegetarian", "meal_beef"):
        assert "no Chinese per-meal factor was found" in rows[key]["source"]
    assert "no Chinese per-room-night factor was found" in rows["hotel_room_night"]["source"]
    for key in ("paper_kg", "paper_recycled_kg", "plastics_kg", "textiles_kg"):
        assert "no Chinese material factor" in rows[key]["source"]


def test_meal_rows_carry_the_value_of_ademes_data_file():
    rows = {r["key"]: r for r in shipped()}
    for entry in extract("ademe_impactco2_repas_extract.csv"):
        row = rows[entry["product_key"]]
        assert Decimal(row["kgco2e_per_unit"]) == Decimal(entry["total_kgCO2e_per_meal"])
        assert f"element {entry['base_carbone_id']} " in row["source"] and row["year"] == ""  # no year invented


def test_2023_grid_factors_are_offered_from_their_announcement_with_their_reports():
    """The newest national figure can be chosen for a 2026 event; 0.5366 stays the verified 2022 row;
    0.5703 (the carbon-market reporting figure) is no factor of the file."""
    rows = {r["key"]: r for r in shipped()}
    reports = (SOURCES / "secondary_sources_not_primary.txt").read_text(encoding="utf-8")
    reported_2023 = reports[reports.index("2023 factors"):].split("\n- ", 1)[0]  # that item of the list
    for key, value in GRID_2023.items():
        row = rows[key]
        assert (row["kgco2e_per_unit"], row["year"], row["status"], row["valid_from"]) == (
            value, "2023", "to-verify", "2026-01-15")
        assert value in reported_2023 and "中国电力报 2026-01-15" in row["source"]
    assert (rows["grid_electricity_national_2022"]["kgco2e_per_unit"],
            rows["grid_electricity_national_2022"]["status"]) == ("0.5366", "verified")
    assert "0.5703" in rows["grid_electricity_national_2022"]["source"]  # says why it is not used
    assert all(Decimal(r["kgco2e_per_unit"]) != Decimal("0.5703") for r in rows.values())


def test_every_source_starts_with_its_publication_and_place():
    """The first part of a source (shown as the form's tooltip) names the publication and its table or ID."""
    for row in shipped():
        reference = row["source"].split(SOURCE_SEPARATOR, 1)[0]
        assert 20 <= len(reference) <= 250, row["key"]
        assert not reference.startswith(("NCV", "Derived", "Missing")), row["key"]


def test_docs_list_the_shipped_version():
    """Publishing a changed file is a new factor-set version: docs/emission-factors.md records it."""
    digest = hashlib.sha256(DEFAULT_FACTOR_FILE.read_bytes()).hexdigest()
    docs = (Path(__file__).resolve().parents[2] / "docs" / "emission-factors.md").read_text(encoding="utf-8")
    assert f"`{digest[:12]}`" in docs.split("## Shipped versions", 1)[1].split("\n## ", 1)[0]
