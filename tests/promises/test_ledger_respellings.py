"""R-CAN-2, R-OFF-2: the re-spellings an outside tester got through (session 4), refused at the ledger.

Event A cancels a set of units; event B, of another organisation, tries to count them again.
"""

from __future__ import annotations

import secrets
from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from models import User, db
from models.uploads import Upload
from processes.errors import Conflict, Invalid
from processes.offsets import record_cancellations

TODAY = date.today()
VERRA = "19328-940005924-940008531-VCS-VCU-263-VER-IN-1-1748-01012016-31122016-0"
GOLD = "GS1-1-KE-GS11603-16-2025-30256-110-5463"
OTHER = {"instrument": "other_mechanism", "reason": "捐赠 donated"}
CANCELLED = [
    {"registry": "sd_inclusion_platform", "serial_from": "SDPH-LY-2023-000001", "serial_to": "SDPH-LY-2023-000054",
     "quantity_tco2e": "54"},
    {"registry": "national_carbon_market", "instrument": "cea", "reason": "补足", "serial_from": "CEA-2023-0000001000",
     "serial_to": "CEA-2023-0000001009", "quantity_tco2e": "10"},
    {"registry": "verra", **OTHER, "serial_from": VERRA, "quantity_tco2e": "2608"},
    {"registry": "gold_standard", **OTHER, "serial_from": GOLD, "quantity_tco2e": "5354"},
    {"registry": "other", **OTHER, "registry_name": "Puro.earth Registry", "serial_from": "PURO-2023-000500",
     "serial_to": "PURO-2023-000599", "quantity_tco2e": "100"},
]


def user(name: str) -> User:
    return db.session.execute(select(User).filter_by(username=name)).scalar_one()


def lines(event, uploader: User, *specs: dict) -> list[dict]:  # noqa: ANN001
    out = []
    for spec in specs:
        upload = Upload(sha256=secrets.token_hex(32), size=9, filename="c.pdf", content_type="application/pdf",
                        stored_name=secrets.token_hex(16), uploaded_by_id=uploader.id, event_id=event.id)
        db.session.add(upload)
        db.session.flush()
        out.append({"instrument": "sd_inclusion_forestry", "cancelled_on": (TODAY - timedelta(days=1)).isoformat(),
                    "certificate": upload.id, **spec})
    return out


@pytest.fixture()
def cancelled(make_event):  # noqa: ANN001,ANN201
    first = make_event(days_from_now=-30, name="已注销的活动")
    second = make_event(days_from_now=-20, organization="济宁市文化产业协会", name="第二个活动")
    record_cancellations(first, lines(first, user("organizer"), *CANCELLED), user("organizer"),
                         accounted_tco2e=Decimal(0), today=TODAY)
    db.session.commit()
    return second


@pytest.mark.parametrize("attack", [
    {"registry": "sd_inclusion_platform", "serial_from": "SDPH-LY-2023-0000000005",
     "serial_to": "SDPH-LY-2023-0000000014", "quantity_tco2e": "10"},                        # zero padding
    {"registry": "sd_inclusion_platform", "serial_from": "SDPH/LY/2023/000020", "serial_to": "SDPH/LY/2023/000029",
     "quantity_tco2e": "10"},                                                                # slashes
    {"registry": "sd_inclusion_platform", "serial_from": "SDPH~LY~2023~000030", "serial_to": "SDPH+LY+2023+000039",
     "quantity_tco2e": "10"},                                                                # ~ and +
    {"registry": "national_carbon_market", "instrument": "cea", "reason": "补足", "serial_from": "CEA-2023-1000",
     "serial_to": "CEA-2023-1009", "quantity_tco2e": "10"},                                   # padding removed
    {"registry": "other", **OTHER, "registry_name": "山东碳普惠平台", "serial_from": "SDPH-LY-2023-000010",
     "serial_to": "SDPH-LY-2023-000019", "quantity_tco2e": "10"},                             # Shandong as "other"
    {"registry": "other", **OTHER, "registry_name": "Puro.earth", "serial_from": "PURO-2023-000510",
     "serial_to": "PURO-2023-000519", "quantity_tco2e": "10"},                                # the name re-spelt
    {"registry": "other", **OTHER, "registry_name": "Puro/earth Registry (Finland)", "serial_from": "PURO 2023 510",
     "serial_to": "PURO 2023 519", "quantity_tco2e": "10"},
    {"registry": "other", **OTHER, "registry_name": "---", "serial_from": "PURO-2023-000510",
     "quantity_tco2e": "1"},
    {"registry": "gold_standard", **OTHER, "serial_from": "GS1-1-KE-GS011603-16-2025-30256-200-209",
     "quantity_tco2e": "10"},                                                                 # padded project id
    # the second outside tester's (session 4)
    {"registry": "sd_inclusion_platform", "serial_from": "SDPH-LY-2023-0-000010", "quantity_tco2e": "1"},
    {"registry": "sd_inclusion_platform", "serial_from": "SDPH-0-LY-2023-000020", "quantity_tco2e": "1"},
    {"registry": "sd_inclusion_platform", "serial_from": "0SDPH-LY-2023-000010", "quantity_tco2e": "1"},
    {"registry": "sd_inclusion_platform", "serial_from": "SDPHLY20230000000020", "quantity_tco2e": "1"},
    {"registry": "sd_inclusion_platform", "serial_from": "SDРН-LY-2023-000020", "quantity_tco2e": "1"},  # Cyrillic
    {"registry": "gold_standard", **OTHER, "serial_from": "GS1-1-KE-GS11603-162025-30256-200-300",
     "quantity_tco2e": "101"},
    {"registry": "gold_standard", **OTHER, "serial_from": "GS1-1-KE-GS-11603-16-2025-30256-200-300",
     "quantity_tco2e": "101"},
    {"registry": "gold_standard", **OTHER, "serial_from": "GS1-1KE-GS11603-16-2025-30256-200-300",
     "quantity_tco2e": "101"},
    {"registry": "gold_standard", **OTHER, "serial_from": "GS1-1-KE-GS11603-16-2025-0-30256-200-300",
     "quantity_tco2e": "101"},
    {"registry": "other", **OTHER, "registry_name": "Verra", "serial_from": "940006000", "quantity_tco2e": "1"},
])
def test_r_can_2_respelt_units_are_refused(cancelled, attack):
    with pytest.raises(Conflict):
        record_cancellations(cancelled, lines(cancelled, user("organizer2"), attack), user("organizer2"),
                             accounted_tco2e=Decimal(0), today=TODAY)


@pytest.mark.parametrize("registry", ["other", "sd_inclusion_platform"])
def test_r_can_2_a_verra_block_at_another_registry_is_refused_with_the_registry_to_choose(cancelled, registry):
    attack = {"registry": registry, **OTHER, "registry_name": "Verra", "quantity_tco2e": "10",
              "serial_from": "20001-940006000-940006009-VCS-VCU-263-VER-IN-1-1748-01012016-31122016-0"}
    if registry != "other":
        attack |= {"instrument": "sd_inclusion_forestry", "reason": None}
    with pytest.raises(Invalid) as err:
        record_cancellations(cancelled, lines(cancelled, user("organizer2"), attack), user("organizer2"),
                             accounted_tco2e=Decimal(0), today=TODAY)
    assert "Verra" in str(err.value.fields["cancellations-0-serial_from"])


def test_r_can_2_a_range_written_two_ways_is_refused(cancelled):
    attack = {"registry": "sd_inclusion_platform", "serial_from": "SDPH-LY-2024-000005",
              "serial_to": "SDPHLY2024000014", "quantity_tco2e": "10"}
    with pytest.raises(Invalid) as err:
        record_cancellations(cancelled, lines(cancelled, user("organizer2"), attack), user("organizer2"),
                             accounted_tco2e=Decimal(0), today=TODAY)
    assert "cancellations-0-serial_to" in err.value.fields


def test_r_can_2_unpadded_running_numbers_across_a_power_of_ten(cancelled):
    """…-99 to …-100 is two units, and it overlaps the same units written with padding."""
    own = {"registry": "sd_inclusion_platform", "serial_from": "JNTH-2024-99", "serial_to": "JNTH-2024-100",
           "quantity_tco2e": "2"}
    record_cancellations(cancelled, lines(cancelled, user("organizer2"), own), user("organizer2"),
                         accounted_tco2e=Decimal(0), today=TODAY)
    db.session.commit()
    with pytest.raises(Conflict):
        record_cancellations(cancelled, lines(cancelled, user("organizer2"), {
            "registry": "sd_inclusion_platform", "serial_from": "JNTH-2024-000100", "quantity_tco2e": "1"}),
            user("organizer2"), accounted_tco2e=Decimal(0), today=TODAY)


def test_r_can_2_a_series_spelt_two_ways_counts_once(make_event):
    """NT/2026/1–10 then NT2026000001–10 (and the other way round): the same ten units."""
    first = make_event(days_from_now=-30, name="甲")
    second = make_event(days_from_now=-20, organization="济宁市文化产业协会", name="乙")
    for stored, attack in ((("NT/2026/1", "NT/2026/10"), ("NT2026000001", "NT2026000010")),
                           (("QT2026000001", "QT2026000010"), ("QT/2026/1", "QT/2026/10"))):
        record_cancellations(first, lines(first, user("organizer"), {
            "registry": "sd_inclusion_platform", "serial_from": stored[0], "serial_to": stored[1],
            "quantity_tco2e": "10"}), user("organizer"), accounted_tco2e=Decimal(0), today=TODAY)
        db.session.commit()
        with pytest.raises(Conflict) as err:
            record_cancellations(second, lines(second, user("organizer2"), {
                "registry": "sd_inclusion_platform", "serial_from": attack[0], "serial_to": attack[1],
                "quantity_tco2e": "10"}), user("organizer2"), accounted_tco2e=Decimal(0), today=TODAY)
        assert "(10 of them)" in str(err.value.message)  # the count of shared units, never negative


def test_r_can_2_verra_units_named_at_a_generic_registry_are_refused(cancelled):
    with pytest.raises(Invalid):
        record_cancellations(cancelled, lines(cancelled, user("organizer2"), {
            "registry": "other", **OTHER, "registry_name": "x", "serial_from": "VCU-940006000",
            "quantity_tco2e": "1"}), user("organizer2"), accounted_tco2e=Decimal(0), today=TODAY)
