"""Plausibility that catches typos (issue #18, R-ACC-1): an account far from the plan's estimate — a
factor more than 10× or under a tenth of its estimated quantity, or a total far from the estimated
total — and more than 5 t CO2e per participant ask for a confirmation with a reason, which is audited.
The issue's case: a 300-person forum estimated 6,500 kWh and accounted 6,500,000 kWh."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from models import AuditEntry, User, db
from models.accounting import AccountStage, ActivityLine, EmissionCategory
from processes import accounting
from processes.accounting.calculator import Baseline, compute, implausibilities
from processes.errors import Invalid

ELECTRICITY = "grid_electricity_north_china_2022"  # 0.6776 kg/kWh
HOTEL = "hotel_room_night"
ALL_IN = [c.value for c in EmissionCategory]
MEASURES = [{"kind": "clean_plate", "description": "光盘行动", "expected_tco2e": "0.2"}]


@pytest.fixture(autouse=True)
def _english(app):  # noqa: ANN001,ANN202
    from flask_babel import force_locale

    with app.test_request_context(), force_locale("en"):
        yield


@pytest.fixture()
def organizer(demo) -> User:  # noqa: ANN001
    return db.session.execute(select(User).filter_by(username="organizer")).scalar_one()


@pytest.fixture()
def forum(make_event, organizer):  # noqa: ANN001,ANN201
    """A one-day forum of 300 whose plan estimated 6,500 kWh (4.404 t)."""
    accounting.ensure_default_factor_set()
    event = make_event(300, length_days=1)
    accounting.save_plan_accounting(event, ALL_IN, [{"factor_key": ELECTRICITY, "quantity": "6500"}], MEASURES,
                                    organizer)
    return event


def _refusal(event, lines, organizer, **kwargs) -> dict[str, list[str]]:  # noqa: ANN001
    with pytest.raises(Invalid) as caught:
        accounting.save_account(event, lines, organizer, **kwargs)
    return {name: [str(m) for m in messages] for name, messages in caught.value.fields.items()}


def test_the_issues_typo_of_1000_times_is_caught_and_named_on_its_line(forum, organizer):
    fields = _refusal(forum, [{"factor_key": ELECTRICITY, "quantity": "6500000"}], organizer)
    assert fields["activities-0-quantity"] == [
        "Line 1: 6500000 kWh is 1000 times what the plan estimated for this factor (6500 kWh): "
        "check the unit and the digits."]
    assert any("1000 times the plan's estimate of 4.404 t" in m for m in fields["confirm_implausible"])
    assert any("per participant" in m for m in fields["confirm_implausible"])  # 4404 t / 300 = 14.68 t
    assert db.session.execute(select(ActivityLine).where(ActivityLine.stage == AccountStage.ACTUAL)).first() is None


def test_a_figure_under_a_tenth_of_its_estimate_is_caught_too(forum, organizer):
    fields = _refusal(forum, [{"factor_key": ELECTRICITY, "quantity": "5"}, {"factor_key": HOTEL, "quantity": "80"}],
                      organizer)
    assert fields["activities-0-quantity"][0].startswith("Line 1: 5 kWh is less than a tenth")
    assert "activities-1-quantity" not in fields  # hotel nights were not estimated: nothing to compare


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(kwh=st.one_of(st.sampled_from(["650", "649.999999", "65000", "65000.000001", "6500", "1", "0"]),
                     st.decimals(min_value=0, max_value=10**6, places=6).map(str)))
def test_the_estimate_rule_is_exactly_ten_times_either_way(kwh):
    factor = accounting.ensure_default_factor_set()
    result = compute([{"factor_key": ELECTRICITY, "quantity": kwh}], factor, field="activities")
    baseline = Baseline({ELECTRICITY: Decimal("6500")}, Decimal("4.4044"))  # 6500 × 0.6776 kg, unrounded
    assume(result.total_exact <= 5 * 300)  # keep the per-participant bound out of it
    codes = {p.code for p in implausibilities(result, 1, participants=300, baseline=baseline, field="activities")}
    far = Decimal(kwh) > 65000 or Decimal(kwh) < 650
    assert ("line_far_from_estimate" in codes) == far
    assert ("total_far_from_estimate" in codes) == far  # one factor: the totals scale alike


def test_a_factor_split_over_several_lines_is_compared_as_a_whole(forum, organizer):
    halls = [{"factor_key": ELECTRICITY, "quantity": "100"} for _ in range(10)] + [
        {"factor_key": ELECTRICITY, "quantity": "5500"}]
    assert accounting.save_account(forum, halls, organizer).total == Decimal("4.404")


def test_a_total_far_from_the_estimate_is_caught_when_no_single_factor_is(forum, organizer):
    # 6,500 kWh as planned, plus 1,000 hotel nights never estimated: 4.404 + 53.5 t = 57.904 t > 10 × 4.404 t
    lines = [{"factor_key": ELECTRICITY, "quantity": "6500"}, {"factor_key": HOTEL, "quantity": "1000"}]
    fields = _refusal(forum, lines, organizer)
    assert fields == {"confirm_implausible": [
        "The total of 57.904 t CO2e is 13.1 times the plan's estimate of 4.404 t."]}


def test_more_than_5_t_per_participant_is_caught_in_the_plan_as_well(make_event, organizer):
    accounting.ensure_default_factor_set()
    event = make_event(300, length_days=1)
    lines = [{"factor_key": ELECTRICITY, "quantity": "2300000"}]  # 1558.48 t / 300 = 5.19 t
    with pytest.raises(Invalid) as caught:
        accounting.save_plan_accounting(event, ALL_IN, lines, MEASURES, organizer)
    assert [str(m) for m in caught.value.fields["confirm_implausible"]] == [
        "The total of 1558.48 t CO2e is 5.19 t per participant (300 participants); more than 5 t per participant "
        "is unusual for one event."]
    ok = [{"factor_key": ELECTRICITY, "quantity": "2200000"}]  # 1490.72 t / 300 = 4.97 t
    assert accounting.save_plan_accounting(event, ALL_IN, ok, MEASURES, organizer).total == Decimal("1490.720")


def test_a_confirmed_typo_needs_a_reason_and_the_audit_names_the_line(forum, organizer):
    lines = [{"factor_key": ELECTRICITY, "quantity": "6500000"}]
    fields = _refusal(forum, lines, organizer, confirm_implausible=True)
    assert fields["implausible_reason"] == ["Say why these figures are right."]
    accounting.save_account(forum, lines, organizer, confirm_implausible=True,
                            implausible_reason="实测电表读数，含场馆全年空调 metered, incl. the hall's HVAC")
    entry = db.session.execute(select(AuditEntry).filter_by(action="accounting.implausible_confirmed")).scalar_one()
    assert entry.reason.startswith("实测电表读数")
    assert set(entry.detail["limits"]) == {"line_far_from_estimate", "total_far_from_estimate",
                                           "over_5_t_per_participant"}
    assert "line 1 grid_electricity_north_china_2022: 6500000 kWh vs. estimated 6500 kWh" in entry.detail["details"]


def test_an_account_within_the_estimate_asks_nothing(forum, organizer):
    accounting.save_account(forum, [{"factor_key": ELECTRICITY, "quantity": "7200"}], organizer)
    assert db.session.execute(select(AuditEntry).filter_by(action="accounting.implausible_confirmed")).first() is None
