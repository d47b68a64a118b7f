"""Attacks on the progress figures toward the plan's goals (R-GOAL-2025: organs and enterprises lead,
large events reduce and reach neutrality; R-GOAL-2027: the whole of society takes part) and the count
of party and government organs' events (R-POL-2): counts by organizer type, sector, tier and year
never count an event twice, in the wrong year, as in scope when it is not, or as confirmed when it
is not."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from models import Event, Organization, User, db
from models.event import EventKind, EventStatus, Sector, Tier
from models.org import OrganizerType
from processes import events, reports
from processes.reports import Scope, Tally
from tests.disclosed import sign
from tests.lifecycle import (
    after_event,
    cancellation,
    complete,
    open_names,
    plan_data,
    register,
    registration,
    to_offsetting,
    user,
)
from tests.promises.steps import organ

pytestmark = pytest.mark.usefixtures("demo")
TODAY = date.today()
COUNTIES = ("任城区", "曲阜市", "微山县")


def _figures(year: int | None = None, county: str | None = None) -> reports.Dashboard:
    return reports.dashboard(Scope(year, county), TODAY)


# --- R-GOAL-2025, R-GOAL-2027, R-POL-2: every count equals the events it counts -----------------------

EVENT = st.fixed_dictionaries({
    "starts_on": st.sampled_from([date(2025, 1, 1), date(2025, 12, 31), date(2026, 1, 1), date(2026, 6, 15),
                                  date(2027, 12, 31), TODAY, TODAY + timedelta(days=40)]),
    "days": st.integers(1, 3),
    "participants": st.sampled_from([1, 199, 200, 499, 500, 100_000]),
    "sector": st.sampled_from(list(Sector)),
    "organizer_type": st.sampled_from(list(OrganizerType)),
    "status": st.sampled_from(list(EventStatus)),
    "county": st.sampled_from(COUNTIES),
})


def _row(values: dict, organization: Organization, creator: User) -> Event:
    participants = values["participants"]
    tier = Tier.THIRD_PARTY if participants >= 500 else Tier.SELF_COMMITMENT if participants >= 200 else (
        Tier.OUT_OF_SCOPE)
    event = Event(name="测试", kind=EventKind.MEETING, sector=values["sector"], organizers=[organization.name],
                  organizer_type=values["organizer_type"], participants=participants, starts_on=values["starts_on"],
                  ends_on=values["starts_on"] + timedelta(days=values["days"] - 1), venue="会场",
                  county=values["county"], tier=tier, status=values["status"], organization_id=organization.id,
                  created_by_id=creator.id)
    db.session.add(event)
    return event


def _expected(rows: list[dict], key, keep=lambda row: True) -> dict:  # noqa: ANN001
    """Tallies computed from the rule's own words: in scope at 200 participants or more; confirmed only
    when confirmed (and disclosed); the year is the year the event starts."""
    result: dict = {}
    for row in filter(keep, rows):
        in_scope = row["participants"] >= 200
        ends_on = row["starts_on"] + timedelta(days=row["days"] - 1)
        tally = Tally(1, int(in_scope), int(in_scope and ends_on < TODAY), int(row["status"] is EventStatus.CONFIRMED))
        result[key(row)] = result.get(key(row), Tally()) + tally
    return result


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(EVENT, max_size=12), year=st.sampled_from([None, 2025, 2026, 2027]),
       county=st.sampled_from([None, *COUNTIES]))
def test_r_goal_2025_2027_r_pol_2_every_count_equals_the_events_it_counts(rows, year, county):
    organization = db.session.execute(select(Organization).filter_by(name="济宁会展服务有限公司")).scalar_one()
    creator = user("organizer")
    try:
        for values in rows:
            _row(values, organization, creator)
        db.session.flush()
        figures = _figures(year, county)

        def in_view(row: dict) -> bool:
            return (year is None or row["starts_on"].year == year) and (county is None or row["county"] == county)

        assert figures.tally("year") == dict(sorted(_expected(rows, lambda r: r["starts_on"].year, in_view).items()))
        for dimension in ("sector", "organizer_type", "county"):
            assert figures.tally(dimension) == _expected(rows, lambda r, d=dimension: r[d], in_view), dimension
        assert figures.tally("tier") == _expected(rows, lambda r: (
            Tier.THIRD_PARTY if r["participants"] >= 500 else Tier.SELF_COMMITMENT if r["participants"] >= 200
            else Tier.OUT_OF_SCOPE), in_view)
        organs = _expected(rows, lambda r: r["starts_on"].year,
                           lambda r: in_view(r) and r["organizer_type"] is OrganizerType.PARTY_GOVERNMENT)
        assert figures.party_government() == dict(sorted(organs.items()))  # R-POL-2
        progress = figures.goal_progress()
        for each_year, by_type in progress.items():
            assert list(by_type) == list(OrganizerType), "every organizer type has its line, even at zero"
            expected = _expected(rows, lambda r: r["organizer_type"],
                                 lambda r, y=each_year: in_view(r) and r["starts_on"].year == y)
            assert by_type == {kind: expected.get(kind, Tally()) for kind in OrganizerType}
        assert figures.total == sum(_expected(rows, lambda r: 0, in_view).values(), Tally())
    finally:
        db.session.rollback()


def test_r_goal_2025_the_confirmed_share_never_rounds_up():
    organization = db.session.execute(select(Organization).filter_by(name="济宁会展服务有限公司")).scalar_one()
    base = {"starts_on": date(2025, 5, 1), "days": 1, "participants": 300, "sector": Sector.COMMERCE,
            "organizer_type": OrganizerType.ENTERPRISE, "county": "任城区"}
    for status in (EventStatus.CONFIRMED, EventStatus.CONFIRMED, EventStatus.OFFSETTING):
        _row(base | {"status": status}, organization, user("organizer"))
    _row(base | {"status": EventStatus.VOLUNTARY, "participants": 150}, organization, user("organizer"))
    db.session.flush()
    total = _figures(2025).total
    assert (total.events, total.in_scope, total.confirmed) == (4, 3, 2)
    assert total.share_percent == Decimal("66.6")


# --- the figures follow what happened to real events ------------------------------------------------


def test_r_goal_2025_an_event_that_left_the_plan_is_neither_in_scope_nor_confirmed():
    event = register(300)
    to_offsetting(event)
    complete(event, "cancel_units", "organizer", cancellation(event), now=after_event(event, 3))
    events.change_participants(user("organizer"), event, 150, "实际到场不足200人", now=after_event(event, 4))
    db.session.commit()
    figures = _figures()
    assert figures.total == Tally(1, 0, 0, 0)
    assert figures.tally("tier") == {Tier.OUT_OF_SCOPE: Tally(1, 0, 0, 0)}


def test_r_goal_2025_a_re_tiered_event_counts_once_in_its_new_tier():
    event = register(300)
    events.change_participants(user("organizer"), event, 600, "报名人数增加", _body_id())
    db.session.commit()
    assert _figures().tally("tier") == {Tier.THIRD_PARTY: Tally(1, 1, 0, 0)}


def _body_id() -> int:
    from models import VerifierBody

    return db.session.execute(select(VerifierBody.id)).scalars().first()


def test_r_goal_2025_a_signed_commitment_counts_confirmed_in_the_events_start_year():
    event = register(300)
    to_offsetting(event)
    complete(event, "cancel_units", "organizer", cancellation(event), now=after_event(event, 3))
    before = _figures()
    assert before.total.confirmed == 0 and before.total.in_scope == 1
    sign(event)
    by_year = _figures().tally("year")
    assert by_year == {event.starts_on.year: Tally(1, 1, int(event.ends_on < TODAY), 1)}
    assert _figures(event.starts_on.year + 1).total == Tally()


def test_r_pol_2_an_organs_event_is_counted_among_the_organs_events():
    organ_user = organ()
    event = events.register_event(organ_user, registration(300) | {
        "organizers": ["中共济宁市委宣传部"], "organizer_type": "party_government", "sector": "government",
        "kind": "meeting"})
    db.session.commit()
    register(300, name="企业活动")
    figures = _figures()
    assert figures.party_government_total == Tally(1, 1, 0, 0)
    assert figures.tally("organizer_type")[OrganizerType.ENTERPRISE] == Tally(1, 1, 0, 0)
    complete(event, "prepare_plan", "organ", plan_data())
    assert open_names(event) == {"review_plan_sector", "review_plan_eeb"}
    assert _figures().party_government_total == Tally(1, 1, 0, 0), "its plan changes nothing of the count"
