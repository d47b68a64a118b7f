"""Importing registries' public exports (issue #22, R-CAN-2): the sample files in the registries' own
layouts, refused whole with the line and column when something cannot be read, never half imported,
never touching the ledger."""

from __future__ import annotations

import csv
import io
import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from models import AuditEntry, db
from models.offsets import Registry
from models.registry import RegistryImport, RetirementRecord
from processes import offsets, serials
from processes.errors import Conflict, Invalid
from processes.registry import importer
from tests.registry.conftest import GOLD, VERRA, VERRA_HENGTONG, cancel, import_file

pytestmark = pytest.mark.usefixtures("demo")


def stored() -> tuple[int, int]:
    db.session.rollback()
    return (db.session.scalar(select(func.count(RegistryImport.id))),
            db.session.scalar(select(func.count(RetirementRecord.id))))


def rewrite(path, change) -> bytes:  # noqa: ANN001
    """The sample with `change(rows)` applied to its parsed rows (header first), written back as CSV."""
    rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8-sig"), newline="")))
    change(rows)
    out = io.StringIO(newline="")
    csv.writer(out).writerows(rows)
    return out.getvalue().encode()


def refused(data: bytes, registry: Registry = Registry.VERRA, **kw: object) -> Invalid:
    with pytest.raises(Invalid) as err:
        import_file(data, registry, **kw)
    assert stored() == (0, 0), "nothing may be imported half"
    return err.value


def test_r_can_2_verra_sample_imports_every_row_as_its_unit_range():
    imported = import_file(VERRA)
    assert (imported.rows, imported.ranges, imported.adapter, imported.channel) == (30, 30, "verra_transactions", "cli")
    assert len(imported.sha256) == 64 and imported.size == VERRA.stat().st_size
    hengtong = db.session.execute(select(RetirementRecord).filter_by(serial=VERRA_HENGTONG)).scalar_one()
    assert (hengtong.units_key, hengtong.first_unit, hengtong.last_unit) == ("verra|", 940005924, 940008531)
    assert hengtong.quantity == 2608 and hengtong.retired_on.isoformat() == "2026-04-13"
    assert hengtong.beneficiary.startswith("江苏亨通高压海缆有限公司")
    assert (hengtong.project_code, hengtong.project_key, hengtong.vintage) == ("3880", "3880", 2022)
    assert hengtong.line == 8  # the header is line 1; the Hengtong block is the 7th data row
    for record in db.session.execute(select(RetirementRecord)).scalars():
        assert serials.parse(Registry.VERRA, record.serial)[:3] == (record.units_key, record.first_unit,
                                                                    record.last_unit)


def test_r_can_2_gold_standard_sample_keys_are_the_batch_and_lines_count_multiline_notes():
    imported = import_file(GOLD, Registry.GOLD_STANDARD)
    assert (imported.rows, imported.ranges, imported.adapter) == (30, 30, "gold_standard_retirements")
    records = db.session.execute(select(RetirementRecord).order_by(RetirementRecord.id)).scalars().all()
    first = records[0]
    units = serials.parse(Registry.GOLD_STANDARD, "GS1-1-KE-GS11603-16-2025-30256-110-5463")
    assert (first.units_key, first.first_unit, first.last_unit) == (units.key, 110, 5463)
    assert units.key.startswith("gs|") and "11603" in units.key and "30256" in units.key
    assert (first.beneficiary, first.project_key, first.vintage) == ("Hilti Corporation", "11603", 2025)
    assert first.note.startswith("Retirement on behalf of Hilti Corporation")
    # The first two notes end in a line break inside their quotes: each of those rows spans two lines.
    assert [r.line for r in records[:3]] == [2, 4, 6]


def test_r_can_2_an_export_of_the_wrong_registry_is_refused_naming_the_right_one():
    error = refused(GOLD.read_bytes(), Registry.VERRA)
    assert "Gold Standard" in str(error.message) and "registry" in error.fields
    error = refused(VERRA.read_bytes(), Registry.GOLD_STANDARD)
    assert "Verra" in str(error.message)


@pytest.mark.parametrize("column", ["Serial Number", "Quantity Issued", "Retirement/Cancellation Date"])
def test_r_can_2_a_changed_column_layout_is_refused_naming_the_column(column):
    data = rewrite(VERRA, lambda rows: rows[0].__setitem__(rows[0].index(column), column + " (new)"))
    error = refused(data)
    assert error.fields["file"][0].startswith("Line 1") and f"“{column}”" in error.fields["file"][0]


@pytest.mark.parametrize(("value", "column"), [
    ("GS1-1-KE-GS11603-16-2025-30256-110-5463", "Serial Number"),  # another registry's serial
    ("940005924", "Serial Number"),  # a bare unit number is no block of an export
    ("19328-940008531-940005924-VCS-VCU-1289-VER-CN-13-3880-01012022-31122022-0", "Serial Number"),  # reversed
    ("19328-9400059241234567890123-940008531-VCS-VCU-1", "Serial Number"),  # absurd magnitude
])
def test_r_can_2_a_serial_the_format_does_not_allow_is_refused_with_its_line(value, column):
    data = rewrite(VERRA, lambda rows: rows[10].__setitem__(rows[0].index("Serial Number"), value))
    error = refused(data)
    [problem] = error.fields["file"]
    assert problem.startswith(f"Line 11, column “{column}”"), problem


@pytest.mark.parametrize(("column", "value", "words"), [
    ("Quantity Issued", "2,609", "units, but the serial names 2608"),
    ("Quantity Issued", "", "no quantity"),
    ("Quantity Issued", "1e400", "not a quantity"),
    ("Retirement/Cancellation Date", "13/04/2026", "not a date"),
    ("Retirement/Cancellation Date", "1999-12-31", "not a date"),
    ("Retirement/Cancellation Date", "", "no date"),
    ("Vintage Start", "twenty-twenty", "not a year"),
])
def test_r_can_2_a_row_that_cannot_be_read_names_line_column_and_why(column, value, words):
    data = rewrite(VERRA, lambda rows: rows[7].__setitem__(rows[0].index(column), value))
    [problem] = refused(data).fields["file"]
    assert problem.startswith(f"Line 8, column “{column}”") and words in problem, problem


def test_r_can_2_a_row_with_fields_missing_is_refused_and_reading_stops_after_twenty_errors():
    def damage(rows: list[list[str]]) -> None:
        rows[3] = rows[3][:5]
        for row in rows[5:]:
            row[rows[0].index("Quantity Issued")] = "x"

    problems = refused(rewrite(VERRA, damage)).fields["file"]
    assert problems[0] == "Line 4: 5 fields, the header has 17"
    assert len(problems) == importer.MAX_ERRORS + 1 and "stopped" in problems[-1]


def test_r_can_2_empty_files_and_headers_alone_are_refused():
    assert refused(b"").fields["file"] == ["The file is empty."]
    header_only = VERRA.read_text(encoding="utf-8").splitlines()[0].encode()
    assert "no data rows" in refused(header_only).fields["file"][0]
    assert "Line 1" in refused(b"\x00\xff\xfe garbage\n").fields["file"][0]


def test_r_can_2_a_file_over_the_limit_is_refused_whole_with_413():
    with pytest.raises(importer.ExportTooLarge) as err:
        import_file(VERRA, max_bytes=VERRA.stat().st_size - 1)
    assert err.value.status == 413 and "MB" in str(err.value.message)
    assert stored() == (0, 0)


def test_r_can_2_the_same_file_twice_is_a_conflict_naming_the_first_import():
    first = import_file(VERRA)
    with pytest.raises(Conflict) as err:
        import_file(VERRA)
    assert f"no. {first.id}" in str(err.value.message)
    assert stored() == (1, 30)


def test_r_can_2_the_import_is_audited_with_who_what_and_the_file_hash():
    imported = import_file(VERRA, source="Verra registry, transactions export of 2026-04-15")
    entry = db.session.execute(select(AuditEntry).filter_by(action="registry.imported")).scalar_one()
    assert entry.actor == "eeb_rencheng" and entry.reason == "R-CAN-2"
    assert entry.detail["sha256"] == imported.sha256 and entry.detail["rows"] == 30
    assert entry.detail["source"] == imported.source == "Verra registry, transactions export of 2026-04-15"


def test_r_can_2_imports_never_change_the_ledger(events):
    first, _second = events
    cancel(first, VERRA_HENGTONG, 2608)
    before = offsets.ledger_rows()
    import_file(VERRA)
    import_file(GOLD, Registry.GOLD_STANDARD)
    assert offsets.ledger_rows() == before


SD_HEADER = ["证书编号", "截止编号", "注销数量", "注销日期", "注销用途", "项目编号", "年份"]


def sd_file(rows: list[list[str]], encoding: str = "gb18030") -> bytes:
    out = io.StringIO(newline="")
    csv.writer(out).writerows([SD_HEADER, *rows])
    return out.getvalue().encode(encoding)


SD_MAPPING = {"serial_from": "证书编号", "serial_to": "截止编号", "quantity": "注销数量", "date": "注销日期",
              "note": "注销用途", "project_code": "项目编号", "vintage": "年份"}


def test_r_can_2_a_generic_list_in_gb18030_reads_with_the_columns_the_importer_names():
    data = sd_file([["SDPH-LY-2024-000001", "SDPH-LY-2024-000100", "100", "2026年3月5日", "用于运河文化博览会碳中和",
                     "SDPH-LY-01", "2024"]])
    imported = import_file(data, Registry.SD_INCLUSION_PLATFORM, mapping=SD_MAPPING)
    assert json.loads(imported.mapping) == SD_MAPPING and imported.adapter == "generic_csv"
    record = db.session.execute(select(RetirementRecord)).scalar_one()
    units = serials.parse(Registry.SD_INCLUSION_PLATFORM, "SDPH-LY-2024-000001", "SDPH-LY-2024-000100")
    assert (record.units_key, record.first_unit, record.last_unit) == units[:3]
    assert (record.alt_key, record.alt_first, record.alt_last) == units.alt
    assert (record.retired_on.isoformat(), record.note) == ("2026-03-05", "用于运河文化博览会碳中和")
    assert record.project_key == "SDPHLY01"


def test_r_can_2_a_generic_list_needs_its_serial_and_date_columns_and_refuses_one_tonne_mismatches():
    with pytest.raises(Invalid) as err:
        import_file(sd_file([]), Registry.SD_INCLUSION_PLATFORM, mapping={"quantity": "注销数量"})
    assert {"column_serial", "column_date"} <= set(err.value.fields)
    missing = refused(sd_file([]), Registry.CCER_REGISTRY, mapping={**SD_MAPPING, "beneficiary": "受益方"})
    assert "“受益方”" in missing.fields["file"][0]
    wrong = sd_file([["SDPH-LY-2024-000001", "SDPH-LY-2024-000100", "99", "2026-03-05", "", "", ""]])
    assert "Line 2, column “注销数量”" in refused(wrong, Registry.SD_INCLUSION_PLATFORM, mapping=SD_MAPPING).fields[
        "file"][0]
    verra_block = sd_file([[VERRA_HENGTONG, "", "", "2026-03-05", "", "", ""]])
    assert "choose that registry" in refused(verra_block, Registry.SD_INCLUSION_PLATFORM, mapping=SD_MAPPING).fields[
        "file"][0]


def test_r_can_2_a_generic_list_at_an_other_registry_keeps_fractional_quantities():
    data = sd_file([["XYZ-0001", "", "0.5", "2026-03-05", "", "", ""]], encoding="utf-8")
    import_file(data, Registry.OTHER, mapping=SD_MAPPING)
    assert str(db.session.execute(select(RetirementRecord.quantity)).scalar_one()) == "0.500"


# --- any position of a broken row: refused at that line, nothing stored ---------------------------
def verra_rows(blocks: list[tuple[int, int]]) -> list[list[str]]:
    return [["2026-03-01", "", "2022-01-01", "2022-12-31", "3880", "P", "China", "T", "M", "1", f"{b - a + 1:,}",
             f"{19000 + i}-{a}-{b}-VCS-VCU-1289-VER-CN-13-3880-01012022-31122022-0", "", "2026-03-02", "", "", ""]
            for i, (a, b) in enumerate(blocks)]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(sizes=st.lists(st.integers(1, 10**6), min_size=1, max_size=40), data=st.data())
def test_r_can_2_a_broken_row_anywhere_is_named_by_its_line_and_nothing_is_stored(sizes, data):
    starts, blocks = 900_000_000, []
    for size in sizes:
        blocks.append((starts, starts + size - 1))
        starts += size
    rows = verra_rows(blocks)
    header = VERRA.read_text(encoding="utf-8-sig").splitlines()[0].split(",")
    broken = data.draw(st.integers(0, len(rows) - 1))
    rows[broken][11] = data.draw(st.sampled_from(["", "VCS-VCU", "1-2", f"{blocks[broken][1]}-{blocks[broken][0] - 1}"
                                                  "-9-VCS-VCU-1"]))
    out = io.StringIO(newline="")
    csv.writer(out).writerows([header, *rows])
    with pytest.raises(Invalid) as err:
        import_file(out.getvalue().encode())
    assert err.value.fields["file"][0].startswith(f"Line {broken + 2}, column “Serial Number”")
    assert stored() == (0, 0)
