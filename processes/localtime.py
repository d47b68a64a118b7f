"""Displayed times: stored in UTC, shown in the configured zone (`TIMEZONE`, default Asia/Shanghai).

The deadlines of the plan are days in Jining (`processes.dates.LOCAL_TZ`) whatever is displayed; this
module only decides how an instant reads on a page, in an export or a document."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import lru_cache
from zoneinfo import ZoneInfo

from flask import current_app, has_app_context
from flask_babel import gettext as _

DEFAULT_ZONE = "Asia/Shanghai"
MINUTES = "%Y-%m-%d %H:%M"
SECONDS = "%Y-%m-%d %H:%M:%S"


@lru_cache(maxsize=8)
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def zone_name() -> str:
    """The configured zone's IANA name (outside an app: Asia/Shanghai)."""
    if has_app_context():
        return current_app.config.get("TIMEZONE") or DEFAULT_ZONE
    return DEFAULT_ZONE


def zone() -> ZoneInfo:
    return _zone(zone_name())


def local(at: datetime) -> datetime:
    """The instant in the display zone; a naive value (SQLite gives those back) is taken as UTC."""
    if at.tzinfo is None:
        at = at.replace(tzinfo=UTC)
    return at.astimezone(zone())


def local_naive(at: datetime | None) -> datetime | None:
    """The instant as the display zone's wall-clock time without tzinfo (spreadsheet cells)."""
    return None if at is None else local(at).replace(tzinfo=None)


def format_local(at: datetime | None, fmt: str = MINUTES) -> str:
    """The instant as text in the display zone (no zone label; see `zone_label`)."""
    return "" if at is None else local(at).strftime(fmt)


def zone_label() -> str:
    """What to call the display zone in the UI's language: "北京时间"/"Beijing time" for Asia/Shanghai,
    else its name and offset (e.g. "Europe/Berlin, UTC+01:00")."""
    name = zone_name()
    if name == DEFAULT_ZONE:
        return _("Beijing time")
    offset = datetime.now(_zone(name)).strftime("%z")
    return f"{name}, UTC{offset[:3]}:{offset[3:]}"


def with_zone(heading: object) -> str:
    """A heading naming the display zone, e.g. "时间（北京时间）" / "When (Beijing time)"."""
    return _("%(heading)s (%(zone)s)", heading=heading, zone=zone_label())
