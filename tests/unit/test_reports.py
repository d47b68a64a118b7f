"""Dashboards and the compliance report (issue 7): every figure equals the sum of the underlying
records (R-GOAL-2025, R-GOAL-2027, R-POL-2), and the compliance lists find each deviation
(R-PLAN-1, R-TIME-1, R-TIME-2, R-OFF-4)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from models import Event, EventDeadline, HumanTask, Organization, db
from models.accounting import AccountStage, ActivityLine, EmissionCategory, ReductionMeasure
from models.event import DeadlineKind, EventKind, EventStatus, Sector, Tier
from models.offsets import Instrument
from models.org import OrganizerType
from models.sinks import SinkProject, SinkStatus, SinkType
from processes import accounting, events, offsets, reports, workflow
from processes.dates import LOCAL_TZ, offset_due
from processes.reports import Scope, Tally
from tests.lifecycle import (
    after_event,
    cancellation,
    complete,
    evaluation,
    open_task,
    plan_data,
    register,
    to_offsetting,
    upload_for,
    user,
)

TODAY = date.today()
CEA_REASON = "本市碳普惠减排量不足 no inclusion units available"


@dataclass
class World:
    confirmed: Event  # 600, Rencheng, enterprise: the whole path, 0.5 t reduced
    organs: Event  # 300, Qufu, party/government: late CEA cancellation with a reason
    returned: Event  # 600, Rencheng: plan returned by Commerce, an overdue review task
    sink: Event  # 600, Rencheng: new sink only, the 1-year application deadline passed
    unpublished: Event  # direct row: Qufu, party/government, confirmed, started without a plan
    small: Event  # direct row: 150 participants, out of scope
    last_year: Event  # direct row: a year earlier, validated marine sink, reversed cancellation


def _event(name: str, *, starts: date, participants: int = 600, county: str = "任城区",
           organizer_type: OrganizerType = OrganizerType.ENTERPRISE, status: EventStatus = EventStatus.PLANNING,
           **extra: object) -> Event:
    org = db.session.execute(select(Organization).filter_by(name="济宁会展服务有限公司")).scalar_one()
    tier = Tier.THIRD_PARTY if participants >= 500 else Tier.SELF_COMMITMENT if participants >= 200 else (
        Tier.OUT_OF_SCOPE)
    event = Event(name=name, kind=EventKind.FORUM, sector=Sector.GOVERNMENT, organizers=[org.name],
                  organizer_type=organizer_type, participants=participants, starts_on=starts, ends_on=starts,
                  venue="会议中心", county=county, tier=tier, status=status, organization_id=org.id,
                  created_by_id=user("organizer").id, **extra)
    db.session.add(event)
    db.session.flush()
    return event


def _cea_cancellation(event: Event, days_after: int) -> dict:
    return {"cancellations": [{
        "instrument": "cea", "registry": "national_carbon_market", "serial_from": "CEA-2025-000001",
        "serial_to": "CEA-2025-000014", "quantity_tco2e": Decimal(14),
        "cancelled_on": event.ends_on + timedelta(days=days_after), "certificate": upload_for(event),
        "reason": CEA_REASON}]}


def build_world() -> World:
    """Events at different stages through the services, plus direct rows for what takes years."""
    confirmed = register(600, name="济宁国际车展")
    to_offsetting(confirmed, achieved="0.5")
    complete(confirmed, "cancel_units", "organizer", cancellation(confirmed), now=after_event(confirmed, 3))
    complete(confirmed, "third_party_evaluation", "verifier", evaluation(confirmed), now=after_event(confirmed, 10))

    # the demo staffs the 曲阜 branch (eeb_qufu) like every county branch
    organs = register(300, county="曲阜市", name="孔子文化节", starts_in_days=40)
    organs.organizer_type = OrganizerType.PARTY_GOVERNMENT
    to_offsetting(organs, eeb_user="eeb_qufu")
    complete(organs, "cancel_units", "organizer", _cea_cancellation(organs, 200), now=after_event(organs, 201))

    returned = register(600, name="运河论坛", starts_in_days=50)
    complete(returned, "prepare_plan", "organizer", plan_data())
    complete(returned, "review_plan_sector", "commerce", {"decision": "return", "comment": "减排措施不具体"})
    open_task(returned, "review_plan_eeb").due_on = TODAY - timedelta(days=5)

    sink = register(600, name="林业碳汇示范", starts_in_days=20)
    to_offsetting(sink, units=False, sink=True)
    workflow.tick(after_event(sink, 400))

    unpublished = _event("机关节能宣传周", starts=TODAY - timedelta(days=100), county="曲阜市",
                         organizer_type=OrganizerType.PARTY_GOVERNMENT, status=EventStatus.CONFIRMED)
    small = _event("社区读书会", starts=TODAY - timedelta(days=10), participants=150, status=EventStatus.OUT_OF_SCOPE)
    last_year = _event("上年度论坛", starts=date(TODAY.year - 1, 6, 1), status=EventStatus.CONFIRMED,
                       plan_published_at=datetime(TODAY.year - 1, 5, 1, tzinfo=UTC))
    db.session.add(SinkProject(
        event_id=last_year.id, name="微山湖湿地碳汇", sink_type=SinkType.MARINE, location="微山县", county="微山县",
        area_ha=Decimal("50"), expected_tco2e=Decimal("8"), crediting_period_years=20,
        applied_on=last_year.ends_on, status=SinkStatus.VALIDATED, validated_tco2e=Decimal("7.250"),
        validated_on=last_year.ends_on + timedelta(days=90), registered_by_id=user("organizer").id))
    kept, dropped = offsets.record_cancellations(last_year, [
        {"instrument": "sd_inclusion_other", "registry": "sd_inclusion_platform", "serial_from": "SDPH-QT-000001",
         "serial_to": "SDPH-QT-000003", "quantity_tco2e": "3", "cancelled_on": last_year.ends_on.isoformat(),
         "certificate": upload_for(last_year)},
        {"instrument": "ccer_shandong", "registry": "ccer_registry", "serial_from": "CCER-000100",
         "quantity_tco2e": "1", "cancelled_on": last_year.ends_on.isoformat(), "certificate": upload_for(last_year),
         "reason": "碳普惠项目量不足"}], user("organizer"), accounted_tco2e=Decimal(0), today=TODAY)
    offsets.reverse_cancellation(dropped, user("eeb"), "序列号录入错误")
    db.session.commit()
    return World(confirmed, organs, returned, sink, unpublished, small, last_year)


@pytest.fixture()
def world(demo) -> World:  # noqa: ANN001
    return build_world()


def _all_events() -> list[Event]:
    return list(db.session.execute(select(Event)).scalars())


def _expected_offsets(event_list: list[Event]) -> dict[Instrument, Decimal]:
    """Tonnes by instrument from each event's own offsets summary and its validated sink project."""
    result: Counter = Counter()
    for event in event_list:
        for instrument, tonnes in offsets.offsets_summary(event, None)["by_instrument"].items():
            result[Instrument(instrument)] += Decimal(tonnes)
        project = db.session.execute(select(SinkProject).filter_by(event_id=event.id)).scalar()
        if project is not None and project.status is SinkStatus.VALIDATED:
            kind = Instrument.NEW_MARINE_SINK if project.sink_type is SinkType.MARINE else Instrument.NEW_FORESTRY_SINK
            result[kind] += project.validated_tco2e
    return {i: v for i, v in result.items() if v}


# --- dashboard figures equal the sums of the underlying records --------------------------------


@pytest.mark.parametrize("dimension", ["year", "tier", "sector", "organizer_type", "county"])
def test_event_counts_by_dimension_equal_the_event_rows_R_GOAL_2025_2027(world, dimension):
    figures = reports.dashboard(Scope(), TODAY)
    rows = _all_events()
    value = (lambda e: e.starts_on.year) if dimension == "year" else (lambda e: getattr(e, dimension))
    expected_events = Counter(value(e) for e in rows)
    expected_confirmed = Counter(value(e) for e in rows if e.status is EventStatus.CONFIRMED)
    expected_in_scope = Counter(value(e) for e in rows if e.tier is not Tier.OUT_OF_SCOPE)
    tallies = figures.tally(dimension)
    assert {k: t.events for k, t in tallies.items()} == dict(expected_events)
    assert {k: t.confirmed for k, t in tallies.items() if t.confirmed} == dict(expected_confirmed)
    assert {k: t.in_scope for k, t in tallies.items() if t.in_scope} == dict(expected_in_scope)
    assert figures.total.events == len(rows) == 7


def test_tonnes_equal_the_events_accounts_reductions_and_offsets(world):
    figures = reports.dashboard(Scope(), TODAY)
    rows = _all_events()
    actual = [accounting.emissions_summary(e)["actual_tco2e"] for e in rows]
    assert figures.accounted_tco2e == sum((Decimal(a) for a in actual if a), Decimal(0)) == Decimal("40.656")
    assert figures.accounted_events == sum(1 for a in actual if a) == 3
    achieved = db.session.execute(select(ReductionMeasure.achieved_tco2e)).scalars()
    assert figures.reduced_tco2e == sum((a for a in achieved if a), Decimal(0)) == Decimal("0.5")
    assert figures.offset_by_instrument == _expected_offsets(rows)
    assert figures.offset_by_instrument == {Instrument.SD_INCLUSION_FORESTRY: Decimal(14), Instrument.CEA: Decimal(14),
                                            Instrument.SD_INCLUSION_OTHER: Decimal(3),
                                            Instrument.NEW_MARINE_SINK: Decimal("7.250")}
    assert figures.offset_tco2e == Decimal("38.250")


def test_accounted_total_rounds_each_event_once_like_its_own_page(demo):
    """ACCOUNTING.md: totals are summed from unrounded lines; two lines of 0.0005 t make 0.001 t, not 0.002."""
    event = _event("取整核对", starts=TODAY - timedelta(days=3))
    factor_set = accounting.current_factor_set()
    for position in range(2):
        db.session.add(ActivityLine(
            event_id=event.id, stage=AccountStage.ACTUAL, position=position, category=EmissionCategory.VENUE_ENERGY,
            factor_key="test", factor_set_id=factor_set.id, quantity=Decimal("0.5"), unit="kWh",
            kgco2e_per_unit=Decimal("1"), tco2e=Decimal("0.001")))
    db.session.commit()
    assert accounting.emissions_summary(event)["actual_tco2e"] == "0.001"
    assert reports.dashboard(Scope(), TODAY).accounted_tco2e == Decimal("0.001")


def test_offsets_by_priority_R_OFF_4(world):
    by_priority = reports.dashboard(Scope(), TODAY).offset_by_priority()
    assert by_priority == {1: Decimal(17), 3: Decimal(14), None: Decimal("7.250")}, "the reversed CCER line is gone"


def test_party_government_share_R_POL_2(world):
    figures = reports.dashboard(Scope(), TODAY)
    organs = [e for e in _all_events() if e.organizer_type is OrganizerType.PARTY_GOVERNMENT]
    total = figures.party_government_total
    assert total.in_scope == len(organs) == 2
    assert total.confirmed == sum(1 for e in organs if e.status is EventStatus.CONFIRMED) == 1
    assert total.share_percent == Decimal("50.0")
    assert Tally(3, 3, 0, 1).share_percent == Decimal("33.3"), "rounded down"
    assert Tally(1, 0, 0, 0).share_percent is None


def test_goal_progress_counts_in_scope_events_by_year_and_organizer_type_R_GOAL_2025_2027(world):
    progress = reports.dashboard(Scope(), TODAY).goal_progress()
    expected = Counter((e.starts_on.year, e.organizer_type) for e in _all_events() if e.tier is not Tier.OUT_OF_SCOPE)
    assert {(y, k): t.in_scope for y, by_type in progress.items() for k, t in by_type.items() if t.in_scope} == dict(
        expected)
    assert all(set(by_type) == set(OrganizerType) for by_type in progress.values())


def test_overdue_items_by_department_equal_open_tasks_and_unmet_deadlines(world):
    figures = reports.dashboard(Scope(), TODAY)
    tasks = [t for t in db.session.execute(select(HumanTask).where(HumanTask.status == "open")).scalars()
             if t.due_on and t.due_on < TODAY]
    deadlines = [d for d in db.session.execute(select(EventDeadline)).scalars()
                 if d.met_at is None and (d.overdue_at is not None or d.due_on < TODAY)]
    assert sum(r.tasks for r in figures.overdue) == len(tasks) >= 1
    assert sum(sum(r.deadlines.values()) for r in figures.overdue) == len(deadlines) >= 1
    by_department = {r.department.code: r for r in figures.overdue if r.department}
    assert by_department["eeb_rencheng"].tasks == Counter(t.department.code for t in tasks if t.department)[
        "eeb_rencheng"]
    sink_kinds = {k for r in figures.overdue for k in r.deadlines if k is not DeadlineKind.OFFSET}
    assert DeadlineKind.SINK_APPLICATION in sink_kinds
    assert set(by_department["nr"].deadlines) <= {DeadlineKind.SINK_APPLICATION, DeadlineKind.SINK_VALIDATION}
    if DeadlineKind.OFFSET in {d.kind for d in deadlines}:
        assert DeadlineKind.OFFSET in by_department["eeb_rencheng"].deadlines, "the venue's EEB branch supervises"


def test_scope_filters_by_county_and_year(world):
    rows = _all_events()
    qufu = reports.dashboard(Scope(county="曲阜市"), TODAY)
    assert qufu.total.events == sum(1 for e in rows if e.county == "曲阜市") == 2
    assert qufu.offset_by_instrument == _expected_offsets([e for e in rows if e.county == "曲阜市"])
    assert qufu.accounted_tco2e == Decimal("13.552")
    last = reports.dashboard(Scope(year=TODAY.year - 1), TODAY)
    assert last.total.events == sum(1 for e in rows if e.starts_on.year == TODAY.year - 1)
    assert last.offset_by_priority() == {1: Decimal(3), None: Decimal("7.250")}


def test_scope_parse_and_default_county(demo):
    assert Scope.parse("2025", None, "任城区") == Scope(2025, "任城区")
    assert Scope.parse("", "", "任城区") == Scope(None, None), "an empty county asks for the whole city"
    assert Scope.parse("x", "Atlantis") == Scope(None, None)
    assert reports.default_county(user("eeb_rencheng")) == "任城区"
    for name in ("eeb", "drc", "commerce", "auditor", "admin"):
        assert reports.default_county(user(name)) is None


def test_empty_database_gives_zero_figures(demo):
    figures = reports.dashboard(Scope(), TODAY)
    assert figures.total == Tally() and figures.accounted_tco2e == 0 and figures.offset_by_instrument == {}
    assert figures.overdue == [] and figures.party_government_total.share_percent is None


# --- compliance report -------------------------------------------------------------------------


def _local(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), LOCAL_TZ).astimezone(UTC)


def test_plans_published_late_use_the_local_day_R_PLAN_1(demo):
    start = TODAY - timedelta(days=10)
    on_time = _event("前一晚发布", starts=start, plan_published_at=_local(start - timedelta(days=1), 23, 30))
    same_day = _event("当天凌晨发布", starts=start, plan_published_at=_local(start, 0, 30))
    never = _event("未发布", starts=start)
    _event("规模以下", starts=start, participants=150)
    _event("尚未开始", starts=TODAY + timedelta(days=5))
    db.session.commit()
    late = reports.compliance(Scope(), TODAY).late_plans
    assert [p.event_id for p in late] == [same_day.id, never.id]
    assert on_time.id not in {p.event_id for p in late}
    assert late[1].published_at is None


def test_compliance_lists_every_deviation(world):
    report = reports.compliance(Scope(), TODAY)
    assert world.unpublished.id in {p.event_id for p in report.late_plans}
    assert world.last_year.id not in {p.event_id for p in report.late_plans}

    [late] = report.late_cancellations  # R-TIME-1
    assert late.event_id == world.organs.id and late.instrument is Instrument.CEA
    assert late.due_on == offset_due(world.organs.ends_on) and late.days_late == (
        world.organs.ends_on + timedelta(days=200) - late.due_on).days
    assert late.reversed is False

    deviations = {(d.source, d.event_id, d.instrument): d.reason for d in report.priority_deviations}  # R-OFF-4
    assert deviations == {("cancellation", world.organs.id, Instrument.CEA): CEA_REASON}

    assert {(s.event_id, s.kind, s.status) for s in report.late_sinks} >= {
        (world.sink.id, DeadlineKind.SINK_APPLICATION, "overdue")}  # R-TIME-2

    [returned] = report.returns  # approvals and other decisions are not listed
    assert (returned.event_id, returned.task, returned.reason) == (world.returned.id, "review_plan_sector",
                                                                   "减排措施不具体")
    assert returned.department.code == "commerce" and returned.decided_by == user("commerce").display_name

    overdue = [t for t in db.session.execute(select(HumanTask).where(HumanTask.status == "open")).scalars()
               if t.due_on and t.due_on < TODAY]
    assert sorted(t.task_id for t in report.overdue_tasks) == sorted(t.id for t in overdue)
    per_department = {(r.department.code if r.department else r.lane): r.tasks for r in report.overdue_by_department()}
    assert per_department == dict(Counter(t.department.code if t.department else t.lane for t in overdue))


def test_plan_lines_of_lower_priority_are_listed_with_their_reason_R_OFF_4(demo):
    event = _event("省内CCER论坛", starts=TODAY + timedelta(days=30))
    offsets.replace_offset_plan(event, [{"instrument": "ccer_shandong", "quantity_tco2e": "5",
                                         "reason": "林业碳汇暂无可用量"}], user("organizer"))
    db.session.commit()
    [deviation] = reports.compliance(Scope(), TODAY).priority_deviations
    assert (deviation.source, deviation.instrument.priority, deviation.reason) == ("plan", 2, "林业碳汇暂无可用量")


def test_reversed_late_cancellation_is_marked(demo):
    event = _event("补录注销", starts=TODAY - timedelta(days=300))
    [row] = offsets.record_cancellations(event, [{
        "instrument": "sd_inclusion_forestry", "registry": "sd_inclusion_platform", "serial_from": "SDPH-X-000001",
        "quantity_tco2e": "1", "cancelled_on": TODAY.isoformat(), "certificate": upload_for(event)}],
        user("organizer"), accounted_tco2e=Decimal(0), today=TODAY)
    offsets.reverse_cancellation(row, user("eeb"), "重复录入")
    db.session.commit()
    [late] = reports.compliance(Scope(), TODAY).late_cancellations
    assert late.cancellation_id == row.id and late.reversed is True


def test_compliance_is_limited_to_the_events_the_user_may_see(world):
    visible = events.visible_events_query(user("eeb_rencheng"))
    report = reports.compliance(Scope(), TODAY, visible)
    assert world.organs.id not in {c.event_id for c in report.late_cancellations}
    assert world.unpublished.id not in {p.event_id for p in report.late_plans}
    assert {r.event_id for r in report.returns} == {world.returned.id}
    qufu = reports.compliance(Scope(county="曲阜市"), TODAY)
    assert {c.event_id for c in qufu.late_cancellations} == {world.organs.id} and qufu.returns == []


def test_report_queries_do_not_grow_with_the_number_of_events(world, app):
    """One GROUP BY per figure: the dashboard issues the same number of queries for 7 or 27 events."""
    from sqlalchemy import event as sa_event

    def count() -> int:
        statements: list[str] = []

        def listener(*args: object) -> None:
            statements.append(str(args[2]))

        sa_event.listen(db.engine, "before_cursor_execute", listener)
        try:
            reports.dashboard(Scope(), TODAY)
            reports.compliance(Scope(), TODAY)
        finally:
            sa_event.remove(db.engine, "before_cursor_execute", listener)
        return len(statements)

    before = count()
    for i in range(20):
        _event(f"批量活动{i}", starts=TODAY - timedelta(days=i + 1), county="曲阜市" if i % 2 else "任城区")
    db.session.commit()
    db.session.expire_all()
    assert count() == before


def test_reports_only_read(world):
    """Auditors read everything and change nothing: building the reports leaves the session clean."""
    reports.dashboard(Scope(), TODAY)
    reports.compliance(Scope(), TODAY)
    assert not db.session.new and not db.session.dirty and not db.session.deleted


def _sections(report: reports.Compliance) -> dict[str, list]:
    return {name: list(getattr(report, name)) for name in (
        "late_plans", "late_cancellations", "priority_deviations", "late_sinks", "returns", "overdue_tasks",
        "governance")}


def test_compliance_pages_in_sql_with_the_total_of_each_section(world):
    """Issue #19: the page reads the first rows of each section and its count, not every row."""
    for i in range(3):
        _event(f"未发布方案{i}", starts=TODAY - timedelta(days=i + 1))
    db.session.commit()
    full = _sections(reports.compliance(Scope(), TODAY))
    assert len(full["late_plans"]) >= 3
    for limit in (1, 2):
        paged = reports.compliance(Scope(), TODAY, limit=limit)
        for name, rows in full.items():
            section = getattr(paged, name)
            assert section.total == len(rows), name
            assert list(section) == rows[:limit], name


def test_streamed_compliance_has_the_same_rows_as_the_whole_report(world):
    """The XLSX export reads every section as a generator; it must list exactly what the report lists."""
    streamed = reports.compliance(Scope(), TODAY, stream=True)
    assert not isinstance(streamed.late_plans, list)
    assert _sections(streamed) == _sections(reports.compliance(Scope(), TODAY))
    visible = events.visible_events_query(user("eeb_rencheng"))
    assert _sections(reports.compliance(Scope(), TODAY, visible, stream=True)) == _sections(
        reports.compliance(Scope(), TODAY, visible))
