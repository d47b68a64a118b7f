"""Attacks on the process rules of the plan (section 三 and 四), written from the rules' text: what an
event is (R-SCOPE-1), the published plan (R-PLAN-1), reductions (R-RED-1), the account (R-ACC-1),
donations (R-OFF-3), the priority of offsets (R-OFF-4), where units are cancelled and who learns of it
(R-CAN-1) and the sink projects' deadlines (R-TIME-2). Service layer, SQLite or PostgreSQL."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select

from models import AuditEntry, EventDeadline, HumanTask, db
from models.event import DeadlineKind
from models.offsets import Cancellation
from processes import accounting, events, offsets, sinks, workflow
from processes.dates import end_of_day, sink_application_due, sink_validation_due
from processes.errors import Conflict, Forbidden, Invalid, NotFound
from processes.task_handlers import HANDLERS
from tests.lifecycle import (
    account_data,
    after_event,
    approve_all,
    cancellation,
    complete,
    open_names,
    open_task,
    plan_data,
    register,
    registration,
    report_reductions,
    to_offsetting,
    upload_for,
    user,
)
from tests.promises.steps import apply_for_sink

pytestmark = pytest.mark.usefixtures("demo")


def _fields(call: Any, *args: Any, **kwargs: Any) -> dict[str, list]:
    """The field errors of a call that must be refused as invalid."""
    with pytest.raises(Invalid) as err:
        call(*args, **kwargs)
    db.session.rollback()
    return err.value.fields


def _line(event, **values: Any) -> dict[str, Any]:  # noqa: ANN001
    line = cancellation(event)["cancellations"][0]
    line.update(values)
    return {"cancellations": [line]}


def _accounted(participants: int = 300, **plan: Any):  # noqa: ANN202
    """An event walked to offsetting (13.552 t accounted) whose plan is `plan_data(**plan)`."""
    event = register(participants)
    to_offsetting(event, **plan)
    return event


# --- R-SCOPE-1: an event is a gathering of one of the plan's kinds, at a specific time and place -----


@pytest.mark.parametrize("kind", ["concert", "MEETING", "meeting ", "", None, "会议"])
def test_r_scope_1_only_the_plans_kinds_of_event_are_registered(kind):
    fields = _fields(events.register_event, user("organizer"), registration() | {"kind": kind})
    assert "kind" in fields


@pytest.mark.parametrize(("changes", "field"), [
    ({"venue": "   "}, "venue"),
    ({"county": "北京市"}, "county"),
    ({"county": "任城"}, "county"),
    ({"county": None}, "county"),
    ({"starts_on": "2026-05-01"}, "starts_on"),
    ({"ends_on": None}, "ends_on"),
])
def test_r_scope_1_an_event_without_its_place_or_time_is_refused(changes, field):
    fields = _fields(events.register_event, user("organizer"), registration() | changes)
    assert field in fields


def test_r_scope_1_an_event_cannot_end_before_it_starts():
    data = registration()
    data["ends_on"] = data["starts_on"] - timedelta(days=1)
    assert "ends_on" in _fields(events.register_event, user("organizer"), data)


def test_r_scope_1_a_decade_is_not_an_event_at_a_specific_time():
    fields = _fields(events.register_event, user("organizer"), registration(days=3653))
    assert "ends_on" in fields


@pytest.mark.parametrize("username", ["commerce", "eeb", "drc", "finance", "verifier", "auditor", "admin"])
def test_r_scope_1_only_organizers_register_events(username):
    with pytest.raises(Forbidden):
        events.register_event(user(username), registration())


# --- R-PLAN-1: the plan names boundary, estimate, measures and offset method; published once approved


@pytest.mark.parametrize(("part", "value", "field"), [
    ("boundary", [], "boundary"),
    ("estimate", [], "estimate"),
    ("measures", [], "measures"),
    ("offset_plan", [], "offset_plan"),
])
def test_r_plan_1_a_plan_missing_one_of_its_parts_is_refused(part, value, field):
    event = register(300)
    task = open_task(event, "prepare_plan")
    fields = _fields(workflow.complete_task, user("organizer"), task.id, plan_data() | {part: value}, HANDLERS)
    assert field in fields
    assert open_names(event) == {"prepare_plan"}


def test_r_plan_1_a_boundary_that_silently_leaves_out_a_category_is_refused():
    event = register(300)
    boundary = [line for line in plan_data()["boundary"] if line["category"] != "venue_energy"][1:]
    fields = _fields(workflow.complete_task, user("organizer"), open_task(event, "prepare_plan").id,
                     plan_data() | {"boundary": boundary}, HANDLERS)
    assert "boundary" in fields


def test_r_plan_1_an_excluded_category_needs_its_reason():
    event = register(300)
    boundary = plan_data()["boundary"]
    boundary[-1] = boundary[-1] | {"reason": "   "}
    fields = _fields(workflow.complete_task, user("organizer"), open_task(event, "prepare_plan").id,
                     plan_data() | {"boundary": boundary}, HANDLERS)
    assert any(key.endswith("-reason") for key in fields)


def test_r_plan_1_an_estimate_outside_the_declared_boundary_is_refused():
    event = register(300)
    boundary = [{"category": line["category"], "included": line["category"] != "venue_energy",
                 "reason": "场馆自带光伏 own solar" if line["category"] == "venue_energy" else None}
                for line in plan_data()["boundary"]]
    fields = _fields(workflow.complete_task, user("organizer"), open_task(event, "prepare_plan").id,
                     plan_data() | {"boundary": boundary}, HANDLERS)
    assert any(key.startswith("estimate-0") for key in fields), fields


def _published(event) -> bool:  # noqa: ANN001
    db.session.refresh(event)
    return event.plan_published_at is not None


def test_r_plan_1_the_plan_is_published_only_when_every_reviewer_approved():
    event = register(300)
    complete(event, "prepare_plan", "organizer", plan_data())
    assert not _published(event)
    complete(event, "review_plan_sector", "commerce", {"decision": "approve"})
    assert not _published(event), "one of two reviewers approved"
    complete(event, "review_plan_eeb", "eeb_rencheng", {"decision": "return", "comment": "补充交通排放"})
    assert not _published(event) and open_names(event) == {"prepare_plan"}
    complete(event, "prepare_plan", "organizer", plan_data())
    assert open_names(event) == {"review_plan_sector", "review_plan_eeb"}, "the last round's approval does not carry"
    complete(event, "review_plan_eeb", "eeb_rencheng", {"decision": "approve"})
    assert not _published(event)
    complete(event, "review_plan_sector", "commerce", {"decision": "approve"})
    assert _published(event)
    assert db.session.execute(select(AuditEntry).where(
        AuditEntry.event_id == event.id, AuditEntry.action == "plan.published")).scalar() is not None


def test_r_plan_1_the_organizer_cannot_approve_its_own_plan():
    event = register(300)
    complete(event, "prepare_plan", "organizer", plan_data())
    for name in ("review_plan_sector", "review_plan_eeb"):
        with pytest.raises(NotFound):
            workflow.complete_task(user("organizer"), open_task(event, name).id, {"decision": "approve"}, HANDLERS)
    assert not _published(event)


@pytest.mark.parametrize("decision", ["APPROVE", "yes", ["approve"], True, None, "approved"])
def test_r_plan_1_only_approve_or_return_decides_a_review(decision):
    event = register(300)
    complete(event, "prepare_plan", "organizer", plan_data())
    fields = _fields(workflow.complete_task, user("commerce"), open_task(event, "review_plan_sector").id,
                     {"decision": decision}, HANDLERS)
    assert "decision" in fields


@pytest.mark.parametrize("comment", [None, "", "   \n"])
def test_r_plan_1_a_return_says_why(comment):
    event = register(300)
    complete(event, "prepare_plan", "organizer", plan_data())
    fields = _fields(workflow.complete_task, user("commerce"), open_task(event, "review_plan_sector").id,
                     {"decision": "return", "comment": comment}, HANDLERS)
    assert "comment" in fields


def test_r_plan_1_the_approved_plan_cannot_be_submitted_again():
    event = register(300)
    complete(event, "prepare_plan", "organizer", plan_data())
    approve_all(event)
    done = db.session.execute(select(HumanTask).where(
        HumanTask.event_id == event.id, HumanTask.name == "prepare_plan")).scalar_one()
    with pytest.raises(Conflict):
        workflow.complete_task(user("organizer"), done.id, plan_data(kwh="1"), HANDLERS)
    assert accounting.emissions_summary(event)["estimated_tco2e"] == "6.776"


# --- R-RED-1: reductions during the event, planned vs. achieved ---------------------------------------


def _approved(participants: int = 300, plan: dict[str, Any] | None = None, **kwargs: Any):  # noqa: ANN202
    event = register(participants, **kwargs)
    complete(event, "prepare_plan", "organizer", plan_data() | (plan or {}))
    approve_all(event)
    return event


def test_r_red_1_reductions_are_reported_only_once_the_events_last_day_is_over_in_jining():
    event = _approved()
    last_second = end_of_day(event.ends_on) - timedelta(seconds=1)  # 23:59:59 on the last day, Asia/Shanghai
    workflow.tick(last_second)
    db.session.commit()
    assert "report_reductions" not in open_names(event)
    workflow.tick(end_of_day(event.ends_on) + timedelta(seconds=1))
    db.session.commit()
    assert open_names(event) == {"report_reductions"}, "the account comes after the reductions report (R-ACC-1)"


def _measures_plan() -> dict[str, Any]:
    return {"measures": [
        {"kind": "green_electricity", "description": "场馆使用绿电", "expected_tco2e": Decimal("1")},
        {"kind": "clean_plate", "description": "光盘行动", "expected_tco2e": Decimal("0.2")}]}


def _over(event) -> list[dict[str, Any]]:  # noqa: ANN001
    workflow.tick(after_event(event))
    db.session.commit()
    return accounting.emissions_summary(event)["measures"]


def _report(event, measures: list[dict[str, Any]]) -> dict[str, list]:  # noqa: ANN001
    return _fields(workflow.complete_task, user("organizer"), open_task(event, "report_reductions").id,
                   {"measures": measures}, HANDLERS, now=after_event(event))


def test_r_red_1_every_planned_measure_is_reported():
    event = _approved(plan=_measures_plan())
    planned = _over(event)
    fields = _report(event, [{"measure_id": planned[0]["id"], "achieved_tco2e": Decimal(0), "evidence": None}])
    assert "measures" in fields
    fields = _report(event, [{"measure_id": planned[0]["id"], "achieved_tco2e": Decimal(0), "evidence": None}] * 2)
    assert "measures-1-measure_id" in fields


def test_r_red_1_a_measure_of_another_event_is_refused():
    other = _approved(name="另一场")
    event = _approved()
    foreign = _over(other)[0]["id"]
    _over(event)
    fields = _report(event, [{"measure_id": foreign, "achieved_tco2e": Decimal(0), "evidence": None}])
    assert "measures-0-measure_id" in fields


@pytest.mark.parametrize("achieved", ["-1", "1e15", "0.0001", "NaN", "Infinity"])
def test_r_red_1_absurd_achievements_are_refused(achieved):
    event = _approved()
    measure = _over(event)[0]
    fields = _report(event, [{"measure_id": measure["id"], "achieved_tco2e": Decimal(achieved),
                              "evidence": upload_for(event)}])
    assert "measures-0-achieved_tco2e" in fields


def test_r_red_1_an_achievement_needs_evidence_of_this_event():
    other = register(300, name="另一场")
    event = _approved()
    measure = _over(event)[0]
    fields = _report(event, [{"measure_id": measure["id"], "achieved_tco2e": Decimal("0.5"), "evidence": None}])
    assert "measures-0-evidence" in fields
    fields = _report(event, [{"measure_id": measure["id"], "achieved_tco2e": Decimal("0.5"),
                              "evidence": upload_for(other)}])
    assert "measures-0-evidence" in fields


def test_r_red_1_planned_and_achieved_are_both_kept():
    event = _approved(plan=_measures_plan())
    planned = _over(event)
    complete(event, "report_reductions", "organizer", {"measures": [
        {"measure_id": planned[0]["id"], "achieved_tco2e": Decimal("1.5"), "evidence": upload_for(event)},
        {"measure_id": planned[1]["id"], "achieved_tco2e": Decimal("0"), "evidence": None}]}, now=after_event(event))
    measures = accounting.emissions_summary(event)["measures"]
    assert [(m["expected_tco2e"], m["achieved_tco2e"]) for m in measures] == [("1.000", "1.500"), ("0.200", "0.000")]


# --- R-ACC-1: the account of what actually happened is the basis of offsetting ------------------------


def test_r_acc_1_the_offset_covers_the_actual_account_not_the_estimate():
    event = _accounted()  # estimated 6.776 t, accounted 13.552 t
    summary = accounting.emissions_summary(event)
    assert (summary["estimated_tco2e"], summary["actual_tco2e"]) == ("6.776", "13.552")
    fields = _fields(workflow.complete_task, user("organizer"), open_task(event, "cancel_units").id,
                     cancellation(event, quantity=7), HANDLERS, now=after_event(event, 3))
    assert "6.552" in str(fields["cancellations"])
    complete(event, "cancel_units", "organizer", cancellation(event, quantity=14), now=after_event(event, 3))
    assert open_names(event) == {"sign_commitment"}


@pytest.mark.parametrize(("activities", "field"), [
    ([], "activities"),
    ([{"factor_key": "made_up_factor", "quantity": Decimal("100")}], "activities-0-factor_key"),
    ([{"factor_key": "grid_electricity_north_china_2022", "quantity": Decimal("-100")}], "activities-0-quantity"),
    ([{"factor_key": "grid_electricity_north_china_2022", "quantity": Decimal("1e20")}], "activities-0-quantity"),
])
def test_r_acc_1_an_account_without_recognised_factors_and_real_quantities_is_refused(activities, field):
    event = register(300)
    complete(event, "prepare_plan", "organizer", plan_data())
    approve_all(event)
    workflow.tick(after_event(event))
    db.session.commit()
    report_reductions(event)
    fields = _fields(workflow.complete_task, user("organizer"), open_task(event, "account_emissions").id,
                     {"activities": activities}, HANDLERS, now=after_event(event, 2))
    assert field in fields
    assert accounting.emissions_summary(event)["actual_tco2e"] is None


def test_r_acc_1_nothing_is_offset_before_the_account():
    event = _approved()
    workflow.tick(after_event(event))
    db.session.commit()
    assert open_names(event) == {"report_reductions"}
    report_reductions(event)
    assert open_names(event) == {"account_emissions"}, "no cancellation before the account"
    complete(event, "account_emissions", "organizer", account_data(), now=after_event(event, 2))
    assert open_names(event) == {"cancel_units"}


# --- R-OFF-3: donated allowances and credits are recordable ------------------------------------------


def test_r_off_3_donated_units_are_recorded_with_their_donor():
    event = _accounted()
    complete(event, "cancel_units", "organizer", _line(event, donor="济宁某能源集团（捐赠）"),
             now=after_event(event, 3))
    row = db.session.execute(select(Cancellation).where(Cancellation.event_id == event.id)).scalar_one()
    assert row.donor == "济宁某能源集团（捐赠）"
    entry = db.session.execute(select(AuditEntry).where(
        AuditEntry.event_id == event.id, AuditEntry.action == "offsets.cancelled")).scalar_one()
    assert entry.detail["donor"] == "济宁某能源集团（捐赠）"
    assert [r["donor"] for r in offsets.ledger_rows({"event_id": str(event.id)})] == ["济宁某能源集团（捐赠）"]


def test_r_off_3_donated_international_credits_are_recorded_with_donor_and_reason():
    event = _accounted()
    serial = "19328-940005924-940005937-VCS-VCU-263-VER-IN-1-1748-01012016-31122016-0"
    complete(event, "cancel_units", "organizer", _line(
        event, instrument="other_mechanism", registry="verra", serial_from=serial, serial_to="",
        quantity_tco2e=Decimal(14), donor="某外资企业", reason="企业捐赠的国际减排量"), now=after_event(event, 3))
    row = db.session.execute(select(Cancellation).where(Cancellation.event_id == event.id)).scalar_one()
    assert (row.donor, row.reason, row.serial_start, row.serial_end) == (
        "某外资企业", "企业捐赠的国际减排量", 940005924, 940005937)


def test_r_off_3_a_donor_name_of_absurd_length_is_refused():
    event = _accounted()
    fields = _fields(workflow.complete_task, user("organizer"), open_task(event, "cancel_units").id,
                     _line(event, donor="捐" * 201), HANDLERS, now=after_event(event, 3))
    assert "cancellations-0-donor" in fields


# --- R-OFF-4: a lower priority needs a recorded reason -----------------------------------------------


def _plan_with(lines: list[dict[str, Any]]) -> dict[str, list]:
    event = register(300)
    return _fields(workflow.complete_task, user("organizer"), open_task(event, "prepare_plan").id,
                   plan_data() | {"offset_plan": lines}, HANDLERS)


@pytest.mark.parametrize("instrument", ["ccer_shandong", "other_mechanism", "cea"])
@pytest.mark.parametrize("reason", [None, "", "   ", "\n\t"])
def test_r_off_4_a_lower_priority_in_the_plan_needs_a_reason(instrument, reason):
    fields = _plan_with([{"instrument": instrument, "quantity_tco2e": Decimal(10), "reason": reason}])
    assert "offset_plan-0-reason" in fields


def test_r_off_4_a_lower_priority_beside_a_first_priority_line_still_needs_its_reason():
    fields = _plan_with([{"instrument": "sd_inclusion_marine", "quantity_tco2e": Decimal(5), "reason": None},
                         {"instrument": "cea", "quantity_tco2e": Decimal(5), "reason": None}])
    assert "offset_plan-1-reason" in fields and "offset_plan-0-reason" not in fields


@pytest.mark.parametrize("instrument", ["sd_inclusion_forestry", "sd_inclusion_marine", "sd_inclusion_other",
                                        "new_forestry_sink", "new_marine_sink"])
def test_r_off_4_the_first_priority_and_new_sinks_need_no_reason(instrument):
    event = register(300)
    complete(event, "prepare_plan", "organizer", plan_data() | {"offset_plan": [
        {"instrument": instrument, "quantity_tco2e": Decimal(10), "reason": None}]})
    assert open_names(event) == {"review_plan_sector", "review_plan_eeb"}


CEA = {"instrument": "cea", "registry": "national_carbon_market", "project": None, "vintage": "2024",
       "serial_from": "CEA-2024-000001", "serial_to": "CEA-2024-000014"}


def test_r_off_4_a_lower_priority_cancellation_needs_a_reason_recorded_on_the_ledger():
    event = _accounted()  # the plan offsets with Shandong forestry units only
    fields = _fields(workflow.complete_task, user("organizer"), open_task(event, "cancel_units").id,
                     _line(event, **CEA), HANDLERS, now=after_event(event, 3))
    assert "cancellations-0-reason" in fields
    complete(event, "cancel_units", "organizer", _line(event, **CEA, reason="碳普惠减排量不足"),
             now=after_event(event, 3))
    row = db.session.execute(select(Cancellation).where(Cancellation.event_id == event.id)).scalar_one()
    assert row.reason == "碳普惠减排量不足"


def test_r_off_4_the_plans_reason_covers_only_the_instrument_it_was_given_for():
    event = register(300)
    plan = plan_data() | {"offset_plan": [
        {"instrument": "ccer_shandong", "quantity_tco2e": Decimal(14), "reason": "省内CCER价格更低"}]}
    complete(event, "prepare_plan", "organizer", plan)
    approve_all(event)
    workflow.tick(after_event(event))
    db.session.commit()
    report_reductions(event)
    complete(event, "account_emissions", "organizer", account_data(), now=after_event(event, 2))
    fields = _fields(workflow.complete_task, user("organizer"), open_task(event, "cancel_units").id,
                     _line(event, **CEA), HANDLERS, now=after_event(event, 3))
    assert "cancellations-0-reason" in fields, "the CCER reason does not excuse allowances"
    complete(event, "cancel_units", "organizer", _line(
        event, instrument="ccer_shandong", registry="ccer_registry", serial_from="CCER-37-2024-000001",
        serial_to="CCER-37-2024-000014"), now=after_event(event, 3))
    row = db.session.execute(select(Cancellation).where(Cancellation.event_id == event.id)).scalar_one()
    assert row.reason == "省内CCER价格更低"


# --- R-CAN-1: cancelled at the instrument's own registry; the competent department learns of it ------


@pytest.mark.parametrize(("instrument", "registry"), [
    ("sd_inclusion_forestry", "ccer_registry"),
    ("sd_inclusion_marine", "national_carbon_market"),
    ("sd_inclusion_other", "other"),
    ("ccer_shandong", "sd_inclusion_platform"),
    ("ccer_shandong", "verra"),
    ("cea", "sd_inclusion_platform"),
    ("cea", "gold_standard"),
    ("new_forestry_sink", "ccer_registry"),
    ("sd_inclusion_forestry", "SD_INCLUSION_PLATFORM"),
])
def test_r_can_1_units_are_cancelled_at_their_own_registry(instrument, registry):
    event = _accounted()
    fields = _fields(workflow.complete_task, user("organizer"), open_task(event, "cancel_units").id,
                     _line(event, instrument=instrument, registry=registry, reason="原因", registry_name="某登记机构"),
                     HANDLERS, now=after_event(event, 3))
    assert "cancellations-0-registry" in fields
    assert offsets.active_cancellations(event) == []


def test_r_can_1_the_competent_department_reads_each_cancellation_others_do_not(client, api_token):
    event = _accounted()
    complete(event, "cancel_units", "organizer", cancellation(event), now=after_event(event, 3))
    url = f"/api/v1/ledger/cancellations?event_id={event.id}"
    for username in ("eeb_rencheng", "eeb", "drc", "auditor"):
        rows = client.get(url, headers=api_token(username)).get_json()["items"]
        assert [(r["registry"], r["serial_from"], r["quantity_tco2e"]) for r in rows] == [
            ("sd_inclusion_platform", "SDPH-2026-000001", "14.000")], username
        assert rows[0]["evidence_sha256"] == "a" * 64
    for username in ("organizer", "organizer2", "verifier"):
        assert client.get(url, headers=api_token(username)).status_code == 403, username


# --- R-TIME-2: sink application within 1 year, validation within 2 years of the event's end -----------


def _ended_on(make_event, ends_on: date):  # noqa: ANN001,ANN202
    event = make_event(300, days_from_now=(ends_on - date.today()).days, length_days=1)
    db.session.flush()
    return event


def _project(event, applied_on: date):  # noqa: ANN001,ANN202
    return sinks.register_sink_project(event, {
        "name": f"新造林 {event.id}", "sink_type": "forestry", "location": "泗水县泉林镇", "area_ha": "100",
        "expected_tco2e": "500", "crediting_period_years": "20", "applied_on": applied_on.isoformat()},
        user("organizer"), date.today())


@pytest.mark.parametrize(("ends_on", "applied_on", "late"), [
    (date(2024, 6, 30), date(2025, 6, 30), False),
    (date(2024, 6, 30), date(2025, 7, 1), True),
    (date(2024, 2, 29), date(2025, 2, 28), False),  # a leap day: one year later is 28 February
    (date(2024, 2, 29), date(2025, 3, 1), True),
    (date(2023, 2, 28), date(2024, 2, 28), False),
    (date(2023, 2, 28), date(2024, 2, 29), True),  # not "the last day of February" in a leap year
    (date(2024, 12, 31), date(2025, 12, 31), False),
    (date(2024, 12, 31), date(2026, 1, 1), True),
])
def test_r_time_2_the_application_is_on_time_on_the_last_day_and_late_the_next(make_event, ends_on, applied_on,
                                                                                late):
    project = _project(_ended_on(make_event, ends_on), applied_on)
    assert project.application_late is late
    flagged = db.session.execute(select(AuditEntry).where(AuditEntry.action == "sink.application_late")).scalar()
    assert (flagged is not None) is late


@pytest.mark.parametrize(("ends_on", "validated_on", "late"), [
    (date(2023, 6, 30), date(2025, 6, 30), False),
    (date(2023, 6, 30), date(2025, 7, 1), True),
    (date(2022, 2, 28), date(2024, 2, 28), False),
    (date(2022, 2, 28), date(2024, 2, 29), True),
    (date(2024, 2, 29), date(2026, 2, 28), False),
    (date(2024, 2, 29), date(2026, 3, 1), True),
])
def test_r_time_2_validation_is_on_time_within_two_years_and_late_the_day_after(make_event, ends_on, validated_on,
                                                                                 late):
    event = _ended_on(make_event, ends_on)
    project = _project(event, ends_on + timedelta(days=30))
    sinks.validate_sink_project(project, {
        "decision": "approve", "validated_tco2e": "480", "validated_on": validated_on.isoformat(),
        "monitoring_report": upload_for(event, "nr", "monitoring.pdf")}, user("nr"), date.today())
    assert project.validation_late is late
    deadlines = sinks.sink_deadlines(event, date.today(), project)
    assert deadlines["validation_status"] == "met" and deadlines["validation_late"] is late


def test_r_time_2_validation_never_precedes_the_application(make_event):
    event = _ended_on(make_event, date(2024, 6, 30))
    project = _project(event, date(2024, 9, 1))
    fields = _fields(sinks.validate_sink_project, project, {
        "decision": "approve", "validated_tco2e": "480", "validated_on": "2024-08-31",
        "monitoring_report": upload_for(event, "nr", "monitoring.pdf")}, user("nr"), date.today())
    assert "validated_on" in fields


def _sink_deadline(event, kind: DeadlineKind) -> EventDeadline:  # noqa: ANN001
    return db.session.execute(select(EventDeadline).where(
        EventDeadline.event_id == event.id, EventDeadline.kind == kind)).scalar_one()


def _nr_follow_up(event):  # noqa: ANN001,ANN202
    return db.session.execute(select(HumanTask).where(
        HumanTask.event_id == event.id, HumanTask.name == "follow_up_overdue",
        HumanTask.department.has(code="nr"))).scalar()


def test_r_time_2_the_application_deadline_passes_after_its_last_day_in_jining():
    event = register(300)
    to_offsetting(event, units=False, sink=True)
    assert "register_sink_project" in open_names(event)
    due = sink_application_due(event.ends_on)
    workflow.tick(end_of_day(due) - timedelta(seconds=1))  # 23:59:59 on the last day (the 6 months are past)
    db.session.commit()
    deadline = _sink_deadline(event, DeadlineKind.SINK_APPLICATION)
    assert deadline.due_on == due and deadline.status == "open"
    assert _nr_follow_up(event) is None
    workflow.tick(end_of_day(due))
    db.session.commit()
    db.session.refresh(deadline)
    assert deadline.status == "overdue"
    assert _nr_follow_up(event) is not None


def test_r_time_2_the_validation_deadline_passes_after_its_last_day_in_jining():
    event = register(300)
    to_offsetting(event, units=False, sink=True)
    apply_for_sink(event, code=None)
    assert _sink_deadline(event, DeadlineKind.SINK_APPLICATION).status == "met"
    due = sink_validation_due(event.ends_on)
    workflow.tick(end_of_day(due) - timedelta(seconds=1))
    db.session.commit()
    deadline = _sink_deadline(event, DeadlineKind.SINK_VALIDATION)
    assert (deadline.due_on, deadline.status, _nr_follow_up(event)) == (due, "open", None)
    workflow.tick(end_of_day(due))
    db.session.commit()
    db.session.refresh(deadline)
    assert deadline.status == "overdue" and _nr_follow_up(event) is not None
    assert "validate_sink_project" in open_names(event), "the validation itself stays to be done"
