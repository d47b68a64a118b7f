"""Registry cross-check (issue #22): the sample exports in the registries' own layouts, events with
cancellations at Verra and Gold Standard, and helpers to import a file as EEB staff."""

from __future__ import annotations

import io
import secrets
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from flask_babel import force_locale
from sqlalchemy import select

from models import Event, User, db
from models.offsets import Cancellation, Registry
from models.registry import RegistryImport
from models.uploads import Upload
from processes import offsets
from processes.registry import importer

SAMPLES = Path("/work/shared/spec/registry-samples")
if not SAMPLES.exists():  # a checkout elsewhere keeps a copy beside the tests
    SAMPLES = Path(__file__).parent / "samples"
VERRA = SAMPLES / "verra-transactions.csv"
GOLD = SAMPLES / "gold-standard-retirements.csv"
# Sample rows: no beneficiary (2026-04-10) · Hengtong Submarine Power Cable (2026-04-13) · Hilti (GS)
VERRA_NOBODY = "19385-941467007-941467431-VCS-VCU-1507-VER-ET-14-1340-01012020-31122020-1"
VERRA_HENGTONG = "19328-940005924-940008531-VCS-VCU-1289-VER-CN-13-3880-01012022-31122022-0"
VERRA_ABSENT = "19999-941467432-941467500-VCS-VCU-1507-VER-ET-14-1340-01012020-31122020-1"  # after the block
GS_HILTI = "GS1-1-KE-GS11603-16-2025-30256-110-5463"


@pytest.fixture(autouse=True)
def _english_messages(app) -> Iterator[None]:  # noqa: ANN001
    with app.test_request_context(), force_locale("en"):
        yield


def user(username: str) -> User:
    return db.session.execute(select(User).filter_by(username=username)).scalar_one()


def certificate(uploader: User, event: Event) -> Upload:
    row = Upload(sha256=secrets.token_hex(32), size=9, filename="certificate.pdf", content_type="application/pdf",
                 stored_name=secrets.token_hex(16), uploaded_by_id=uploader.id, event_id=event.id)
    db.session.add(row)
    db.session.flush()
    return row


def cancel(event: Event, serial: str, quantity: int, *, registry: str = "verra", actor: str = "organizer",
           cancelled_on: date = date(2026, 4, 20), **extra: object) -> Cancellation:
    """Record one line of `other_mechanism` units at Verra or Gold Standard for the event, committed."""
    line = {"instrument": "other_mechanism", "registry": registry, "serial_from": serial,
            "quantity_tco2e": str(quantity), "cancelled_on": cancelled_on.isoformat(),
            "certificate": certificate(user(actor), event).id, "reason": "donated international credits (R-OFF-3)"}
    line.update(extra)
    [row] = offsets.record_cancellations(event, [line], user(actor), accounted_tco2e=Decimal(0), today=date.today())
    db.session.commit()
    return row


def import_file(path: Path | bytes, registry: Registry = Registry.VERRA, *, actor: str | None = "eeb_rencheng",
                **kw: object) -> RegistryImport:
    """Import a file (or bytes) as EEB staff through the service, committed."""
    data = path if isinstance(path, bytes) else path.read_bytes()
    name = "export.csv" if isinstance(path, bytes) else path.name
    row = importer.import_export(io.BytesIO(data), registry, filename=name, actor=user(actor) if actor else None,
                                 channel="cli", **kw)
    db.session.commit()
    return row


@pytest.fixture()
def events(make_event):  # noqa: ANN001,ANN201
    """Two ended events of two organisations (the second named in none of the samples)."""
    first = make_event(days_from_now=-300, name="运河文化博览会")
    second = make_event(days_from_now=-280, organization="济宁市文化产业协会", name="孔子文化节论坛")
    db.session.commit()
    return first, second
