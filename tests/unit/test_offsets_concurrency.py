"""R-CAN-2 under concurrency: two sessions cancelling overlapping serials for two events at the
same moment — exactly one wins, the other gets 409 (PostgreSQL only; CI runs the suite on both)."""

from __future__ import annotations

import os
import secrets
import threading
import time
from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from models import AuditEntry, Event, User, db
from models.offsets import Cancellation
from models.uploads import Upload
from processes import audit, offsets
from processes.errors import Conflict
from processes.offsets import record_cancellations

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(
        not os.environ.get("DATABASE_URL", "").startswith("postgresql"),
        reason="needs concurrent writers on PostgreSQL (set DATABASE_URL=postgresql+psycopg://…); "
        "SQLite in memory has a single connection",
    ),
]

ROUNDS = [  # (first range, second range) — identical, partial, contained, single certificate inside
    ((1, 100), (1, 100)),
    ((1001, 1100), (1050, 1150)),
    ((2001, 2100), (2040, 2060)),
    ((3001, 3100), (3077, 3077)),
]


def _line(upload_id: int, start: int, end: int) -> dict:
    return {"instrument": "sd_inclusion_forestry", "registry": "sd_inclusion_platform",
            "serial_from": f"SDPH-2024-{start:06d}", "serial_to": f"SDPH-2024-{end:06d}",
            "quantity_tco2e": str(end - start + 1), "cancelled_on": (date.today() - timedelta(days=1)).isoformat(),
            "certificate": upload_id}


def _cancel_in_own_session(app, barrier: threading.Barrier, event_id: int, user_id: int, line: dict,  # noqa: ANN001
                           results: list) -> None:
    """Run in a thread: its own request context, hence its own session and connection."""
    with app.test_request_context():
        try:
            event, actor = db.session.get(Event, event_id), db.session.get(User, user_id)
            barrier.wait(timeout=30)
            record_cancellations(event, [line], actor, accounted_tco2e=Decimal(0), today=date.today())
            db.session.commit()
            results.append("ok")
        except Conflict:
            results.append("conflict")
        except Exception as exc:  # noqa: BLE001 - reported by the test
            db.session.rollback()
            results.append(exc)
        finally:
            db.session.remove()


def _upload(event: Event) -> Upload:
    row = Upload(sha256=secrets.token_hex(32), size=9, filename="c.pdf", content_type="application/pdf",
                 stored_name=secrets.token_hex(16), uploaded_by_id=event.created_by_id, event_id=event.id)
    db.session.add(row)
    db.session.flush()
    return row


def test_r_can_2_concurrent_overlapping_cancellations_exactly_one_wins(app, make_event, monkeypatch):
    check = offsets._overlapping

    def slow_check(row: Cancellation) -> Cancellation | None:
        found = check(row)
        time.sleep(0.2)  # widen the window between check and insert: without the lock both would win
        return found

    monkeypatch.setattr(offsets, "_overlapping", slow_check)
    first = make_event(days_from_now=-30, name="运河文化博览会")
    second = make_event(days_from_now=-20, organization="济宁市文化产业协会", name="孔子文化节论坛")
    up1, up2 = _upload(first), _upload(second)
    ids = (first.id, first.created_by_id, up1.id, second.id, second.created_by_id, up2.id)
    db.session.commit()
    event1, user1, upload1, event2, user2, upload2 = ids

    for (a_start, a_end), (b_start, b_end) in ROUNDS:
        barrier, results = threading.Barrier(2), []
        threads = [
            threading.Thread(target=_cancel_in_own_session,
                             args=(app, barrier, event1, user1, _line(upload1, a_start, a_end), results)),
            threading.Thread(target=_cancel_in_own_session,
                             args=(app, barrier, event2, user2, _line(upload2, b_start, b_end), results)),
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        assert sorted(map(str, results)) == ["conflict", "ok"], results
        db.session.expire_all()
        overlapping = db.session.execute(select(func.count()).select_from(Cancellation).where(
            Cancellation.serial_alt_start <= max(a_end, b_end), Cancellation.serial_alt_end >= min(a_start, b_start),
        )).scalar_one()
        assert overlapping == 1

    assert audit.verify_chain().ok
    refused = db.session.execute(select(func.count()).select_from(AuditEntry).where(
        AuditEntry.action == "offsets.double_counting_refused")).scalar_one()
    assert refused == len(ROUNDS)
