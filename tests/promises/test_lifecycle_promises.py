"""Attacks on the plan's promises through the whole process (service layer, SQLite or PostgreSQL).

Each test names the rule it tries to break (issue #15, items 1–8).
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from models import AuditEntry, EventDeadline, HumanTask, VerifierBody, db
from models.event import DeadlineKind, EventStatus
from models.offsets import Cancellation
from processes import events, sinks
from processes.errors import Conflict, Forbidden, Invalid
from tests.lifecycle import (
    account_data,
    after_event,
    approve_all,
    cancellation,
    complete,
    evaluation,
    open_names,
    plan_data,
    register,
    to_offsetting,
    upload_for,
    user,
)

pytestmark = pytest.mark.usefixtures("demo")


def actions(event, action: str) -> list[AuditEntry]:  # noqa: ANN001
    return list(db.session.execute(select(AuditEntry).where(
        AuditEntry.event_id == event.id, AuditEntry.action == action)).scalars())


def _line(event, **values) -> dict:  # noqa: ANN001,ANN003
    line = cancellation(event)["cancellations"][0]
    line.update(values)
    return {"cancellations": [line]}


# --- R-CAN-2: the same units never count twice, in any spelling -------------------------------------


@pytest.mark.parametrize(("start", "end"), [
    ("SDPH 2026 000005", "SDPH 2026 000018"), ("sdph2026000005", "sdph2026000018"),
    ("ＳＤＰＨ－２０２６－０００００５", "ＳＤＰＨ－２０２６－００００１８"), ("SDPH—2026—000005", "SDPH–2026–000018"),
    ("SDPH_2026.000005", "SDPH_2026.000018"),
])
def test_r_can_2_separator_variants_of_a_cancelled_range_are_refused(start, end):
    first, second = register(300), register(300, name="第二场")
    to_offsetting(first)
    complete(first, "cancel_units", "organizer", cancellation(first, serial_from="SDPH-2026-000001"),
             now=after_event(first, 3))
    to_offsetting(second)
    with pytest.raises(Conflict):
        complete(second, "cancel_units", "organizer", _line(second, serial_from=start, serial_to=end),
                 now=after_event(second, 3))
    assert actions(second, "offsets.double_counting_refused")
    assert "cancel_units" in open_names(second)


VERRA = "19328-940005924-940008531-VCS-VCU-263-VER-IN-1-1748-01012016-31122016-0"


@pytest.mark.parametrize(("serial", "quantity"), [
    (VERRA, 2608),                                                           # the same block
    ("20001-940006000-940006099-VCS-VCU-263-VER-IN-1-1748-01012016-31122016-0", 100),  # inside it
    ("20002-940008500-940008600-VCS-VCU-263-VER-IN-1-1748-01012016-31122016-0", 101),  # overlapping its end
    ("19328 940005924 940008531 vcs vcu 263 ver in 1 1748 01012016 31122016 0", 2608),  # re-spelt
])
def test_r_can_2_verra_blocks_inside_or_overlapping_a_cancelled_block_are_refused(serial, quantity):
    first, second = register(300), register(300, name="第二场")
    line = {"instrument": "other_mechanism", "registry": "verra", "reason": "捐赠的国际减排量 donated",
            "donor": "某企业", "serial_to": ""}
    to_offsetting(first)
    complete(first, "cancel_units", "organizer",
             _line(first, serial_from=VERRA, quantity_tco2e=Decimal(2608), **line), now=after_event(first, 3))
    row = db.session.execute(select(Cancellation).where(Cancellation.event_id == first.id)).scalar_one()
    assert (row.serial_start, row.serial_end, row.serial_from) == (940005924, 940008531, VERRA)
    to_offsetting(second)
    with pytest.raises(Conflict):
        complete(second, "cancel_units", "organizer",
                 _line(second, serial_from=serial, quantity_tco2e=Decimal(quantity), **line),
                 now=after_event(second, 3))


def test_r_can_2_a_block_quantity_must_equal_its_units():
    event = register(300)
    to_offsetting(event)
    with pytest.raises(Invalid) as err:
        complete(event, "cancel_units", "organizer", _line(
            event, instrument="other_mechanism", registry="gold_standard", reason="捐赠", serial_to="",
            serial_from="GS1-1-KE-GS11603-16-2025-30256-110-5463", quantity_tco2e=Decimal(20)),
            now=after_event(event, 3))
    assert "5354" in str(err.value.fields["cancellations-0-quantity_tco2e"])


# --- R-OFF-2: units of a new sink project count only for the event it is locked to ------------------


def _validated_sink(event, validated: str = "15") -> None:  # noqa: ANN001
    complete(event, "register_sink_project", "organizer", {
        "name": f"新造林碳汇 {event.id}", "project_code": f"SD-LY-{event.id:04d}", "sink_type": "forestry",
        "location": "泗水县", "area_ha": Decimal("120"), "expected_tco2e": Decimal("20"),
        "crediting_period_years": 20, "applied_on": event.ends_on + timedelta(days=5)}, now=after_event(event, 5))
    complete(event, "validate_sink_project", "nr", {
        "monitoring_report": upload_for(event, "nr", "monitoring.pdf"), "validated_tco2e": Decimal(validated),
        "validated_on": event.ends_on + timedelta(days=6), "decision": "approve", "comment": None},
        now=after_event(event, 6))


def test_r_off_2_units_of_another_events_sink_project_are_refused():
    owner, other = register(300), register(300, name="第二场")
    to_offsetting(owner, units=False, sink=True)
    _validated_sink(owner, "20")
    project = sinks.project_of(owner)
    to_offsetting(other)
    for code in (project.project_code, project.project_code.lower().replace("-", " ")):
        with pytest.raises(Conflict):
            complete(other, "cancel_units", "organizer", _line(
                other, instrument="new_forestry_sink", project_code=code, serial_from="SDLY-2027-000001",
                serial_to="SDLY-2027-000014", quantity_tco2e=Decimal(14)), now=after_event(other, 3))
    with pytest.raises(Conflict):  # not even labelled as an ordinary forestry credit
        complete(other, "cancel_units", "organizer", _line(other, project_code=project.project_code),
                 now=after_event(other, 3))
    assert len(actions(other, "offsets.sink_units_refused")) == 3


def test_r_off_2_sink_units_without_a_project_of_this_event_are_refused():
    event = register(300)
    to_offsetting(event)
    with pytest.raises(Invalid) as err:
        complete(event, "cancel_units", "organizer", _line(event, instrument="new_forestry_sink",
                                                           project_code="SD-LY-9999"), now=after_event(event, 3))
    assert "cancellations-0-project_code" in err.value.fields


# --- R-OFF-1: a validated sink smaller than the account -----------------------------------------------


def test_r_off_1_small_sink_returns_the_event_to_offsetting_for_the_remainder():
    event = register(300)
    to_offsetting(event, units=False, sink=True)  # 13.552 t accounted
    _validated_sink(event, "5")
    assert open_names(event) == {"cancel_remainder"} and event.status is EventStatus.OFFSETTING
    assert actions(event, "offsets.shortfall")[0].detail["missing_tco2e"] == "8.552"
    with pytest.raises(Invalid):  # 8 t still leave 0.552 t
        complete(event, "cancel_remainder", "organizer", cancellation(event, quantity=8), now=after_event(event, 7))
    complete(event, "cancel_remainder", "organizer", cancellation(event, quantity=9), now=after_event(event, 7))
    assert open_names(event) == {"sign_commitment"}


def test_r_can_2_own_sink_units_and_its_validated_tonnes_count_once():
    event = register(300)
    to_offsetting(event, units=False, sink=True)
    _validated_sink(event, "5")
    project = sinks.project_of(event)
    with pytest.raises(Invalid):  # the sink's own 5 t cancelled at the platform are the same 5 t
        complete(event, "cancel_remainder", "organizer", _line(
            event, instrument="new_forestry_sink", project_code=project.project_code, serial_from="SDLY-2027-000001",
            serial_to="SDLY-2027-000005", quantity_tco2e=Decimal(5)), now=after_event(event, 7))


# --- R-TIER-X, R-TIER-1, R-TIER-0: a late change of the participant count ----------------------------


def _to_commitment(participants: int = 300):  # noqa: ANN202
    event = register(participants)
    to_offsetting(event)
    complete(event, "cancel_units", "organizer", cancellation(event), now=after_event(event, 3))
    return event


def test_r_tier_1_rise_to_500_at_the_commitment_requires_the_third_party_evaluation():
    event = _to_commitment(300)
    assert open_names(event) == {"sign_commitment"}
    body = db.session.execute(select(VerifierBody)).scalars().first()
    events.change_participants(user("organizer"), event, 600, "实际到场人数增加", body.id, now=after_event(event, 4))
    db.session.commit()
    assert open_names(event) == {"third_party_evaluation"}
    withdrawn = db.session.execute(select(HumanTask).where(
        HumanTask.event_id == event.id, HumanTask.name == "sign_commitment")).scalar_one()
    assert withdrawn.status == "cancelled" and actions(event, "task.withdrawn")
    assert actions(event, "process.signalled")[0].detail["signal"] == "tier_changed"


def test_r_tier_0_fall_below_200_at_the_commitment_is_never_confirmed():
    event = _to_commitment(300)
    events.change_participants(user("organizer"), event, 150, "活动缩小", now=after_event(event, 4))
    db.session.commit()
    assert open_names(event) == set() and event.status is EventStatus.VOLUNTARY
    assert event.disclosed_at is None
    with pytest.raises(Conflict):  # after the plan's path ended the count is locked
        events.change_participants(user("organizer"), event, 300, "又恢复了")


@pytest.mark.parametrize("stage", ["plan", "waiting", "offsetting"])
def test_r_tier_0_fall_below_200_before_confirmation_ends_the_path(stage):
    event = register(300)
    if stage == "waiting":
        complete(event, "prepare_plan", "organizer", plan_data())
        approve_all(event)
    if stage == "offsetting":
        to_offsetting(event)
    events.change_participants(user("organizer"), event, 120, "规模缩小", now=after_event(event, 4))
    db.session.commit()
    assert open_names(event) == set() and event.status is EventStatus.VOLUNTARY


def test_r_tier_x_count_is_locked_after_confirmation():
    event = _to_commitment(300)
    complete(event, "sign_commitment", "organizer", {"confirmation_method": "自我承诺", "truthful": True,
                                                      "neutral_on": event.ends_on + timedelta(days=1)},
             now=after_event(event, 5))
    assert event.status is EventStatus.CONFIRMED
    with pytest.raises(Conflict):
        events.change_participants(user("organizer"), event, 600, "补报")


# --- R-TIER-1: the verifier's conclusion is checked --------------------------------------------------


def _to_evaluation():  # noqa: ANN202
    event = register(600)
    to_offsetting(event)
    complete(event, "cancel_units", "organizer", cancellation(event), now=after_event(event, 3))  # 14 t
    return event


def test_r_tier_1_neutral_refused_when_cancellations_do_not_cover_the_verified_tonnes():
    event = _to_evaluation()
    data = evaluation(event) | {"verified_tco2e": Decimal("20")}
    with pytest.raises(Invalid) as err:
        complete(event, "third_party_evaluation", "verifier", data, now=after_event(event, 10))
    assert "6.000" in str(err.value.fields["conclusion"])
    complete(event, "third_party_evaluation", "verifier", evaluation(event, "not_neutral") |
             {"verified_tco2e": Decimal("20")}, now=after_event(event, 10))
    assert "cancel_units" in open_names(event)


@pytest.mark.parametrize(("field", "value"), [("accreditation_no", "CNAS-FAKE-0001"), ("body_name", "别的机构")])
def test_r_tier_1_another_bodys_name_or_number_is_refused(field, value):
    event = _to_evaluation()
    with pytest.raises(Invalid) as err:
        complete(event, "third_party_evaluation", "verifier", evaluation(event) | {field: value},
                 now=after_event(event, 10))
    assert field in err.value.fields


@pytest.mark.parametrize("value", ["1e30", "1000000001", "-1", "0.0001"])
def test_r_tier_1_absurd_verified_tonnes_are_refused(value):
    event = _to_evaluation()
    with pytest.raises(Invalid) as err:
        complete(event, "third_party_evaluation", "verifier", evaluation(event) | {"verified_tco2e": Decimal(value)},
                 now=after_event(event, 10))
    assert "verified_tco2e" in err.value.fields


# --- R-TIER-2: the neutrality date -------------------------------------------------------------------


@pytest.mark.parametrize("days", [-800, -1, 0])
def test_r_tier_2_neutrality_date_before_the_last_cancellation_is_refused(days):
    event = _to_commitment(300)  # cancelled the day after the event
    with pytest.raises(Invalid) as err:
        complete(event, "sign_commitment", "organizer", {
            "confirmation_method": "自我承诺", "truthful": True, "neutral_on": event.ends_on + timedelta(days=days)},
            now=after_event(event, 5))
    assert "neutral_on" in err.value.fields


# --- R-TIME-1: a late offset reads "met late" --------------------------------------------------------


def test_r_time_1_a_late_cancellation_marks_the_deadline_met_late():
    event = _to_commitment_late = register(300)
    to_offsetting(event)
    late = event.ends_on + timedelta(days=200)
    complete(event, "cancel_units", "organizer", cancellation(event, on=late), now=after_event(event, 201))
    deadline = db.session.execute(select(EventDeadline).where(
        EventDeadline.event_id == event.id, EventDeadline.kind == DeadlineKind.OFFSET)).scalar_one()
    assert _to_commitment_late.status is EventStatus.CONFIRMING
    assert deadline.status == "met_late"


def test_r_off_2_units_named_after_another_events_sink_project_are_refused():
    """The project's name is enough, under any instrument and in any spelling (no code needed)."""
    owner, other = register(300), register(300, name="第二场")
    to_offsetting(owner, units=False, sink=True)
    _validated_sink(owner, "20")
    name = sinks.project_of(owner).name
    to_offsetting(other)
    with pytest.raises(Conflict) as err:
        complete(other, "cancel_units", "organizer", _line(other, project=" ".join(name), project_code=None),
                 now=after_event(other, 3))
    assert "cancellations-0-project" in err.value.fields


def test_r_off_2_the_same_project_re_spelt_cannot_be_registered_for_another_event():
    owner, other = register(300), register(300, name="第二场")
    to_offsetting(owner, units=False, sink=True)
    _validated_sink(owner, "20")
    project = sinks.project_of(owner)
    to_offsetting(other, units=False, sink=True)
    with pytest.raises(Conflict):
        complete(other, "register_sink_project", "organizer", {
            "name": " ".join(project.name), "sink_type": "forestry", "location": "泗水县　泉林镇",
            "area_ha": Decimal("120"), "expected_tco2e": Decimal("20"), "crediting_period_years": 20,
            "applied_on": other.ends_on + timedelta(days=5)}, now=after_event(other, 5))


def test_r_off_2_the_owner_still_cancels_its_own_sink_units():
    owner = register(300)
    to_offsetting(owner, units=False, sink=True)
    _validated_sink(owner, "5")
    project = sinks.project_of(owner)
    complete(owner, "cancel_remainder", "organizer", {"cancellations": [
        _line(owner, instrument="new_forestry_sink", project=project.name, project_code=project.project_code,
              serial_from="SDLY-2027-000001", serial_to="SDLY-2027-000005", quantity_tco2e=Decimal(5))
        ["cancellations"][0], cancellation(owner, quantity=9)["cancellations"][0]]}, now=after_event(owner, 7))
    assert open_names(owner) == {"sign_commitment"}


def test_r_tier_1_zero_verified_tonnes_for_an_accounted_event_are_refused():
    event = _to_evaluation()
    with pytest.raises(Invalid) as err:
        complete(event, "third_party_evaluation", "verifier", evaluation(event) | {"verified_tco2e": Decimal("0")},
                 now=after_event(event, 10))
    assert "verified_tco2e" in err.value.fields


def test_r_time_1_an_event_that_left_the_plan_never_reads_offset_met():
    event = register(300)
    to_offsetting(event)
    events.change_participants(user("organizer"), event, 150, "规模缩小", now=after_event(event, 4))
    db.session.commit()
    deadline = db.session.execute(select(EventDeadline).where(
        EventDeadline.event_id == event.id, EventDeadline.kind == DeadlineKind.OFFSET)).scalar()
    assert deadline is None or deadline.status != "met"


def test_r_tier_1_the_plan_keeps_the_body_commissioned_at_a_new_count():
    """300 → 600 while planning commissions the body; the plan needs not name it again."""
    event = register(300)
    body = db.session.execute(select(VerifierBody)).scalars().first()
    events.change_participants(user("organizer"), event, 600, "扩大规模", body.id)
    db.session.commit()
    complete(event, "prepare_plan", "organizer", plan_data() | {"verifier_body": None})
    assert event.verifier_body_id == body.id


def _owner_with_coded_sink(validated: str = "20"):  # noqa: ANN202
    owner = register(300)
    to_offsetting(owner, units=False, sink=True)
    _validated_sink(owner, validated)  # code SD-LY-<id>, name 新造林碳汇 <id>
    return owner, sinks.project_of(owner)


@pytest.mark.parametrize("spelling", [
    {"project_code": "sd/ly/{id}"}, {"project": "SD-LY-{id:04d}"}, {"project_code": "新造林碳汇 {id}"},
    {"project": "新造林碳汇 {id}（一期）"}, {"project_code": "CCER-SD-LY-{id:04d}"},
    {"project_code": "SD-LY-0-{id:04d}"},
])
def test_r_off_2_another_events_sink_named_in_any_field_or_spelling_is_refused(spelling):
    owner, _project = _owner_with_coded_sink()
    other = register(300, name="第二场")
    to_offsetting(other)
    values = {key: value.format(id=owner.id) for key, value in spelling.items()}
    with pytest.raises(Conflict):
        complete(other, "cancel_units", "organizer", _line(other, **({"project_code": None} | values)),
                 now=after_event(other, 3))


@pytest.mark.parametrize("field", ["project_code", "name"])
def test_r_off_2_the_same_project_re_coded_cannot_be_registered_for_another_event(field):
    owner, project = _owner_with_coded_sink()
    other = register(300, name="第二场")
    to_offsetting(other, units=False, sink=True)
    data = {"name": "另一个名字", "project_code": None, "sink_type": "forestry", "location": "邹城市",
            "county": "邹城市", "area_ha": Decimal("120"), "expected_tco2e": Decimal("20"),
            "crediting_period_years": 20, "applied_on": other.ends_on + timedelta(days=5)}
    data[field] = project.project_code.lower().replace("-", "/")
    with pytest.raises(Conflict):
        complete(other, "register_sink_project", "organizer", data, now=after_event(other, 5))


def test_r_off_2_own_sink_units_under_another_instrument_are_refused_so_they_count_once():
    """Validated 2 t + the same project's 4 units as 'forestry credits' would cover 6 t of a 13.552 t
    account; under the sink's instrument they count once (max of 2 and 4)."""
    owner, project = _owner_with_coded_sink("2")
    with pytest.raises(Invalid) as err:
        complete(owner, "cancel_remainder", "organizer", _line(
            owner, project_code=project.project_code, serial_from="SDLY-2027-000001", serial_to="SDLY-2027-000004",
            quantity_tco2e=Decimal(4)), now=after_event(owner, 7))
    assert "cancellations-0-instrument" in err.value.fields


def test_r_tier_1_a_verified_figure_far_from_the_account_is_explained():
    """1 t verified for a 13.552 t account: a typo, or a finding the public reads — then say why."""
    event = _to_evaluation()
    with pytest.raises(Invalid) as err:
        complete(event, "third_party_evaluation", "verifier", evaluation(event) | {"verified_tco2e": Decimal("1")},
                 now=after_event(event, 10))
    assert "comment" in err.value.fields
    complete(event, "third_party_evaluation", "verifier", evaluation(event) | {
        "verified_tco2e": Decimal("1"), "comment": "场馆电表读数经核实仅为申报量的十分之一"},
        now=after_event(event, 10))
    assert event.status is EventStatus.CONFIRMED


# --- R-ACC-1: correcting a submitted account (issue #18) ---------------------------------------------


def test_r_acc_1_a_typo_in_the_account_is_corrected_through_eeb_and_both_versions_stay():
    event = register(300)
    to_offsetting(event)  # 13.552 t accounted
    with pytest.raises(Invalid):
        events.request_correction(user("organizer"), event, "  ")
    with pytest.raises(Forbidden):
        events.request_correction(user("organizer2"), event, "我来改")
    events.request_correction(user("organizer"), event, "电表读数多录了一个零", now=after_event(event, 3))
    db.session.commit()
    assert open_names(event) == {"cancel_units", "review_correction"}
    with pytest.raises(Conflict):  # one correction at a time
        events.request_correction(user("organizer"), event, "再改一次")
    db.session.rollback()
    complete(event, "review_correction", "eeb_rencheng", {"decision": "approve", "comment": None},
             now=after_event(event, 4))
    complete(event, "correct_account", "organizer", account_data("2000"), now=after_event(event, 5))
    from processes import accounting
    assert accounting.emissions_summary(event)["actual_tco2e"] == "1.355"
    corrected = actions(event, "account.corrected")[0].detail
    assert (corrected["from_tco2e"], corrected["to_tco2e"]) == ("13.552", "1.355")
    assert len(actions(event, "accounting.account_saved")) == 2  # both versions in the history
    complete(event, "cancel_units", "organizer", cancellation(event, quantity=2), now=after_event(event, 6))
    assert open_names(event) == {"sign_commitment"}


def test_r_acc_1_no_correction_before_the_account_or_after_confirmation():
    event = register(300)
    with pytest.raises(Conflict):
        events.request_correction(user("organizer"), event, "太早了")
    event = _to_commitment(300)
    complete(event, "sign_commitment", "organizer", {"confirmation_method": "自我承诺", "truthful": True,
                                                      "neutral_on": event.ends_on + timedelta(days=1)},
             now=after_event(event, 5))
    with pytest.raises(Conflict):
        events.request_correction(user("organizer"), event, "已经确认了")


def test_r_acc_1_a_refused_correction_at_the_commitment_leaves_the_account():
    event = _to_commitment(300)
    events.request_correction(user("organizer"), event, "想改", now=after_event(event, 4))
    db.session.commit()
    assert open_names(event) == {"review_correction"}  # the commitment waits
    with pytest.raises(Invalid):
        complete(event, "review_correction", "eeb_rencheng", {"decision": "return", "comment": ""})
    db.session.rollback()
    complete(event, "review_correction", "eeb_rencheng", {"decision": "return", "comment": "发票与读数一致"},
             now=after_event(event, 5))
    assert open_names(event) == {"sign_commitment"}
