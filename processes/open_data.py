"""The disclosures as open data (R-DIS-1, R-PLAT-1 "timely and complete disclosure", issue #22): every
public event and every disclosed cancellation as CSV and JSON, an Atom feed of new disclosures and
cancellations, and a DCAT (JSON-LD) catalogue entry with an open licence and the update date, for the
city's open-data portal and the Shandong platform to harvest.

Only what the public pages show leaves this module (processes/disclosure.py): events whose plan is
published, their cancellations that count (never a donor, a reason or a file; a registry record only
when it names the event or nobody), no person's name.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import func, select

from models import Event, db
from models.db import utcnow
from models.offsets import Cancellation
from processes import disclosure, offsets
from processes.localtime import local
from processes.registry.status import fields, statuses

LICENCE = "https://creativecommons.org/licenses/by/4.0/"  # default of OPEN_DATA_LICENCE
CHUNK = 500
FEED_ENTRIES = 100
EVENT_COLUMNS = ("id", "name", "kind", "sector", "organizers", "participants", "tier", "starts_on", "ends_on", "venue",
                 "county", "status", "plan_published_on", "disclosed_on", "cancelled_tco2e", "registry_confirmed_tco2e")
CANCELLATION_COLUMNS = ("id", "event_id", "event_name", "registry", "registry_name", "instrument", "project_name",
                        "project_code", "vintage", "serial_from", "serial_to", "quantity_tco2e", "cancelled_on",
                        "recorded_on", "evidence_sha256", "registry_status", "registry_record_serial",
                        "registry_record_date", "registry_record_beneficiary", "registry_data_of")


def _published() -> Any:
    return select(Event).where(Event.plan_published_at.is_not(None))


def _active(query: Any) -> Any:
    reversed_ids = select(Cancellation.reverses_id).where(Cancellation.reverses_id.is_not(None))
    return query.where(Cancellation.reverses_id.is_(None), Cancellation.id.not_in(reversed_ids))


def _chunks(query: Any) -> Iterator[list[Any]]:
    """The rows of `query` (ordered by id) a few hundred at a time, by keyset (no OFFSET)."""
    entity = query.column_descriptions[0]["entity"]
    last = 0
    while True:
        rows = list(db.session.execute(query.where(entity.id > last).order_by(entity.id).limit(CHUNK)).scalars())
        if not rows:
            return
        yield rows
        last = rows[-1].id


def event_rows() -> Iterator[dict[str, Any]]:
    """Every event whose plan is published, as the public list shows it, with the tonnes cancelled for it
    and those the registries' own data confirms."""
    today = local(utcnow()).date()
    for events in _chunks(_published()):
        ids = [e.id for e in events]
        overdue = disclosure.overdue_event_ids(ids)
        lines = db.session.execute(_active(select(Cancellation.id, Cancellation.event_id, Cancellation.quantity_tco2e)
                                           .where(Cancellation.event_id.in_(ids)))).all()
        shown = statuses(line.id for line in lines)
        cancelled: dict[int, Decimal] = {}
        confirmed: dict[int, Decimal] = {}
        for line in lines:
            cancelled[line.event_id] = cancelled.get(line.event_id, Decimal(0)) + line.quantity_tco2e
            if line.id in shown and shown[line.id].status.value == "confirmed":
                confirmed[line.event_id] = confirmed.get(line.event_id, Decimal(0)) + line.quantity_tco2e
        for event in events:
            yield disclosure.summary_item(event, overdue=event.id in overdue, today=today) | {
                "cancelled_tco2e": offsets.tco2e(cancelled.get(event.id, Decimal(0))),
                "registry_confirmed_tco2e": offsets.tco2e(confirmed.get(event.id, Decimal(0)))}


def cancellation_rows() -> Iterator[dict[str, Any]]:
    """Every cancellation that counts of an event whose plan is published (disclosed as soon as recorded)."""
    query = _active(select(Cancellation).join(Event, Event.id == Cancellation.event_id).where(
        Event.plan_published_at.is_not(None)))
    for rows in _chunks(query):
        names = dict(db.session.execute(select(Event.id, Event.name).where(
            Event.id.in_({r.event_id for r in rows}))).all())
        shown = statuses(r.id for r in rows)
        for row in rows:
            registry = fields(shown.get(row.id), public=True)
            record = registry["registry_record"] or {}
            yield {
                "id": row.id, "event_id": row.event_id, "event_name": names[row.event_id],
                "registry": row.unit_registry.value, "registry_name": row.registry_name,
                "instrument": row.instrument.value, "project_name": row.project_name,
                "project_code": row.project_code, "vintage": row.vintage, "serial_from": row.serial_from,
                "serial_to": row.serial_to, "quantity_tco2e": offsets.tco2e(row.quantity_tco2e),
                "cancelled_on": row.cancelled_on.isoformat(), "recorded_on": local(row.created_at).date().isoformat(),
                "evidence_sha256": row.evidence_sha256, "registry_status": registry["registry_status"],
                "registry_record_serial": record.get("serial"), "registry_record_date": record.get("date"),
                "registry_record_beneficiary": record.get("beneficiary"), "registry_data_of": record.get("imported_on"),
            }


def _cell(value: Any) -> Any:
    if isinstance(value, list):
        return "; ".join(str(v) for v in value)
    return "" if value is None else value


def csv_lines(rows: Iterator[dict[str, Any]], columns: tuple[str, ...]) -> Iterator[str]:
    """The rows as CSV text, a line at a time (UTF-8 with BOM, so spreadsheet programs read Chinese)."""
    from processes.spreadsheet import safe_cell

    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(columns)
    yield "\ufeff" + buffer.getvalue()
    for row in rows:
        buffer.seek(0)
        buffer.truncate()
        writer.writerow([safe_cell(_cell(row.get(c))) for c in columns])
        yield buffer.getvalue()


def updated_at() -> datetime:
    """When the disclosed data last changed: the newest published plan, disclosure or cancellation."""
    candidates = [
        db.session.scalar(select(func.max(Event.plan_published_at))),
        db.session.scalar(select(func.max(Event.disclosed_at))),
        db.session.scalar(select(func.max(Cancellation.created_at)).join(Event, Event.id == Cancellation.event_id)
                          .where(Event.plan_published_at.is_not(None))),
    ]
    known = [local(at) for at in candidates if at is not None]
    return max(known) if known else local(datetime(2023, 1, 1))


# --------------------------------------------------------------------------- the Atom feed
def feed_entries() -> list[dict[str, Any]]:
    """The newest disclosures and cancellations, newest first: plans published, events disclosed as
    carbon neutral, cancellations recorded for public events."""
    entries: list[dict[str, Any]] = []
    plans = db.session.execute(_published().order_by(Event.plan_published_at.desc()).limit(FEED_ENTRIES)).scalars()
    for event in plans:
        entries.append({"key": f"event:{event.id}:plan", "event_id": event.id, "at": local(event.plan_published_at),
                        "title": _("Plan published: %(name)s", name=event.name),
                        "summary": _("%(venue)s, %(start)s to %(end)s, %(n)d participants.", venue=event.venue,
                                     start=event.starts_on.isoformat(), end=event.ends_on.isoformat(),
                                     n=event.participants)})
    disclosed = db.session.execute(_published().where(Event.disclosed_at.is_not(None)).order_by(
        Event.disclosed_at.desc()).limit(FEED_ENTRIES)).scalars()
    for event in disclosed:
        entries.append({"key": f"event:{event.id}:disclosed", "event_id": event.id, "at": local(event.disclosed_at),
                        "title": _("Carbon neutral, disclosed: %(name)s", name=event.name),
                        "summary": _("The neutrality statement and the cancellation records are public.")})
    lines = db.session.execute(_active(select(Cancellation, Event.name).join(Event, Event.id == Cancellation.event_id)
                                       .where(Event.plan_published_at.is_not(None)))
                               .order_by(Cancellation.created_at.desc(), Cancellation.id.desc())
                               .limit(FEED_ENTRIES)).all()
    for row, name in lines:
        serials = row.serial_from + (f" – {row.serial_to}" if row.serial_to else "")
        entries.append({"key": f"cancellation:{row.id}", "event_id": row.event_id, "at": local(row.created_at),
                        "title": _("Units cancelled for %(name)s: %(t)s t CO2e", name=name,
                                   t=offsets.tco2e(row.quantity_tco2e)),
                        "summary": _("%(registry)s, serial numbers %(serials)s, cancelled on %(date)s.",
                                     registry=row.registry_name or row.unit_registry.title, serials=serials,
                                     date=row.cancelled_on.isoformat())})
    entries.sort(key=lambda e: (e["at"], e["key"]), reverse=True)
    return entries[:FEED_ENTRIES]


# --------------------------------------------------------------------------- the DCAT catalogue entry
def catalog(urls: dict[str, str], *, licence: str, modified: date) -> dict[str, Any]:
    """The DCAT catalogue entry (JSON-LD) of the disclosures; `urls`: catalog, landing, events_csv,
    events_json, cancellations_csv, cancellations_json, feed."""
    def text(zh: str, en: str) -> list[dict[str, str]]:
        return [{"@value": zh, "@language": "zh-Hans"}, {"@value": en, "@language": "en"}]

    publisher = {"@type": "foaf:Agent", "foaf:name": text("济宁市生态环境局", "Jining Ecology and Environment Bureau")}
    day = {"@value": modified.isoformat(), "@type": "xsd:date"}

    def distribution(key: str, media: str, fmt: str, zh: str, en: str) -> dict[str, Any]:
        return {"@id": urls[key], "@type": "dcat:Distribution", "dct:title": text(zh, en),
                "dcat:downloadURL": {"@id": urls[key]}, "dcat:accessURL": {"@id": urls[key]},
                "dcat:mediaType": media, "dct:format": fmt, "dct:license": {"@id": licence}, "dct:modified": day}

    return {
        "@context": {"dcat": "http://www.w3.org/ns/dcat#", "dct": "http://purl.org/dc/terms/",
                     "foaf": "http://xmlns.com/foaf/0.1/", "xsd": "http://www.w3.org/2001/XMLSchema#"},
        "@id": urls["catalog"], "@type": "dcat:Catalog",
        "dct:title": text("济宁市大型活动碳中和信息公开", "Carbon neutrality of large events in Jining: disclosures"),
        "dct:publisher": publisher, "dct:license": {"@id": licence}, "dct:modified": day,
        "foaf:homepage": {"@id": urls["landing"]},
        "dcat:dataset": [{
            "@id": urls["landing"] + "#disclosures", "@type": "dcat:Dataset",
            "dct:title": text("大型活动碳中和公开信息（实施计划、碳中和声明、注销记录）",
                              "Large events' carbon neutrality: published plans, neutrality statements and "
                              "cancellation records"),
            "dct:description": text(
                "依据济环字〔2023〕40号公开的大型活动碳中和信息：已发布实施计划的活动、其状态，以及每条减排量注销记录"
                "（登记簿、序列号、吨数、日期、证书 SHA-256，及与登记簿公开数据的核对结果）。",
                "What Jining discloses under 济环字〔2023〕40号: events with a published carbon-neutrality plan, "
                "their status, and every cancellation of units (registry, serial numbers, tonnes, date, the "
                "certificate's SHA-256, and the check against the registry's own public data)."),
            "dcat:keyword": ["碳中和", "大型活动", "减排量注销", "carbon neutrality", "large events",
                             "offset cancellations", "Jining"],
            "dct:publisher": publisher, "dct:license": {"@id": licence}, "dct:modified": day,
            "dct:language": [{"@id": "http://id.loc.gov/vocabulary/iso639-1/zh"}],
            "dct:spatial": text("山东省济宁市", "Jining, Shandong, China"),
            "dct:accrualPeriodicity": {"@id": "http://purl.org/cld/freq/continuous"},
            "dcat:landingPage": {"@id": urls["landing"]},
            "dcat:distribution": [
                distribution("events_csv", "text/csv", "CSV", "活动（CSV）", "Events (CSV)"),
                distribution("events_json", "application/json", "JSON", "活动（JSON）", "Events (JSON)"),
                distribution("cancellations_csv", "text/csv", "CSV", "注销记录（CSV）", "Cancellations (CSV)"),
                distribution("cancellations_json", "application/json", "JSON", "注销记录（JSON）",
                             "Cancellations (JSON)"),
                distribution("feed", "application/atom+xml", "Atom", "新公开信息与注销记录（Atom 订阅）",
                             "New disclosures and cancellations (Atom feed)"),
            ],
        }],
    }
