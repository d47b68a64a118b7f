"""Offsets: serial parsing, no double counting (R-CAN-2), registries (R-CAN-1), priority reasons
(R-OFF-4), donors (R-OFF-3), coverage, the 6-month rule (R-TIME-1), reversals, summary, ledger."""

from __future__ import annotations

import secrets
from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from models import AuditEntry, User, db
from models.offsets import Cancellation, Instrument, Registry
from models.sinks import SinkProject, SinkStatus, SinkType
from models.uploads import Upload
from processes import audit, uploads
from processes.dates import offset_due
from processes.errors import Conflict, Invalid
from processes.offsets import (
    ledger_rows,
    offsets_summary,
    parse_serial_range,
    record_cancellations,
    replace_offset_plan,
    reverse_cancellation,
    validate_offset_plan,
)

TODAY = date.today()
PREFIX = "SDPH-LY-2024-"


def user(username: str) -> User:
    return db.session.execute(select(User).filter_by(username=username)).scalar_one()


def upload_for(uploader: User, event=None, content_type: str = "application/pdf") -> Upload:  # noqa: ANN001
    row = Upload(sha256=secrets.token_hex(32), size=9, filename="certificate.pdf", content_type=content_type,
                 stored_name=secrets.token_hex(16), uploaded_by_id=uploader.id, event_id=event.id if event else None)
    db.session.add(row)
    db.session.flush()
    return row


def serial(n: int, prefix: str = PREFIX) -> str:
    return f"{prefix}{n:06d}"


def line(upload: Upload, start: int, end: int | None = None, **extra: object) -> dict:
    end = start if end is None else end
    values = {
        "instrument": "sd_inclusion_forestry", "registry": "sd_inclusion_platform",
        "serial_from": serial(start), "serial_to": serial(end) if end != start else "",
        "quantity_tco2e": str(end - start + 1), "cancelled_on": (TODAY - timedelta(days=1)).isoformat(),
        "certificate": upload.id,
    }
    values.update(extra)
    return values


def cancel(event, lines: list[dict], actor: User | None = None, accounted: str = "0", **kw: object):  # noqa: ANN001,ANN201
    return record_cancellations(event, lines, actor or user("organizer"), accounted_tco2e=Decimal(accounted),
                                today=TODAY, **kw)


def actions(action: str) -> list[AuditEntry]:
    return list(db.session.execute(select(AuditEntry).where(AuditEntry.action == action)).scalars())


@pytest.fixture(autouse=True)
def _request_context(app):  # noqa: ANN001,ANN202
    """Service errors render lazy translations, whose locale comes from the request."""
    with app.test_request_context():
        yield


@pytest.fixture()
def two_events(make_event):  # noqa: ANN001,ANN201
    """Two ended events of different organizers, each with a certificate upload, committed."""
    first = make_event(days_from_now=-30, name="运河文化博览会")
    second = make_event(days_from_now=-20, organization="济宁市文化产业协会", name="孔子文化节论坛")
    up1 = upload_for(user("organizer"), first)
    up2 = upload_for(user("organizer2"), second)
    db.session.commit()
    return first, second, up1, up2


# --- serial numbers ----------------------------------------------------------------------------


def test_parse_serial_range_key_and_trailing_digits():
    units = parse_serial_range("CCER-37-2024-000001", "CCER-37-2024-000100")
    assert (units.key, units.first, units.last, units.size) == ("g|CCER", 372024000001, 372024000100, 100)
    assert units.alt == ("g|CCER372024", 1, 100)


def test_parse_serial_range_single_certificate_when_no_end():
    assert parse_serial_range("SDPH2024000123", "")[:3] == ("g|SDPH", 2024000123, 2024000123)
    assert parse_serial_range("SDPH2024000123", None).size == 1


def test_parse_serial_range_normalizes_case_separators_and_full_width_digits():
    assert parse_serial_range("ccer 37-０００１", "CCER37—0010") == parse_serial_range("CCER 37 0001", "ccer_37.0010")
    assert parse_serial_range("CCER370001", "CCER370010")[:3] == parse_serial_range("CCER-37-0001", "CCER-37-0010")[:3]


def test_parse_serial_range_end_before_start_refused():
    with pytest.raises(Invalid):
        parse_serial_range("A-0100", "A-0099")


def test_parse_serial_range_different_prefixes_refused():
    with pytest.raises(Invalid) as err:
        parse_serial_range("A-0001", "B-0010", field_prefix="cancellations-0-")
    assert "cancellations-0-serial_to" in err.value.fields


def test_parse_serial_range_needs_trailing_digits():
    with pytest.raises(Invalid):
        parse_serial_range("CERT-ABC")
    with pytest.raises(Invalid):
        parse_serial_range("  ")


# --- no double counting (R-CAN-2) --------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "end", "case"),
    [
        (100, 199, "identical"),
        (120, 150, "contained"),
        (50, 250, "containing"),
        (50, 100, "partial left"),
        (199, 260, "partial right"),
        (150, 150, "single certificate inside"),
    ],
)
def test_r_can_2_overlapping_serials_refused(two_events, start, end, case):
    first, second, up1, up2 = two_events
    cancel(first, [line(up1, 100, 199)])
    db.session.commit()
    with pytest.raises(Conflict) as err:
        cancel(second, [line(up2, start, end)], actor=user("organizer2"))
    assert err.value.status == 409, case
    assert "another event" in str(err.value.message)  # organizer2 may not see the first organizer's event
    assert "运河文化博览会" not in str(err.value.message)
    assert db.session.execute(select(Cancellation).where(Cancellation.event_id == second.id)).first() is None
    refused = actions("offsets.double_counting_refused")
    assert len(refused) == 1 and refused[0].detail["conflicting_event_id"] == first.id


@pytest.mark.parametrize(("start", "end"), [(50, 99), (200, 260)])
def test_r_can_2_adjacent_ranges_allowed(two_events, start, end):
    first, second, up1, up2 = two_events
    cancel(first, [line(up1, 100, 199)])
    rows = cancel(second, [line(up2, start, end)], actor=user("organizer2"))
    assert rows[0].serial_start == 2024_000_000 + start and rows[0].serial_end == 2024_000_000 + end


def test_r_can_2_same_serials_at_another_chinese_registry_are_the_same_units(two_events):
    """Shandong units re-entered as national-market units (or at an "other" registry) count once."""
    first, second, up1, up2 = two_events
    cancel(first, [line(up1, 1, 10)])
    with pytest.raises(Conflict):
        cancel(second, [line(up2, 1, 10, instrument="cea", registry="national_carbon_market",
                             reason="省内碳普惠减排量本季度无可用量")], actor=user("organizer2"))


def test_r_can_2_different_prefix_allowed(two_events):
    first, second, up1, up2 = two_events
    cancel(first, [line(up1, 1, 10)])
    other = line(up2, 1, 10, serial_from=serial(1, "SDPH-LY-2023-"), serial_to=serial(10, "SDPH-LY-2023-"))
    assert cancel(second, [other], actor=user("organizer2"))[0].serial_alt_key == "g|SDPHLY2023"


@pytest.mark.parametrize("name", ["Verra", "Gold Standard", "---", "山东碳普惠平台"])
def test_r_can_2_an_other_registrys_name_never_frees_the_units(two_events, name):
    first, second, up1, up2 = two_events
    extra = {"instrument": "other_mechanism", "registry": "other", "reason": "无省内项目", "quantity_tco2e": "2.5"}
    cancel(first, [line(up1, 1, 10, registry_name="Puro.earth", **extra)])
    with pytest.raises(Conflict):
        cancel(second, [line(up2, 5, 5, registry_name=name, **extra)], actor=user("organizer2"))


def test_r_can_2_conflict_names_the_event_to_those_who_may_see_it(two_events):
    first, second, up1, up2 = two_events
    cancel(first, [line(up1, 100, 199)])
    db.session.commit()
    with pytest.raises(Conflict) as err:  # EEB staff may see every event
        cancel(second, [line(upload_for(user("eeb"), second), 150, 160)], actor=user("eeb"))
    assert "运河文化博览会" in str(err.value.message) and f"no. {first.id}" in str(err.value.message)


def test_r_can_2_lines_overlapping_each_other_refused(two_events):
    first, _, up1, _ = two_events
    with pytest.raises(Invalid) as err:
        cancel(first, [line(up1, 1, 10), line(up1, 10, 20)])
    assert "cancellations-1-serial_from" in err.value.fields


def test_r_can_2_reversed_range_is_free_again(two_events):
    first, second, up1, up2 = two_events
    original = cancel(first, [line(up1, 100, 199)])[0]
    reversal = reverse_cancellation(original, user("organizer"), "序列号录入错误")
    assert reversal.reverses_id == original.id and reversal.reason == "序列号录入错误"
    rows = cancel(second, [line(up2, 120, 150)], actor=user("organizer2"))
    assert rows[0].event_id == second.id
    assert [a.reason for a in actions("offsets.cancellation_reversed")] == ["序列号录入错误"]
    ledger = {row["id"]: row for row in ledger_rows()}
    assert ledger[original.id]["reversed"] is True and ledger[reversal.id]["reverses_id"] == original.id


def test_r_can_2_reversal_needs_a_reason_and_happens_once(two_events):
    first, _, up1, _ = two_events
    original = cancel(first, [line(up1, 1, 5)])[0]
    with pytest.raises(Invalid):
        reverse_cancellation(original, user("organizer"), "  ")
    reversal = reverse_cancellation(original, user("organizer"), "重复录入")
    with pytest.raises(Conflict):
        reverse_cancellation(original, user("organizer"), "再次冲正")
    with pytest.raises(Invalid):
        reverse_cancellation(reversal, user("organizer"), "冲正的冲正")


def test_r_can_2_ledger_rows_are_append_only(two_events):
    first, _, up1, _ = two_events
    row = cancel(first, [line(up1, 1, 5)])[0]
    row.quantity_tco2e = Decimal("4")
    with pytest.raises(ValueError, match="append-only"):
        db.session.flush()
    db.session.rollback()


# --- registries, quantities, dates, evidence (R-CAN-1, R-CAN-2) ---------------------------------


def test_r_can_1_registry_must_fit_the_instrument(two_events):
    first, _, up1, _ = two_events
    with pytest.raises(Invalid) as err:
        cancel(first, [line(up1, 1, 10, instrument="ccer_shandong", registry="sd_inclusion_platform", reason="x")])
    assert "cancellations-0-registry" in err.value.fields
    with pytest.raises(Invalid):
        cancel(first, [line(up1, 1, 10, instrument="sd_inclusion_marine", registry="national_carbon_market")])


def test_r_can_1_registry_defaults_to_the_instruments_own(two_events):
    first, _, up1, _ = two_events
    rows = cancel(first, [line(up1, 1, 10, instrument="ccer_shandong", registry=None, reason="碳普惠无可用量")])
    assert rows[0].unit_registry is Registry.CCER_REGISTRY


def test_r_can_1_other_registry_needs_its_name(two_events):
    first, _, up1, _ = two_events
    with pytest.raises(Invalid) as err:
        cancel(first, [line(up1, 1, 10, instrument="other_mechanism", registry="other", reason="无省内项目")])
    assert "cancellations-0-registry_name" in err.value.fields


def test_r_can_2_quantity_must_match_range_length_at_one_tonne_registries(two_events):
    first, _, up1, _ = two_events
    with pytest.raises(Invalid) as err:
        cancel(first, [line(up1, 1, 10, quantity_tco2e="9")])
    assert "10 units" in str(err.value.fields["cancellations-0-quantity_tco2e"][0])
    with pytest.raises(Invalid):
        cancel(first, [line(up1, 1, 10, quantity_tco2e="10.5")])


def test_r_can_2_end_before_start_refused_and_nothing_stored(two_events):
    first, _, up1, _ = two_events
    with pytest.raises(Invalid) as err:
        cancel(first, [line(up1, 1, 10), line(up1, 30, serial_to=serial(25))])
    assert list(err.value.fields) == ["cancellations-1-serial_to"]
    assert db.session.execute(select(Cancellation)).first() is None


def test_future_cancellation_date_refused(two_events):
    first, _, up1, _ = two_events
    with pytest.raises(Invalid) as err:
        cancel(first, [line(up1, 1, 10, cancelled_on=(TODAY + timedelta(days=1)).isoformat())])
    assert "cancellations-0-cancelled_on" in err.value.fields


def test_r_can_2_evidence_required_and_must_be_own_pdf_or_image(two_events):
    first, _, up1, up2 = two_events
    with pytest.raises(Invalid) as err:
        cancel(first, [line(up1, 1, 10, certificate=None)])
    assert "cancellations-0-certificate" in err.value.fields
    with pytest.raises(Invalid):  # another organizer's upload for another event
        cancel(first, [line(up2, 1, 10)])
    with pytest.raises(Invalid):
        cancel(first, [line(upload_for(user("organizer"), first, "text/plain"), 1, 10)])
    with pytest.raises(Invalid):
        cancel(first, [line(up1, 1, 10, certificate=999999)])
    row = cancel(first, [line(upload_for(user("organizer"), None, "image/jpeg"), 1, 10)])[0]
    assert len(row.evidence_sha256) == 64


def test_r_can_2_evidence_through_the_upload_service(two_events, tmp_path):
    """Bad files never become uploads; a real PDF upload is accepted and its SHA-256 kept."""
    first, _, _, _ = two_events
    organizer = user("organizer")
    with pytest.raises(Invalid):  # PNG content named .pdf
        uploads.store(b"\x89PNG\r\n\x1a\n...", "cert.pdf", organizer, str(tmp_path), max_bytes=2**20, event=first)
    with pytest.raises(Invalid):  # too large
        uploads.store(b"%PDF-1.4 " + b"x" * 2048, "cert.pdf", organizer, str(tmp_path), max_bytes=1024, event=first)
    pdf = uploads.store(b"%PDF-1.4 cancellation certificate", "cert.pdf", organizer, str(tmp_path),
                        max_bytes=2**20, event=first)
    row = cancel(first, [line(pdf, 1, 10)])[0]
    assert row.evidence_upload_id == pdf.id and row.evidence_sha256 == pdf.sha256


def test_r_off_3_donor_is_recorded(two_events):
    first, _, up1, _ = two_events
    row = cancel(first, [line(up1, 1, 10, donor="济宁能源集团")])[0]
    assert row.donor == "济宁能源集团"
    assert ledger_rows({"event_id": str(first.id)})[0]["donor"] == "济宁能源集团"


# --- priority (R-OFF-4) ------------------------------------------------------------------------


def test_r_off_4_lower_priority_plan_line_needs_reason(make_event):
    event = make_event()
    with pytest.raises(Invalid) as err:
        validate_offset_plan(event, [{"instrument": "sd_inclusion_forestry", "quantity_tco2e": "50"},
                                     {"instrument": "cea", "quantity_tco2e": "30"}])
    assert list(err.value.fields) == ["offset_plan-1-reason"]
    lines = validate_offset_plan(event, [{"instrument": "cea", "quantity_tco2e": "30", "reason": "碳普惠无可用量"}])
    assert lines[0].instrument is Instrument.CEA and lines[0].quantity_tco2e == Decimal("30")


def test_r_off_4_no_reason_needed_when_no_higher_priority_is_available(make_event):
    event = make_event()
    lines = validate_offset_plan(event, [{"instrument": "ccer_shandong", "quantity_tco2e": "30"}],
                                 available_instruments=["ccer_shandong", "cea"])
    assert lines[0].reason is None
    with pytest.raises(Invalid):
        validate_offset_plan(event, [{"instrument": "cea", "quantity_tco2e": "30"}],
                             available_instruments=["ccer_shandong", "cea"])


def test_r_off_1_new_sink_path_needs_no_priority_reason(make_event):
    lines = validate_offset_plan(make_event(), [{"instrument": "new_forestry_sink", "quantity_tco2e": "80"}])
    assert lines[0].instrument.is_project


@pytest.mark.parametrize("quantity", ["0", "-5", "abc", "", "1.2345"])
def test_plan_quantities_must_be_positive_numbers(make_event, quantity):
    with pytest.raises(Invalid) as err:
        validate_offset_plan(make_event(), [{"instrument": "sd_inclusion_other", "quantity_tco2e": quantity}])
    assert "offset_plan-0-quantity_tco2e" in err.value.fields


def test_r_off_4_unknown_instrument_refused_and_empty_plan_left_to_the_caller(make_event):
    assert validate_offset_plan(make_event(), []) == []
    with pytest.raises(Invalid) as err:
        validate_offset_plan(make_event(), [{"instrument": "vcs", "quantity_tco2e": "1"}])
    assert "offset_plan-0-instrument" in err.value.fields


def test_r_off_4_cancellation_of_lower_priority_needs_reason(two_events):
    first, _, up1, _ = two_events
    with pytest.raises(Invalid) as err:
        cancel(first, [line(up1, 1, 10, instrument="cea", registry="national_carbon_market")])
    assert "cancellations-0-reason" in err.value.fields
    row = cancel(first, [line(up1, 1, 10, instrument="cea", registry="national_carbon_market", reason="价格")])[0]
    assert row.reason == "价格"


def test_r_off_4_cancellation_takes_the_reason_recorded_in_the_plan(two_events):
    first, _, up1, _ = two_events
    replace_offset_plan(first, [{"instrument": "cea", "quantity_tco2e": "10", "reason": "碳普惠平台暂无林业减排量"}],
                        user("organizer"))
    row = cancel(first, [line(up1, 1, 10, instrument="cea", registry="national_carbon_market")])[0]
    assert row.reason == "碳普惠平台暂无林业减排量"
    assert actions("offsets.plan_recorded")


# --- coverage and the 6-month rule (R-TIME-1) --------------------------------------------------


def test_coverage_cancelled_plus_sink_must_reach_accounted_emissions(two_events):
    first, _, up1, _ = two_events
    with pytest.raises(Invalid) as err:
        cancel(first, [line(up1, 1, 100)], accounted="150.5")
    assert "50.500 t are missing" in str(err.value.message)
    rows = cancel(first, [line(up1, 1, 100)], accounted="150.5", sink_covered_tco2e=Decimal("50.5"))
    assert len(rows) == 1


def test_coverage_counts_earlier_cancellations_of_the_event(two_events):
    first, _, up1, _ = two_events
    cancel(first, [line(up1, 1, 100, project="梁山县林业碳普惠项目")])
    assert cancel(first, [line(up1, 101, 150)], accounted="150")
    assert cancel(first, [], accounted="150") == []
    with pytest.raises(Invalid):
        cancel(first, [], accounted="150.001")
    assert ledger_rows()[0]["project_name"] == "梁山县林业碳普惠项目"


def test_r_time_1_cancellation_after_six_months_is_accepted_but_flagged_overdue(make_event):
    event = make_event(days_from_now=-400, length_days=1)
    up = upload_for(user("organizer"), event)
    row = cancel(event, [line(up, 1, 10, cancelled_on=TODAY.isoformat())])[0]
    assert row.overdue is True
    assert actions("offsets.cancellation_overdue")[0].reason == "R-TIME-1"
    assert offsets_summary(event, Decimal("10"))["overdue"] is True


def test_r_time_1_cancellation_on_the_deadline_is_on_time_the_day_after_overdue(make_event):
    event = make_event(days_from_now=-400, length_days=1)
    due = offset_due(event.ends_on)
    up = upload_for(user("organizer"), event)
    on_time, late = cancel(event, [line(up, 1, 10, cancelled_on=due.isoformat()),
                                   line(up, 11, 20, cancelled_on=(due + timedelta(days=1)).isoformat())])
    assert (on_time.overdue, late.overdue) == (False, True)


def test_r_time_1_six_calendar_months_clamp_to_month_end():
    assert offset_due(date(2025, 8, 31)) == date(2026, 2, 28)
    assert offset_due(date(2025, 6, 15)) == date(2025, 12, 15)


def test_r_time_1_summary_overdue_when_short_after_six_months(make_event):
    event = make_event(days_from_now=-400, length_days=1)
    assert offsets_summary(event, Decimal("10"))["overdue"] is True
    assert offsets_summary(event, None)["overdue"] is False
    recent = make_event(days_from_now=-10)
    assert offsets_summary(recent, Decimal("10"))["overdue"] is False


# --- summary and ledger ------------------------------------------------------------------------


def test_offsets_summary_shape_and_decimal_strings(two_events):
    first, _, up1, _ = two_events
    cancel(first, [line(up1, 1, 100), line(up1, 1, 3, instrument="cea", registry="national_carbon_market",
                                            reason="补足差额", serial_from="CEA-2024-000001",
                                            serial_to="CEA-2024-000003")])
    summary = offsets_summary(first, Decimal("100"))
    assert summary == {
        "cancelled_tco2e": "103.000",
        "by_instrument": {"sd_inclusion_forestry": "100.000", "cea": "3.000"},
        "sink_validated_tco2e": "0.000",
        "coverage_percent": "103",
        "overdue": False,
    }
    assert offsets_summary(first, None)["coverage_percent"] is None


def test_offsets_summary_rounds_coverage_down_and_counts_validated_sinks(two_events):
    first, _, up1, _ = two_events
    cancel(first, [line(up1, 1, 100)])
    assert offsets_summary(first, Decimal("100.5"))["coverage_percent"] == "99"
    db.session.add(SinkProject(
        event_id=first.id, name="泗水县荒山造林", sink_type=SinkType.FORESTRY, location="泗张镇", county="泗水县",
        area_ha=Decimal("12.5"), expected_tco2e=Decimal("60"), crediting_period_years=20, applied_on=TODAY,
        status=SinkStatus.VALIDATED, validated_tco2e=Decimal("20.25"), registered_by_id=user("organizer").id))
    summary = offsets_summary(first, Decimal("100.5"))
    assert summary["sink_validated_tco2e"] == "20.250" and summary["coverage_percent"] == "119"


def test_reversed_cancellations_do_not_count(two_events):
    first, _, up1, _ = two_events
    row = cancel(first, [line(up1, 1, 100)])[0]
    reverse_cancellation(row, user("organizer"), "证书作废")
    assert offsets_summary(first, Decimal("100"))["cancelled_tco2e"] == "0.000"


def test_ledger_rows_fields_and_filters(two_events):
    first, second, up1, up2 = two_events
    cancel(first, [line(up1, 1, 10)])
    cancel(second, [line(up2, 1, 5, instrument="ccer_shandong", registry="ccer_registry", reason="x",
                          serial_from="CCER-37-0001", serial_to="CCER-37-0005")], actor=user("organizer2"))
    rows = ledger_rows()
    assert [r["event_name"] for r in rows] == ["运河文化博览会", "孔子文化节论坛"]
    assert rows[0]["quantity_tco2e"] == "10.000" and rows[0]["serial_from"] == serial(1)
    assert set(rows[0]) >= {"registry", "instrument", "serial_from", "serial_to", "quantity_tco2e", "event_id",
                            "event_name", "cancelled_on", "evidence_sha256", "donor", "overdue", "reversed"}
    assert [r["event_id"] for r in ledger_rows({"registry": "ccer_registry"})] == [second.id]
    assert [r["event_id"] for r in ledger_rows({"serial": serial(7)})] == [first.id]
    assert ledger_rows({"serial": serial(11)}) == []
    assert len(ledger_rows({"year": str(rows[0]["cancelled_on"][:4])})) == 2
    assert ledger_rows({"overdue": "true"}) == []
    with pytest.raises(Invalid):
        ledger_rows({"instrument": "bitcoin"})


def test_audit_chain_stays_valid_after_refusals(two_events):
    first, second, up1, up2 = two_events
    cancel(first, [line(up1, 1, 10)])
    db.session.commit()
    with pytest.raises(Conflict):
        cancel(second, [line(up2, 5, 15)], actor=user("organizer2"))
    assert audit.verify_chain().ok
