"""Timers run without anyone remembering cron (issue #18): `make run` starts the server and
`flask deadlines tick --every 60` together (Procfile.dev under honcho); the loop survives a failed tick."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from honcho.environ import parse_procfile
from sqlalchemy.exc import OperationalError

from models import Event, db
from processes import workflow
from tests.lifecycle import after_event, approve_all, complete, open_names, plan_data, register

ROOT = Path(__file__).resolve().parents[2]


class Stop(Exception):
    """Ends the endless loop from the patched sleep."""


def _stop_after(calls: int):  # noqa: ANN202
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        if len(slept) >= calls:
            raise Stop

    return sleep, slept


def _published_event():  # noqa: ANN202
    event = register(600)
    complete(event, "prepare_plan", "organizer", plan_data())
    approve_all(event)
    return event


def test_the_loop_opens_the_reduction_report_once_the_event_has_ended_R_ACC_1(runner, demo, monkeypatch):
    event = _published_event()
    assert "report_reductions" not in open_names(event)
    sleep, slept = _stop_after(2)
    monkeypatch.setattr("webapp.cli.time.sleep", sleep)
    when, event_id = after_event(event), event.id
    monkeypatch.setattr("webapp.cli.utcnow", lambda: when)
    result = runner.invoke(args=["deadlines", "tick", "--every", "60"])
    assert isinstance(result.exception, Stop)
    assert slept == [60, 60]
    assert f"event {event_id}: event_ended" in result.output
    assert result.output.count("event_ended") == 1  # the second tick fires nothing and says nothing
    assert "0 event(s) had timers due." not in result.output
    assert "report_reductions" in open_names(db.session.get(Event, event_id))


def test_a_failed_tick_does_not_end_the_loop(runner, demo, monkeypatch):
    event = _published_event()
    real_tick, calls = workflow.tick, []

    def flaky(now, **options):  # noqa: ANN001,ANN003,ANN202
        calls.append(now)
        if len(calls) == 1:
            raise OperationalError("UPDATE process_instance", {}, Exception("database is locked"))
        return real_tick(now, **options)

    monkeypatch.setattr("webapp.cli.workflow.tick", flaky)
    monkeypatch.setattr("webapp.cli.time.sleep", _stop_after(2)[0])
    when, event_id = after_event(event), event.id
    monkeypatch.setattr("webapp.cli.utcnow", lambda: when)
    result = runner.invoke(args=["deadlines", "tick", "--every", "30"])
    assert isinstance(result.exception, Stop) and len(calls) == 2
    assert "report_reductions" in open_names(db.session.get(Event, event_id))


@pytest.mark.parametrize("args", [["--every", "5"], ["--every", "0"], ["--every", "x"],
                                  ["--every", "60", "--now", "2027-06-01T00:00+08:00"]])
def test_the_loop_refuses_a_too_short_interval_or_a_pretended_time(runner, demo, args):
    result = runner.invoke(args=["deadlines", "tick", *args])
    assert result.exit_code == 2, result.output


def test_a_single_tick_still_reports_and_exits(runner, demo):
    event = _published_event()
    when = after_event(event).isoformat()
    result = runner.invoke(args=["deadlines", "tick", "--now", when])
    assert result.exit_code == 0, result.output
    assert f"event {event.id}: event_ended" in result.output and "1 event(s) had timers due." in result.output


def test_make_run_starts_the_server_and_the_minute_tick_together():
    processes = parse_procfile((ROOT / "Procfile.dev").read_text(encoding="utf-8")).processes
    assert set(processes) == {"web", "timers"}
    assert re.search(r"\bflask --app webapp run\b", processes["web"])
    assert re.search(r"\bflask --app webapp deadlines tick --every 60\b", processes["timers"])
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    run = makefile.split("\nrun:", 1)[1].split("\n\n", 1)[0]
    assert "honcho start --procfile Procfile.dev" in run
    assert "flask" not in run.split("honcho")[0].split("demo-data")[1]  # no second, cron-less server
    assert '"honcho' in (ROOT / "pyproject.toml").read_text(encoding="utf-8")
