"""Carbon accounting (issue 5): worked examples by hand, rounding, bad input, plausibility,
boundary, plan → reductions → account, factor-set versions, exports (R-PLAN-1, R-RED-1, R-ACC-1)."""

from __future__ import annotations

import csv
import io
import secrets
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

import pytest
from flask_babel import force_locale
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook
from sqlalchemy import func, select

from models import AuditEntry, User, db
from models.accounting import AccountStage, ActivityLine, BoundaryCategory, EmissionCategory, ReductionMeasure
from models.uploads import Upload
from processes import accounting
from processes.accounting.factors import DEFAULT_FACTOR_FILE
from processes.errors import Conflict, Invalid

ALL_IN = [c.value for c in EmissionCategory]
MEASURES = [{"kind": "clean_energy_transport", "description": "电动摆渡车", "expected_tco2e": "0.5"},
            {"kind": "clean_plate", "description": "光盘行动", "expected_tco2e": "0.2"}]


@pytest.fixture(autouse=True)
def _english(app):  # noqa: ANN001,ANN202
    """Render messages in English outside a request (the app's locale selector reads the request)."""
    with force_locale("en"):
        yield


@pytest.fixture()
def factor_set(app):  # noqa: ANN001,ANN201
    return accounting.ensure_default_factor_set()


@pytest.fixture()
def organizer(demo) -> User:  # noqa: ANN001
    return db.session.execute(select(User).filter_by(username="organizer")).scalar_one()


@pytest.fixture()
def planned_event(make_event, organizer, factor_set):  # noqa: ANN001,ANN201
    """A two-day event whose plan includes every category."""
    event = make_event()
    accounting.save_plan_accounting(event, ALL_IN, [{"factor_key": "grid_electricity_north_china_2022",
                                                     "quantity": "10000"}], MEASURES, organizer)
    return event


def make_upload(event, organizer) -> int:  # noqa: ANN001
    upload = Upload(sha256="0" * 64, size=1, filename="certificate.pdf", content_type="application/pdf",
                    stored_name=secrets.token_hex(16), uploaded_by_id=organizer.id, event_id=event.id)
    db.session.add(upload)
    db.session.flush()
    return upload.id


def one(lines: list[dict], factor_set) -> accounting.AccountResult:  # noqa: ANN001
    return accounting.compute(lines, factor_set)


def audit_actions(event=None) -> list[str]:  # noqa: ANN001
    query = select(AuditEntry.action).order_by(AuditEntry.seq)
    if event is not None:
        query = query.where(AuditEntry.event_id == event.id)
    return list(db.session.execute(query).scalars())


# --- Worked examples, one per category, computed by hand (R-PLAN-1, R-ACC-1) -------------------------

def test_venue_energy_worked_example(factor_set):
    """Venue energy: electricity, purchased heat and natural gas (R-ACC-1)."""
    result = one([
        # 12 345 kWh × 0.6776 kg/kWh = 8 364.972 kg = 8.364972 t → 8.365 t
        {"factor_key": "grid_electricity_north_china_2022", "quantity": "12345", "unit": "kWh"},
        # 150 GJ × 110 kg/GJ = 16 500 kg = 16.500 t
        {"factor_key": "purchased_heat", "quantity": "150", "unit": "GJ"},
        # 2 000 m3 × 2.1622 kg/m3 = 4 324.4 kg = 4.3244 t → 4.324 t
        {"factor_key": "natural_gas_m3", "quantity": "2000"},
    ], factor_set)
    assert [line.tco2e for line in result.lines] == [Decimal("8.365"), Decimal("16.500"), Decimal("4.324")]
    # 8.364972 + 16.5 + 4.3244 = 29.189372 → 29.189
    assert result.by_category == {EmissionCategory.VENUE_ENERGY: Decimal("29.189")}
    assert result.total == Decimal("29.189")


def test_transport_worked_example_with_distance_people_helper(factor_set):
    """Transport: passenger-km from distance × people, the assumption stated on the line."""
    result = one([
        # coach: 350 km × 120 people = 42 000 pkm × 0.02776 = 1 165.92 kg → 1.166 t
        {"factor_key": "coach_pkm", "distance_km": "350", "people": 120},
        # high-speed rail: 600 km × 200 people = 120 000 pkm × 0.03048 = 3 657.6 kg → 3.658 t
        {"factor_key": "rail_high_speed_pkm", "distance_km": 600, "people": "200"},
        # event car: 800 vehicle-km × 0.16272 = 130.176 kg → 0.130 t
        {"factor_key": "car_petrol_km", "quantity": "800", "unit": "km"},
    ], factor_set)
    coach, rail, car = result.lines
    assert coach.quantity == Decimal("42000") and coach.assumption == "350 km × 120 people = 42000 pkm"
    assert (coach.tco2e, rail.tco2e, car.tco2e) == (Decimal("1.166"), Decimal("3.658"), Decimal("0.130"))
    # 1.16592 + 3.6576 + 0.130176 = 4.953696 → 4.954
    assert result.total == Decimal("4.954")


def test_accommodation_worked_example(factor_set):
    # 450 room-nights × 53.5 kg = 24 075 kg = 24.075 t
    result = one([{"factor_key": "hotel_room_night", "quantity": 450, "unit": "room-night"}], factor_set)
    assert result.total == Decimal("24.075")


def test_catering_worked_example(factor_set):
    result = one([
        {"factor_key": "meal_standard", "quantity": "1200"},  # 1 200 × 1.58 kg = 1 896 kg → 1.896 t
        {"factor_key": "meal_vegetarian", "quantity": "300"},  # 300 × 0.51 kg = 153 kg → 0.153 t
    ], factor_set)
    assert result.by_category == {EmissionCategory.CATERING: Decimal("2.049")}  # 1.896 + 0.153


def test_materials_worked_example(factor_set):
    result = one([
        # 250 kg paper × 1.3450779 = 336.269475 kg → 0.336 t
        {"factor_key": "paper_kg", "quantity": "250", "unit": "kg"},
        # 40 kg plastics × 3.17249932 = 126.8999728 kg → 0.127 t
        {"factor_key": "plastics_kg", "quantity": "40"},
    ], factor_set)
    assert [line.tco2e for line in result.lines] == [Decimal("0.336"), Decimal("0.127")]
    # 0.336269475 + 0.1268999728 = 0.4631694478 → 0.463
    assert result.total == Decimal("0.463")


def test_waste_worked_example(factor_set):
    # 1.8 t to landfill × 497.24244 kg/t = 895.036392 kg → 0.895 t
    result = one([{"factor_key": "waste_landfill_t", "quantity": "1.8", "unit": "t"}], factor_set)
    assert result.total == Decimal("0.895")


def test_lines_round_half_up_to_a_kilogram(factor_set):
    # 3 room-nights × 53.5 kg = 160.5 kg = 0.1605 t → 0.161 (half-up; half-even would give 0.160)
    assert one([{"factor_key": "hotel_room_night", "quantity": 3}], factor_set).total == Decimal("0.161")


def test_total_is_rounded_once_from_unrounded_lines(factor_set):
    # each line 0.59 kWh × 0.6776 = 0.399784 kg = 0.000399784 t → 0.000;
    # total 3 × 0.000399784 = 0.001199352 t → 0.001 (not 0.000 + 0.000 + 0.000)
    result = one([{"factor_key": "grid_electricity_north_china_2022", "quantity": "0.59"}] * 3, factor_set)
    assert [line.tco2e for line in result.lines] == [Decimal("0.000")] * 3
    assert result.total == Decimal("0.001")
    assert result.by_category[EmissionCategory.VENUE_ENERGY] == Decimal("0.001")


@dataclass(frozen=True)
class StandInFactor:
    key: str
    category: EmissionCategory
    unit: str
    kgco2e_per_unit: Decimal
    subcategory: str = "test"


stand_in_factors = st.lists(
    st.tuples(st.sampled_from(list(EmissionCategory)),
              st.decimals(min_value=0, max_value=Decimal("99999.9999999999"), places=10)),
    min_size=1, max_size=6,
).map(lambda items: {f"f{i}": StandInFactor(f"f{i}", category, "t", value)
                     for i, (category, value) in enumerate(items)})


def _half_up(value: Fraction) -> Fraction:
    return Fraction(int(value * 1000 + Fraction(1, 2)), 1000)


@settings(max_examples=200, deadline=None)
@given(data=st.data(), factor_map=stand_in_factors)
def test_total_equals_sum_of_unrounded_lines_rounded_once(data, factor_map):
    """Property (issue 5 acceptance): for any valid input, total = round(Σ unrounded lines) and
    each category = round(Σ its unrounded lines), half-up to 0.001 t — checked with exact fractions."""
    lines = data.draw(st.lists(st.fixed_dictionaries({
        "factor_key": st.sampled_from(sorted(factor_map)),
        "quantity": st.decimals(min_value=0, max_value=Decimal("999999999.999999"), places=6),
    }), max_size=25))
    result = accounting.compute(lines, factor_map)
    exact = [Fraction(line["quantity"]) * Fraction(factor_map[line["factor_key"]].kgco2e_per_unit) / 1000
             for line in lines]
    assert Fraction(result.total) == _half_up(sum(exact, Fraction(0)))
    assert [Fraction(line.tco2e) for line in result.lines] == [_half_up(x) for x in exact]
    for category, value in result.by_category.items():
        in_category = [x for x, line in zip(exact, lines, strict=True)
                       if factor_map[line["factor_key"]].category == category]
        assert Fraction(value) == _half_up(sum(in_category, Fraction(0)))
    assert abs(result.total - sum((line.tco2e for line in result.lines), Decimal(0))) <= Decimal("0.0005") * len(lines)


# --- Bad input: field-level errors --------------------------------------------------------------

def _errors(lines: list[dict], factor_set, field: str = "estimate") -> dict[str, list[str]]:  # noqa: ANN001
    with pytest.raises(Invalid) as caught:
        accounting.compute(lines, factor_set, field=field)
    return {name: [str(m) for m in messages] for name, messages in caught.value.fields.items()}


def test_bad_lines_are_refused_with_field_paths(factor_set):
    """Unknown key, negative, non-numeric, unit mismatch: each named by its field path (R-ACC-1)."""
    errors = _errors([
        {"factor_key": "grid_electricity_north_china_2022", "quantity": "100"},
        {"factor_key": "unobtainium_kg", "quantity": "1"},
        {"factor_key": "meal_standard", "quantity": "-5"},
        {"factor_key": "meal_standard", "quantity": "viele"},
        {"factor_key": "grid_electricity_north_china_2022", "quantity": "10", "unit": "kwh"},
        {"factor_key": "paper_kg", "quantity": "NaN"},
        {"factor_key": "paper_kg", "quantity": "1.1234567"},
    ], factor_set)
    assert set(errors) == {"estimate-1-factor_key", "estimate-2-quantity", "estimate-3-quantity", "estimate-4-unit",
                           "estimate-5-quantity", "estimate-6-quantity"}
    assert "unobtainium_kg" in errors["estimate-1-factor_key"][0]
    assert "negative" in errors["estimate-2-quantity"][0]
    assert "kWh" in errors["estimate-4-unit"][0] and "kwh" in errors["estimate-4-unit"][0]


def test_unit_must_match_the_factor_without_conversion(factor_set):
    errors = _errors([{"factor_key": "diesel_t", "quantity": "500", "unit": "L"}], factor_set, "activities")
    assert list(errors) == ["activities-0-unit"]


def test_distance_people_helper_only_for_passenger_km(factor_set):
    errors = _errors([
        {"factor_key": "car_petrol_km", "distance_km": "100", "people": 4},
        {"factor_key": "coach_pkm", "distance_km": "100", "people": "2.5"},
        {"factor_key": "coach_pkm", "distance_km": "100", "people": 3, "quantity": "250"},
    ], factor_set)
    assert set(errors) == {"estimate-0-distance_km", "estimate-1-people", "estimate-2-quantity"}


def test_green_electricity_without_evidence_is_refused(factor_set):
    """R-RED-1: certified green electricity counts as zero only with its certificate attached."""
    errors = _errors([{"factor_key": "green_electricity_certified", "quantity": "5000"}], factor_set, "activities")
    assert list(errors) == ["activities-0-evidence"]


def test_green_electricity_with_evidence_counts_as_zero(planned_event, organizer):
    """R-RED-1: with a certificate the green kWh count zero; the certificate stays on the line."""
    evidence = make_upload(planned_event, organizer)
    result = accounting.save_account(planned_event, [
        {"factor_key": "green_electricity_certified", "quantity": "5000", "evidence": evidence},
        {"factor_key": "grid_electricity_north_china_2022", "quantity": "1000"},  # 677.6 kg → 0.678 t
    ], organizer)
    assert result.total == Decimal("0.678")
    line = db.session.execute(select(ActivityLine).filter_by(stage=AccountStage.ACTUAL, position=0)).scalar_one()
    assert line.evidence_upload_id == evidence and line.tco2e == Decimal("0.000")


def test_green_electricity_with_unknown_upload_is_refused(planned_event, organizer):
    with pytest.raises(Invalid) as caught:
        accounting.save_account(planned_event, [
            {"factor_key": "green_electricity_certified", "quantity": "5000", "evidence": 999999}], organizer)
    assert list(caught.value.fields) == ["activities-0-evidence"]


# --- Plausibility limits -------------------------------------------------------------------------

def test_more_than_a_million_tonnes_needs_confirmation_with_a_reason(planned_event, organizer):
    """Over 1 000 000 t for one event is refused unless confirmed with a reason; the confirmation and
    its reason are audited (R-ACC-1, issue #18)."""
    # 18 700 000 room-nights × 53.5 kg = 1 000 450 000 kg = 1 000 450 t > 1 000 000 t
    lines = [{"factor_key": "hotel_room_night", "quantity": "18700000"}]
    with pytest.raises(Invalid) as caught:
        accounting.save_account(planned_event, lines, organizer)
    assert "confirm_implausible" in caught.value.fields
    assert any("1,000,000" in str(m) for m in caught.value.fields["confirm_implausible"])
    assert db.session.execute(select(ActivityLine).filter_by(stage=AccountStage.ACTUAL)).first() is None
    with pytest.raises(Invalid) as caught:  # a tick alone is not enough: say why
        accounting.save_account(planned_event, lines, organizer, confirm_implausible=True, implausible_reason="  ")
    assert "implausible_reason" in caught.value.fields

    result = accounting.save_account(planned_event, lines, organizer, confirm_implausible=True,
                                     implausible_reason="含全年驻场人员住宿 includes a year of staff lodging")
    assert result.total == Decimal("1000450.000")
    entry = db.session.execute(select(AuditEntry).filter_by(action="accounting.implausible_confirmed")).scalar_one()
    assert entry.event_id == planned_event.id and entry.task == "account_emissions"
    assert entry.reason == "含全年驻场人员住宿 includes a year of staff lodging"
    assert "total_over_1000000_t" in entry.detail["limits"]
    assert any("1,000,000" in d for d in entry.detail["details"])
    assert audit_actions(planned_event)[-2:] == ["accounting.implausible_confirmed", "accounting.account_saved"]


def test_electricity_above_ten_gwh_per_event_day_needs_confirmation(make_event, organizer, factor_set):
    """The event lasts 2 days: up to 20 000 000 kWh passes, 20 000 001 kWh needs confirmation (its plan
    estimated 15 000 000 kWh for 5 000 people, so nothing else is unusual)."""
    event = make_event(5000)
    accounting.save_plan_accounting(event, ALL_IN, [{"factor_key": "grid_electricity_north_china_2022",
                                                     "quantity": "15000000"}], MEASURES, organizer)
    ok = accounting.save_account(
        event, [{"factor_key": "grid_electricity_north_china_2022", "quantity": "20000000"}], organizer)
    assert ok.total == Decimal("13552.000")  # 20 000 000 × 0.6776 = 13 552 000 kg
    too_much = [{"factor_key": "grid_electricity_north_china_2022", "quantity": "19000000"},
                {"factor_key": "green_electricity_certified", "quantity": "1000001",
                 "evidence": make_upload(event, organizer)}]
    with pytest.raises(Invalid) as caught:
        accounting.save_account(event, too_much, organizer)
    assert [str(m) for m in caught.value.fields["confirm_implausible"]] == [
        "Electricity of 20000001 kWh is more than 10 GWh per event day (2 days)."]
    accounting.save_account(event, too_much, organizer, confirm_implausible=True,
                            implausible_reason="两个展馆 two halls")
    assert "accounting.implausible_confirmed" in audit_actions(event)


def test_implausible_estimate_needs_confirmation_too(make_event, organizer, factor_set):
    """R-PLAN-1: the plan's estimate is held to the same limits."""
    event = make_event(length_days=1)
    lines = [{"factor_key": "grid_electricity_north_china_2022", "quantity": "10000001"}]
    with pytest.raises(Invalid) as caught:
        accounting.save_plan_accounting(event, ALL_IN, lines, MEASURES, organizer)
    assert "confirm_implausible" in caught.value.fields
    accounting.save_plan_accounting(event, ALL_IN, lines, MEASURES, organizer, confirm_implausible=True,
                                    implausible_reason="全天候灯光秀 lights all day")
    assert audit_actions(event) == ["accounting.implausible_confirmed", "accounting.plan_saved"]


# --- Boundary and plan (R-PLAN-1) ----------------------------------------------------------------

def test_boundary_exclusion_without_reason_is_refused(make_event, organizer, factor_set):
    """R-PLAN-1: every excluded category carries a reason; a category left out must be decided on."""
    event = make_event()
    boundary = ["venue_energy", "transport", "accommodation", "catering",
                {"category": "materials", "included": False, "reason": " "}]
    with pytest.raises(Invalid) as caught:
        accounting.save_plan_accounting(event, boundary, [{"factor_key": "meal_standard", "quantity": 10}],
                                        MEASURES, organizer)
    errors = {name: [str(m) for m in messages] for name, messages in caught.value.fields.items()}
    assert set(errors) == {"boundary-4-reason", "boundary"}
    assert errors["boundary"] == ["Include these categories or exclude them with a reason: waste"]
    assert db.session.execute(select(BoundaryCategory)).first() is None


def test_form_rows_left_empty_are_skipped(make_event, organizer, factor_set):
    """Forms offer spare rows: an entirely empty line or measure is ignored; error paths keep the row index."""
    event = make_event()
    form_boundary = [{"category": c, "included": True, "reason": ""} for c in ALL_IN]
    form_boundary[5] = {"category": "waste", "included": False, "reason": ""}
    blank_line = {"factor_key": "", "quantity": None, "unit": "", "distance_km": None, "people": None,
                  "note": "", "evidence": None}
    with pytest.raises(Invalid) as caught:
        accounting.save_plan_accounting(
            event, form_boundary, [blank_line, {**blank_line, "factor_key": "meal_standard", "quantity": "-1"}],
            [{"kind": "", "description": "", "expected_tco2e": None}, *MEASURES], organizer)
    assert set(caught.value.fields) == {"boundary-5-reason", "estimate-1-quantity"}
    form_boundary[5]["reason"] = "场馆统一处理"
    result = accounting.save_plan_accounting(
        event, form_boundary, [blank_line, {**blank_line, "factor_key": "meal_standard", "quantity": Decimal("10")}],
        [{"kind": "", "description": "", "expected_tco2e": None}, *MEASURES], organizer)
    assert [line.position for line in result.lines] == [1] and result.total == Decimal("0.016")  # 15.8 kg
    assert db.session.execute(select(func.count()).select_from(ReductionMeasure)).scalar_one() == 2


def test_boundary_with_reasons_and_lines_outside_it(make_event, organizer, factor_set):
    """R-PLAN-1: an excluded category with a reason is accepted; estimating inside it is not."""
    event = make_event()
    boundary = ALL_IN[:5] + [{"category": "waste", "reason": "场馆方统一清运，不可单独计量"}]
    with pytest.raises(Invalid) as caught:
        accounting.save_plan_accounting(event, boundary, [{"factor_key": "waste_landfill_t", "quantity": 1}],
                                        MEASURES, organizer)
    assert list(caught.value.fields) == ["estimate-0-factor_key"]
    accounting.save_plan_accounting(event, boundary, [{"factor_key": "meal_standard", "quantity": 10}],
                                    MEASURES, organizer)
    summary = accounting.emissions_summary(event)
    assert summary["boundary"][-1] == {"category": "waste", "included": False, "reason": "场馆方统一清运，不可单独计量"}
    assert all(item["included"] for item in summary["boundary"][:5])


def test_plan_collects_every_error_at_once(make_event, organizer, factor_set):
    event = make_event()
    with pytest.raises(Invalid) as caught:
        accounting.save_plan_accounting(
            event, ["venue_energy", "mystery"], [{"factor_key": "nope", "quantity": 1}],
            [{"kind": "teleportation", "description": "", "expected_tco2e": "-1"}], organizer)
    assert {"boundary-1-category", "boundary", "estimate-0-factor_key", "measures-0-kind",
            "measures-0-description", "measures-0-expected_tco2e"} <= set(caught.value.fields)


def test_plan_saves_estimate_and_replaces_the_draft(make_event, organizer, factor_set):
    """R-PLAN-1: boundary, estimate and measures are stored with the factor-set version; saving
    again replaces the draft; each save writes one audit entry with a digest."""
    event = make_event()
    first = accounting.save_plan_accounting(
        event, ALL_IN, [{"factor_key": "meal_standard", "quantity": 100},  # 158 kg
                        {"factor_key": "hotel_room_night", "quantity": 20}],  # 1 070 kg
        MEASURES, organizer)
    assert first.total == Decimal("1.228")
    second = accounting.save_plan_accounting(
        event, ALL_IN, [{"factor_key": "meal_standard", "quantity": 1000}], MEASURES[:1], organizer)  # 1 580 kg
    assert second.total == Decimal("1.580")
    lines = db.session.execute(select(ActivityLine).filter_by(event_id=event.id)).scalars().all()
    assert [(line.factor_key, line.factor_set_id) for line in lines] == [("meal_standard", factor_set.id)]
    assert db.session.execute(select(func.count()).select_from(ReductionMeasure)).scalar_one() == 1
    entries = db.session.execute(select(AuditEntry).filter_by(event_id=event.id)).scalars().all()
    assert [(e.action, e.task) for e in entries] == [("accounting.plan_saved", "prepare_plan")] * 2
    assert len(entries[1].detail["digest"]) == 64 and entries[1].detail["total_tco2e"] == "1.580"
    assert entries[0].detail["digest"] != entries[1].detail["digest"]


# --- Reductions (R-RED-1) and the account (R-ACC-1) --------------------------------------------------

def test_reductions_planned_vs_achieved(planned_event, organizer):
    """R-RED-1: every planned measure is reported; an achievement needs evidence."""
    measures = db.session.execute(select(ReductionMeasure).order_by(ReductionMeasure.position)).scalars().all()
    with pytest.raises(Invalid) as caught:
        accounting.report_reductions(planned_event, [
            {"measure_id": measures[0].id, "achieved_tco2e": "0.4"},
            {"measure_id": 424242, "achieved_tco2e": "1"}], organizer)
    assert set(caught.value.fields) == {"measures-0-evidence", "measures-1-measure_id", "measures"}

    evidence = make_upload(planned_event, organizer)
    result = accounting.report_reductions(planned_event, [
        {"measure_id": measures[0].id, "achieved_tco2e": "0.4", "evidence": evidence},
        {"measure_id": str(measures[1].id), "achieved_tco2e": "0"}], organizer)
    assert (result.expected_tco2e, result.achieved_tco2e) == (Decimal("0.700"), Decimal("0.400"))
    summary = accounting.emissions_summary(planned_event)
    assert [(m["kind"], m["expected_tco2e"], m["achieved_tco2e"], m["evidence"]) for m in summary["measures"]] == [
        ("clean_energy_transport", "0.500", "0.400", evidence), ("clean_plate", "0.200", "0.000", None)]
    assert audit_actions(planned_event)[-1] == "accounting.reductions_reported"
    with pytest.raises(Conflict):
        accounting.save_plan_accounting(planned_event, ALL_IN, [{"factor_key": "meal_standard", "quantity": 1}],
                                        MEASURES, organizer)


def test_account_needs_a_plan(make_event, organizer, factor_set):
    with pytest.raises(Conflict):
        accounting.save_account(make_event(), [{"factor_key": "meal_standard", "quantity": 1}], organizer)


def test_account_with_one_line_per_category_and_summary(planned_event, organizer):
    """R-ACC-1: per-category and total figures of the actual account, next to the estimate."""
    result = accounting.save_account(planned_event, [
        {"factor_key": "grid_electricity_north_china_2022", "quantity": "12345"},  # 8.364972 t
        {"factor_key": "coach_pkm", "distance_km": "350", "people": 120},  # 1.16592 t
        {"factor_key": "hotel_room_night", "quantity": "450"},  # 24.075 t
        {"factor_key": "meal_standard", "quantity": "1200"},  # 1.896 t
        {"factor_key": "paper_kg", "quantity": "250"},  # 0.336269475 t
        {"factor_key": "waste_landfill_t", "quantity": "1.8"},  # 0.895036392 t
    ], organizer)
    # 8.364972 + 1.16592 + 24.075 + 1.896 + 0.336269475 + 0.895036392 = 36.733197867 → 36.733
    assert result.total == Decimal("36.733")
    summary = accounting.emissions_summary(planned_event)
    assert summary["estimated_tco2e"] == "6.776"  # 10 000 kWh × 0.6776
    assert summary["actual_tco2e"] == "36.733"
    assert summary["by_category"] == {
        "venue_energy": {"estimated": "6.776", "actual": "8.365"},
        "transport": {"estimated": "0.000", "actual": "1.166"},
        "accommodation": {"estimated": "0.000", "actual": "24.075"},
        "catering": {"estimated": "0.000", "actual": "1.896"},
        "materials": {"estimated": "0.000", "actual": "0.336"},
        "waste": {"estimated": "0.000", "actual": "0.895"},
    }
    assert summary["factor_set"] == 1 and len(summary["boundary"]) == 6 and len(summary["measures"]) == 2
    entry = db.session.execute(select(AuditEntry).filter_by(action="accounting.account_saved")).scalar_one()
    assert entry.task == "account_emissions" and entry.detail["total_tco2e"] == "36.733"


def test_summary_of_an_event_without_accounting(make_event, factor_set):
    summary = accounting.emissions_summary(make_event())
    assert summary == {"estimated_tco2e": None, "actual_tco2e": None,
                       "by_category": {c: {"estimated": None, "actual": None} for c in ALL_IN},
                       "factor_set": None, "boundary": [], "measures": []}


def _new_factor_file(replacements: dict[str, str]) -> str:
    """The shipped factor file with some values replaced."""
    rows = list(csv.DictReader(DEFAULT_FACTOR_FILE.read_text(encoding="utf-8").splitlines()))
    for row in rows:
        row["kgco2e_per_unit"] = replacements.get(row["key"], row["kgco2e_per_unit"])
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def test_new_factor_set_does_not_change_an_accounted_event(planned_event, organizer):
    """R-ACC-1: an account keeps the factor values it used; a later factor set changes nothing."""
    accounting.save_account(planned_event, [{"factor_key": "grid_electricity_north_china_2022", "quantity": "12345"},
                                            {"factor_key": "hotel_room_night", "quantity": "450"}], organizer)
    before = accounting.emissions_summary(planned_event)
    csv_before = accounting.export_csv(planned_event)
    new_set = accounting.import_factor_csv(_new_factor_file({"grid_electricity_north_china_2022": "0.5",
                                                              "hotel_room_night": "40"}), actor=organizer)
    assert new_set.number == 2 and accounting.current_factor_set().id == new_set.id
    db.session.expire_all()
    assert accounting.emissions_summary(planned_event) == before
    assert before["actual_tco2e"] == "32.440"  # 8.364972 + 24.075 = 32.439972
    assert accounting.export_csv(planned_event) == csv_before
    # another event accounted now uses the new set: 12 345 × 0.5 = 6 172.5 kg → 6.173 t (half-up)
    other = accounting.compute([{"factor_key": "grid_electricity_north_china_2022", "quantity": "12345"}],
                               accounting.current_factor_set())
    assert other.total == Decimal("6.173")


def test_exports_list_lines_factors_sources_and_totals(planned_event, organizer):
    accounting.save_account(planned_event, [
        {"factor_key": "coach_pkm", "distance_km": "350", "people": 120, "note": "大巴往返"},
        {"factor_key": "meal_standard", "quantity": "1200"},
    ], organizer)
    rows = accounting.account_rows(planned_event)
    assert rows[0]["stage"] == "actual" and rows[0]["line"] == 1 and rows[0]["factor_set"] == 1
    assert "DESNZ" in rows[0]["source"] and rows[0]["assumption"] == "350 km × 120 people = 42000 pkm"
    # the files speak the UI's language (English in unit tests): headings, categories, stages in words
    table = list(csv.DictReader(io.StringIO(accounting.export_csv(planned_event))))
    assert [(r["Line"], r["Category"], r["Quantity"], r["kg CO2e per unit"], r["t CO2e"]) for r in table] == [
        ("1", "Transport of participants and staff", "42000", "0.02776", "1.166"),
        ("2", "Catering", "1200", "1.58", "1.896"),
        ("Subtotal", "Transport of participants and staff", "", "", "1.166"),
        ("Subtotal", "Catering", "", "", "1.896"),
        ("Total", "", "", "", "3.062"),
    ]
    assert "Estimate" in accounting.export_csv(planned_event, "estimate")
    workbook = load_workbook(io.BytesIO(accounting.export_xlsx(planned_event)))
    assert workbook.sheetnames == ["Account", "Boundary", "Reductions", "Event"]
    sheet = workbook["Account"]
    assert sheet.cell(1, 1).value == "Stage" and sheet.cell(sheet.max_row, 2).value == "Total"
    assert Decimal(str(sheet.cell(sheet.max_row, sheet.max_column).value)) == Decimal("3.062")
    assert workbook["Boundary"].max_row == 7 and workbook["Reductions"].max_row == 3
