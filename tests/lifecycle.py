"""Helpers that walk an event through its process as the real users would (service layer)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from models import Event, HumanTask, User, VerifierBody, db
from models.accounting import EmissionCategory
from models.uploads import Upload
from processes import accounting, events, workflow
from processes.task_handlers import HANDLERS

PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
ELECTRICITY = "grid_electricity_north_china_2022"  # 0.6776 kg CO2/kWh


def user(username: str) -> User:
    return db.session.execute(select(User).filter_by(username=username)).scalar_one()


def registration(participants: int = 600, *, starts_in_days: int = 30, days: int = 2, sector: str = "commerce",
                 county: str = "任城区", funding: bool = False, name: str = "济宁国际车展") -> dict[str, Any]:
    starts = date.today() + timedelta(days=starts_in_days)
    return {"name": name, "kind": "exhibition", "sector": sector, "organizers": ["济宁会展服务有限公司"],
            "organizer_type": "enterprise", "participants": participants, "starts_on": starts,
            "ends_on": starts + timedelta(days=days - 1), "venue": "济宁国际会展中心", "county": county,
            "fiscal_funding_requested": funding, "funding_requested_cny": Decimal("80000") if funding else None}


def register(participants: int = 600, **kwargs: Any) -> Event:
    event = events.register_event(user("organizer"), registration(participants, **kwargs))
    db.session.commit()
    return event


def plan_data(*, units: bool = True, sink: bool = False, kwh: str = "10000") -> dict[str, Any]:
    body = db.session.execute(select(VerifierBody)).scalars().first()
    offset_plan = []
    if units:
        offset_plan.append({"instrument": "sd_inclusion_forestry", "quantity_tco2e": Decimal("10"), "reason": None})
    if sink:
        offset_plan.append({"instrument": "new_forestry_sink", "quantity_tco2e": Decimal("5"), "reason": None})
    return {
        "boundary": [{"category": c.value, "included": c == EmissionCategory.VENUE_ENERGY,
                      "reason": None if c == EmissionCategory.VENUE_ENERGY else "不适用 not material"}
                     for c in EmissionCategory],
        "estimate": [{"factor_key": ELECTRICITY, "quantity": Decimal(kwh)}],
        "measures": [{"kind": "green_electricity", "description": "场馆使用绿电", "expected_tco2e": Decimal("1")}],
        "offset_plan": offset_plan,
        "new_sink_project": sink,
        "verifier_body": body.id if body else None,
    }


def upload_for(event: Event, by: str = "organizer", name: str = "certificate.pdf") -> int:
    row = Upload(sha256="a" * 64, size=len(PDF), filename=name, content_type="application/pdf",
                 stored_name=f"test-{event.id}-{name}-{datetime.now().timestamp()}", uploaded_by_id=user(by).id,
                 event_id=event.id)
    db.session.add(row)
    db.session.flush()
    return row.id


def open_task(event: Event, name: str) -> HumanTask:
    task = db.session.execute(select(HumanTask).where(
        HumanTask.event_id == event.id, HumanTask.name == name, HumanTask.status == "open")).scalar()
    assert task is not None, f"{name} is not open; open: {open_names(event)}"
    return task


def open_names(event: Event) -> set[str]:
    return set(db.session.execute(select(HumanTask.name).where(
        HumanTask.event_id == event.id, HumanTask.status == "open")).scalars())


def complete(event: Event, name: str, username: str, data: dict[str, Any] | None = None,
             now: datetime | None = None) -> Event:
    task = open_task(event, name)
    result = workflow.complete_task(user(username), task.id, data or {}, HANDLERS, now=now)
    db.session.commit()
    return result


def approve_all(event: Event, sector_user: str = "commerce", eeb_user: str = "eeb_rencheng") -> None:
    complete(event, "review_plan_sector", sector_user, {"decision": "approve"})
    complete(event, "review_plan_eeb", eeb_user, {"decision": "approve"})
    if event.fiscal_funding_requested:
        complete(event, "review_funding", "finance", {"decision": "approve", "amount_cny": Decimal("50000")})


def after_event(event: Event, days: int = 1) -> datetime:
    """An instant `days` after the event's last day (Jining time)."""
    return datetime.combine(event.ends_on + timedelta(days=days), datetime.min.time(), UTC) + timedelta(hours=12)


def account_data(kwh: str = "20000") -> dict[str, Any]:
    return {"activities": [{"factor_key": ELECTRICITY, "quantity": Decimal(kwh)}]}  # 20000 × 0.6776 = 13.552 t


def report_reductions(event: Event, achieved: str = "0") -> None:
    """The organizer reports every planned measure as having achieved `achieved` t (with evidence unless 0)."""
    measures = accounting.emissions_summary(event)["measures"]
    complete(event, "report_reductions", "organizer", {"measures": [
        {"measure_id": m["id"], "achieved_tco2e": Decimal(achieved),
         "evidence": upload_for(event, name="green-power.pdf") if Decimal(achieved) else None} for m in measures]},
        now=after_event(event))


def to_offsetting(event: Event, *, units: bool = True, sink: bool = False, achieved: str = "0",
                  eeb_user: str = "eeb_rencheng") -> None:
    """Walk a registered event to offsetting: its plan prepared and approved by all, the event over, the
    reductions reported and the emissions accounted (13.552 t)."""
    complete(event, "prepare_plan", "organizer", plan_data(units=units, sink=sink))
    approve_all(event, eeb_user=eeb_user)
    assert event.plan_published_at is not None
    workflow.tick(after_event(event))
    db.session.commit()
    report_reductions(event, achieved)
    complete(event, "account_emissions", "organizer", account_data(), now=after_event(event, 2))


def cancellation(event: Event, quantity: int = 14, serial_from: str = "SDPH-2026-000001",
                 serial_to: str | None = None, on: date | None = None) -> dict[str, Any]:
    start = int(serial_from.rsplit("-", 1)[1])
    prefix = serial_from.rsplit("-", 1)[0]
    return {"cancellations": [{
        "instrument": "sd_inclusion_forestry", "registry": "sd_inclusion_platform", "project": "泗水林业碳汇",
        "vintage": "2025", "serial_from": serial_from,
        "serial_to": serial_to or f"{prefix}-{start + quantity - 1:06d}",
        "quantity_tco2e": Decimal(quantity), "cancelled_on": on or event.ends_on + timedelta(days=1),
        "certificate": upload_for(event), "donor": None, "reason": None}]}


def evaluation(event: Event, conclusion: str = "neutral") -> dict[str, Any]:
    return {"body_name": None, "accreditation_no": None, "report": upload_for(event, "verifier", "report.pdf"),
            "verified_tco2e": Decimal("13.552"), "conclusion": conclusion,
            "comment": "核查发现抵消量不足 offset too small" if conclusion == "not_neutral" else None}
