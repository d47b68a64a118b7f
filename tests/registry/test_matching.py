"""Each ledger line checked against the registry's own data (issue #22, R-CAN-2): confirmed, partly,
not_found, conflict, no_data — recomputed when data arrives, a conflict told to EEB, never blocking."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from models import AuditEntry, Notification, NotificationKind, User, db
from models.db import utcnow
from models.offsets import Cancellation, Registry
from models.registry import CancellationCheck, RegistryStatus
from processes import offsets
from processes.dates import local_today
from processes.registry import importer, matching
from processes.registry.status import fields, statuses
from tests.registry.conftest import (
    GOLD,
    GS_HILTI,
    VERRA,
    VERRA_ABSENT,
    VERRA_HENGTONG,
    VERRA_NOBODY,
    cancel,
    import_file,
    user,
)

pytestmark = pytest.mark.usefixtures("demo")
S = RegistryStatus


def status_of(row: Cancellation) -> RegistryStatus | None:
    shown = statuses([row.id]).get(row.id)
    return shown.status if shown else None


def stored_status(row: Cancellation) -> RegistryStatus | None:
    return db.session.execute(select(CancellationCheck.status).filter_by(cancellation_id=row.id)).scalar()


def conflict_notes() -> list[Notification]:
    return list(db.session.execute(select(Notification).filter_by(kind=NotificationKind.REGISTRY_CONFLICT)).scalars())


HEADER = VERRA.read_text(encoding="utf-8-sig").splitlines()[0].split(",")


def verra_export(*rows: tuple[str, int, str, str, str]) -> bytes:
    """A Verra transactions export of (serial, quantity, date, beneficiary, details) rows."""
    out = io.StringIO(newline="")
    writer = csv.writer(out)
    writer.writerow(HEADER)
    for serial, quantity, day, beneficiary, details in rows:
        writer.writerow(["2026-03-01", "", "2020-01-01", "2020-12-31", serial.split("-")[-4], "P", "China", "T", "M",
                         "1", f"{quantity:,}", serial, "", day, beneficiary, "Retirement for Person or Organization",
                         details])
    return out.getvalue().encode()


def test_r_can_2_confirmed_conflict_and_not_found_from_the_sample_export(events):
    """The issue's scenario: one line confirmed, one retired for someone else, one absent."""
    first, second = events
    confirmed = cancel(first, VERRA_NOBODY, 425)
    retired_elsewhere = cancel(second, VERRA_HENGTONG, 2608, actor="organizer2")
    absent = cancel(first, VERRA_ABSENT, 69)
    assert {status_of(r) for r in (confirmed, retired_elsewhere, absent)} == {S.NO_DATA}

    imported = import_file(VERRA)

    assert [stored_status(r) for r in (confirmed, retired_elsewhere, absent)] == [S.CONFIRMED, S.CONFLICT, S.NOT_FOUND]
    shown = fields(statuses([confirmed.id])[confirmed.id])
    assert shown["registry_status"] == "confirmed"
    assert shown["registry_record"] | {"imported_on": None} == {
        "serial": VERRA_NOBODY, "date": "2026-04-10", "beneficiary": None, "import_id": imported.id,
        "imported_on": None, "note": None, "line": 2, "units_found": 425, "reason": None}
    conflict = fields(statuses([retired_elsewhere.id])[retired_elsewhere.id])["registry_record"]
    assert conflict["beneficiary"].startswith("江苏亨通") and conflict["reason"] == "other_beneficiary"
    assert fields(statuses([absent.id])[absent.id]) == {"registry_status": "not_found", "registry_record": None}


def test_r_can_2_a_conflict_notifies_the_venues_eeb_once_and_is_audited(events):
    _first, second = events
    row = cancel(second, VERRA_HENGTONG, 2608, actor="organizer2")
    import_file(VERRA)
    notes = conflict_notes()
    readers = [db.session.get(User, n.user_id) for n in notes]
    assert readers and {u.department.kind.value for u in readers} == {"eeb"}
    assert all(n.event_id == second.id and n.params["record_beneficiary"].startswith("江苏亨通") for n in notes)
    entry = db.session.execute(select(AuditEntry).filter_by(action="registry.conflict")).scalar_one()
    assert entry.event_id == second.id and entry.detail["cancellation_id"] == row.id
    assert entry.detail["why"] == "other_beneficiary"
    # The same data again (another file with the same record): no second notification, no second entry.
    hengtong = "江苏亨通高压海缆有限公司 Hengtong Submarine Power Cable Co., Ltd."
    import_file(verra_export((VERRA_HENGTONG, 2608, "2026-04-13", hengtong, "")))
    assert len(conflict_notes()) == len(notes)
    assert db.session.scalar(select(func.count()).select_from(AuditEntry).filter_by(action="registry.conflict")) == 1


def test_r_can_2_matching_never_blocks_a_cancellation_recorded_after_the_import(events):
    _first, second = events
    import_file(VERRA)
    row = cancel(second, VERRA_HENGTONG, 2608, actor="organizer2")  # retired for Hengtong: still recorded
    assert db.session.get(Cancellation, row.id) is not None
    assert stored_status(row) is S.CONFLICT and conflict_notes()


def test_r_can_2_a_record_that_names_the_organizer_or_event_confirms(events):
    first, _second = events
    serial = "20001-950000001-950000010-VCS-VCU-1-VER-CN-1-7001-01012020-31122020-0"
    other = "20002-950000011-950000020-VCS-VCU-1-VER-CN-1-7001-01012020-31122020-0"
    spelled = "20003-950000021-950000030-VCS-VCU-1-VER-CN-1-7001-01012020-31122020-0"
    import_file(verra_export(
        (serial, 10, "2026-03-01", "济宁会展服务有限公司", ""),
        (other, 10, "2026-03-01", "", "Offsetting the 运河文化博览会 in Jining"),
        (spelled, 10, "2026-03-01", "Someone Else GmbH", "for Someone Else's annual report")))
    assert status_of(cancel(first, serial, 10)) is S.CONFIRMED
    assert status_of(cancel(first, other, 10)) is S.CONFIRMED
    assert status_of(cancel(first, spelled, 10)) is S.CONFLICT


@pytest.mark.parametrize("beneficiary", ["Not Disclosed", "not disclosed", "", "N/A"])
def test_r_can_2_a_placeholder_beneficiary_names_nobody(events, beneficiary):
    first, _second = events
    serial = "20001-950000001-950000010-VCS-VCU-1-VER-CN-1-7001-01012020-31122020-0"
    import_file(verra_export((serial, 10, "2026-03-01", beneficiary, "")))
    assert status_of(cancel(first, serial, 10)) is S.CONFIRMED


def test_r_can_2_a_line_reaching_past_the_record_is_partly_confirmed(events):
    first, _second = events
    import_file(VERRA)
    row = cancel(first, "19385-941467007-941467500-VCS-VCU-1507-VER-ET-14-1340-01012020-31122020-1", 494)
    shown = statuses([row.id])[row.id]
    assert (shown.status, shown.units_found) == (S.PARTLY, 425)


def test_r_can_2_units_inside_a_retired_block_are_confirmed_in_any_spelling(events):
    first, _second = events
    import_file(VERRA)
    inside = ("１９３８５－９４１４６７１００－９４１４６７１９９－vcs－vcu－"
              "1507－VER－ET－14－1340－01012020－31122020－1")
    assert status_of(cancel(first, inside, 100)) is S.CONFIRMED


def test_r_can_2_units_retired_after_the_line_was_recorded_do_not_confirm_it(events):
    first, _second = events
    serial = "20001-950000001-950000010-VCS-VCU-1-VER-CN-1-7001-01012020-31122020-0"
    row = cancel(first, serial, 10)
    tomorrow = (local_today(utcnow()) + timedelta(days=1)).isoformat()  # the day after, in Jining
    import_file(verra_export((serial, 10, tomorrow, "", "")))
    shown = statuses([row.id])[row.id]
    assert (shown.status, shown.reason, shown.units_found) == (S.PARTLY, "retired_after_recording", 0)


def test_r_can_2_no_data_until_an_import_covers_the_project_and_vintage(events):
    first, _second = events
    elsewhere = cancel(first, "20001-950000001-950000010-VCS-VCU-1-VER-CN-1-7001-01012020-31122020-0", 10)
    other_vintage = cancel(first, "20002-941467601-941467610-VCS-VCU-1-VER-ET-14-1340-01012019-31122019-0", 10)
    same_project = cancel(first, VERRA_ABSENT, 69)
    import_file(VERRA)
    assert [stored_status(r) for r in (elsewhere, other_vintage, same_project)] == [S.NO_DATA, S.NO_DATA,
                                                                                    S.NOT_FOUND]


def test_r_can_2_statuses_follow_the_data_in_and_out(events):
    first, _second = events
    row = cancel(first, VERRA_NOBODY, 425)
    assert stored_status(row) is S.NO_DATA  # checked when recorded
    imported = import_file(VERRA)
    assert stored_status(row) is S.CONFIRMED
    importer.withdraw(imported.id, user("eeb_rencheng"), "the wrong file")
    db.session.commit()
    assert stored_status(row) is S.NO_DATA
    assert db.session.execute(select(AuditEntry).filter_by(action="registry.withdrawn")).scalar_one().reason == (
        "the wrong file")
    import_file(VERRA)  # the same file may come back after it was withdrawn
    assert stored_status(row) is S.CONFIRMED


def test_r_can_2_gold_standard_lines_are_checked_against_gold_standard_data_only(events):
    first, _second = events
    row = cancel(first, GS_HILTI, 5354, registry="gold_standard")
    import_file(VERRA)
    assert stored_status(row) is S.NO_DATA
    import_file(GOLD, Registry.GOLD_STANDARD)
    assert stored_status(row) is S.CONFLICT  # retired for Hilti Corporation
    single = cancel(first, "GS1-1-CR-GS2913-22-2025-30184-3-3", 1, registry="gold_standard")
    assert stored_status(single) is S.CONFLICT  # a marketplace order for a person


def test_r_can_2_a_reversed_line_has_no_status_and_frees_nothing_in_the_registry(events):
    first, _second = events
    row = cancel(first, VERRA_NOBODY, 425)
    import_file(VERRA)
    offsets.reverse_cancellation(row, user("organizer"), "typed the wrong block")
    db.session.commit()
    assert statuses([row.id]) == {} and stored_status(row) is None
    again = cancel(first, VERRA_NOBODY, 425)
    assert stored_status(again) is S.CONFIRMED


def test_r_can_2_the_same_units_in_two_ledger_lines_conflict(events):
    """The ledger refuses overlaps; lines recorded before a rule (here inserted directly) are found."""
    first, second = events
    row = cancel(first, VERRA_NOBODY, 425)
    twin = Cancellation(**{name: getattr(row, name) for name in (
        "instrument", "unit_registry", "serial_from", "serial_prefix", "serial_start", "serial_end",
        "quantity_tco2e", "cancelled_on", "evidence_upload_id", "evidence_sha256")},
        event_id=second.id, recorded_by_id=user("organizer2").id)
    db.session.add(twin)
    db.session.commit()
    assert stored_status(row) is S.CONFLICT and stored_status(twin) is S.CONFLICT
    shown = statuses([row.id])[row.id]
    assert shown.reason == "two_ledger_lines"
    assert db.session.execute(select(CancellationCheck.other_cancellation_id).filter_by(
        cancellation_id=row.id)).scalar() == twin.id


def test_r_can_2_a_failing_check_never_blocks_the_cancellation(events, monkeypatch):
    first, _second = events

    def broken(*_args: object, **_kw: object) -> None:
        raise RuntimeError("registry data unreadable")

    monkeypatch.setattr(matching, "recheck", broken)
    row = cancel(first, VERRA_NOBODY, 425)
    assert db.session.get(Cancellation, row.id) is not None and stored_status(row) is None
    assert status_of(row) is S.NO_DATA  # computed when read


def test_r_can_2_lines_without_a_stored_status_are_checked_when_read(events):
    first, _second = events
    row = cancel(first, VERRA_NOBODY, 425)
    import_file(VERRA)
    db.session.execute(CancellationCheck.__table__.delete())
    db.session.commit()
    assert status_of(row) is S.CONFIRMED and stored_status(row) is None
