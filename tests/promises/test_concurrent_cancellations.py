"""R-CAN-2 under concurrency (issue #15 item 9): N simultaneous cancellations of one fresh range
for N events → exactly one stored, N−1 refused as 409 with their audit entries, never a 500 —
on a file SQLite database (several connections) and, when the suite runs there, on PostgreSQL."""

from __future__ import annotations

import secrets
import threading
from datetime import date, timedelta
from decimal import Decimal

from flask import Flask
from sqlalchemy import func, select

from models import AuditEntry, Event, Organization, User, db
from models.event import EventKind, Sector, Tier
from models.offsets import Cancellation
from models.org import OrganizerType
from models.uploads import Upload
from processes import audit
from processes.errors import Conflict
from processes.offsets import record_cancellations

WRITERS = 6
TODAY = date.today()


def _events(n: int) -> list[tuple[int, int, int]]:
    """n ended events of both organisations, each with its certificate: (event id, upload id, user id)."""
    out = []
    for i in range(n):
        username = ("organizer", "organizer2")[i % 2]
        user = db.session.execute(select(User).filter_by(username=username)).scalar_one()
        org = db.session.get(Organization, user.organization_id)
        starts = TODAY - timedelta(days=30)
        event = Event(name=f"并发注销 {i}", kind=EventKind.EXHIBITION, sector=Sector.COMMERCE, organizers=[org.name],
                      organizer_type=OrganizerType.ENTERPRISE, participants=300, starts_on=starts,
                      ends_on=starts + timedelta(days=1), venue="济宁国际会展中心", county="任城区",
                      fiscal_funding_requested=False, tier=Tier.SELF_COMMITMENT, organization_id=org.id,
                      created_by_id=user.id)
        db.session.add(event)
        db.session.flush()
        upload = Upload(sha256=secrets.token_hex(32), size=9, filename="c.pdf", content_type="application/pdf",
                        stored_name=secrets.token_hex(16), uploaded_by_id=user.id, event_id=event.id)
        db.session.add(upload)
        db.session.flush()
        out.append((event.id, upload.id, user.id))
    db.session.commit()
    return out


def _cancel(app: Flask, barrier: threading.Barrier, ids: tuple[int, int, int], spelling: str, outcomes: list) -> None:
    event_id, upload_id, user_id = ids
    with app.app_context():
        try:
            event, actor = db.session.get(Event, event_id), db.session.get(User, user_id)
            barrier.wait(timeout=30)
            record_cancellations(event, [{
                "instrument": "sd_inclusion_forestry", "registry": "sd_inclusion_platform", "serial_from": spelling,
                "serial_to": spelling.replace("000001", "000010").replace("０００００１", "００００１０"),
                "quantity_tco2e": "10",
                "cancelled_on": (TODAY - timedelta(days=1)).isoformat(), "certificate": upload_id}],
                actor, accounted_tco2e=Decimal(0), today=TODAY)
            db.session.commit()
            outcomes.append(200)
        except Conflict:
            outcomes.append(409)
        except Exception as exc:  # noqa: BLE001 - reported by the test
            db.session.rollback()
            outcomes.append(repr(exc))
        finally:
            db.session.remove()


def test_r_can_2_simultaneous_cancellations_of_one_range_one_wins_the_rest_409_and_audited(concurrent_app):
    spellings = ["SDPH-CC-2026-000001", "sdph cc 2026 000001", "SDPHCC2026000001", "SDPH/CC/2026/000001",
                 "ＳＤＰＨ－ＣＣ－２０２６－０００００１", "SDPH—CC—2026—000001"]
    with concurrent_app.app_context():
        ids = _events(WRITERS)
    barrier, outcomes = threading.Barrier(WRITERS), []
    threads = [threading.Thread(target=_cancel, args=(concurrent_app, barrier, ids[n], spellings[n], outcomes))
               for n in range(WRITERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=90)
    assert sorted(outcomes, key=str) == [200] + [409] * (WRITERS - 1), outcomes
    with concurrent_app.app_context():
        event_ids = [event_id for event_id, _, _ in ids]
        stored = db.session.execute(select(func.count()).select_from(Cancellation).where(
            Cancellation.event_id.in_(event_ids))).scalar_one()
        refused = db.session.execute(select(func.count()).select_from(AuditEntry).where(
            AuditEntry.action == "offsets.double_counting_refused", AuditEntry.event_id.in_(event_ids))).scalar_one()
        assert (stored, refused) == (1, WRITERS - 1)
        assert audit.verify_chain().ok
