"""Finance approves an amount the organizer stated (issue #18, R-DEPT-FIN): the organizer states the
requested amount at registration; Finance grants at most that unless it says why, which is audited."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from models import AuditEntry, Decision, db
from processes import events
from processes.errors import Invalid
from tests.lifecycle import complete, open_task, plan_data, register, registration, user


def _refused(data) -> dict:  # noqa: ANN001
    with pytest.raises(Invalid) as caught:
        events.register_event(user("organizer"), data)
    db.session.rollback()
    return caught.value.fields


@pytest.mark.parametrize("amount", [None, "", "  ", "0", "0.00", "0.001", "-5", "1,000", "abc", 10**12, "1" * 41,
                                    True, 1.5])
def test_a_funding_request_states_a_plausible_amount(demo, amount):
    fields = _refused(registration(600, funding=True) | {"funding_requested_cny": amount})
    assert list(fields) == ["funding_requested_cny"]


def test_an_amount_without_a_request_is_refused(demo):
    fields = _refused(registration(600, funding=False) | {"funding_requested_cny": Decimal("5000")})
    assert list(fields) == ["funding_requested_cny"]


def test_the_requested_amount_is_stored_and_audited(demo):
    event = register(600, funding=True)
    assert event.funding_requested_cny == Decimal("80000.00")
    entry = db.session.execute(select(AuditEntry).filter_by(action="event.registered")).scalar_one()
    assert entry.detail["funding_requested_cny"] == "80000"
    assert register(300, funding=False, name="无经费").funding_requested_cny is None


def _at_funding_review():  # noqa: ANN202
    event = register(600, funding=True)
    complete(event, "prepare_plan", "organizer", plan_data())
    complete(event, "review_plan_sector", "commerce", {"decision": "approve"})
    complete(event, "review_plan_eeb", "eeb_rencheng", {"decision": "approve"})
    return event


def _grant(event, amount: Decimal, reason: str | None = None):  # noqa: ANN001,ANN202
    return complete(event, "review_funding", "finance",
                    {"decision": "approve", "amount_cny": amount, "over_request_reason": reason})


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(granted=st.one_of(st.sampled_from([Decimal("80000"), Decimal("80000.01"), Decimal("0"), Decimal("79999.99")]),
                         st.decimals(min_value=0, max_value=10**7, places=2)))
def test_finance_grants_at_most_the_request_without_a_reason(demo, granted):
    event = _at_funding_review()
    try:
        if granted > Decimal("80000"):
            with pytest.raises(Invalid) as caught:
                _grant(event, granted)
            db.session.rollback()
            assert set(caught.value.fields) == {"amount_cny", "over_request_reason"}
            assert "80,000.00" in str(caught.value.fields["amount_cny"][0])
            assert open_task(event, "review_funding").status == "open"
        else:
            _grant(event, granted)
            decision = db.session.execute(select(Decision).filter_by(task="review_funding")).scalar_one()
            assert decision.amount_cny == granted
            assert db.session.execute(select(AuditEntry).filter_by(
                action="funding.granted_over_request")).first() is None
    finally:
        for table in ("decision",):
            db.session.execute(db.text(f"DELETE FROM {table}"))
        db.session.commit()


def test_more_than_requested_with_a_reason_is_granted_and_audited(demo):
    event = _at_funding_review()
    with pytest.raises(Invalid):
        _grant(event, Decimal("90000"), "   ")
    db.session.rollback()
    _grant(event, Decimal("90000"), "含碳汇林地补植费用 includes replanting")
    entry = db.session.execute(select(AuditEntry).filter_by(action="funding.granted_over_request")).scalar_one()
    assert entry.reason == "含碳汇林地补植费用 includes replanting" and entry.task == "review_funding"
    assert entry.detail["requested_cny"] == "80000.00" and entry.detail["granted_cny"] == "90000"
    assert entry.actor_id == user("finance").id


def test_an_event_registered_before_amounts_were_asked_has_none_to_keep_to(demo):
    event = _at_funding_review()
    event.funding_requested_cny = None
    db.session.commit()
    _grant(event, Decimal("120000"))
    assert db.session.execute(select(Decision).filter_by(task="review_funding")).scalar_one().amount_cny == 120000
