"""Displayed times (issue #18): stored in UTC, shown in TIMEZONE (default Asia/Shanghai, "Beijing time"),
the zone named; an unknown zone stops the start-up."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from config import TestConfig
from processes import localtime
from webapp import create_app

INSTANTS = st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2099, 12, 31))


@given(at=INSTANTS)
def test_beijing_time_is_utc_plus_eight_all_year_and_naive_values_are_utc(app, at):
    expected = (at + timedelta(hours=8)).strftime(localtime.SECONDS)
    assert localtime.format_local(at, localtime.SECONDS) == expected  # SQLite gives naive UTC back
    assert localtime.format_local(at.replace(tzinfo=UTC), localtime.SECONDS) == expected
    assert localtime.local_naive(at.replace(tzinfo=UTC)) == at + timedelta(hours=8)


@given(at=INSTANTS, zone=st.sampled_from(["Europe/Berlin", "America/New_York", "Australia/Lord_Howe", "UTC"]))
def test_another_configured_zone_is_used_and_named(app, at, zone):
    previous = app.config["TIMEZONE"]
    app.config["TIMEZONE"] = zone
    try:
        aware = at.replace(tzinfo=UTC)
        assert localtime.format_local(aware) == aware.astimezone(ZoneInfo(zone)).strftime(localtime.MINUTES)
        assert localtime.zone_label().startswith(f"{zone}, UTC")
        assert localtime.with_zone("When") == f"When ({localtime.zone_label()})"
    finally:
        app.config["TIMEZONE"] = previous


def test_the_default_zone_is_called_beijing_time(app):
    assert app.config["TIMEZONE"] == "Asia/Shanghai"
    assert localtime.zone_label() == "Beijing time"  # (unit tests run in English; 北京时间 in Chinese)
    assert localtime.format_local(None) == ""


@pytest.mark.parametrize("zone", ["Asia/Beijing", "UTC+8", "", "../../etc/passwd"])
def test_an_unknown_zone_stops_the_start_up_naming_the_setting(zone):
    class Misconfigured(TestConfig):
        TIMEZONE = zone

    with pytest.raises(RuntimeError, match="TIMEZONE"):
        create_app(Misconfigured)
