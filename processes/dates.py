"""Dates of the plan: deadlines after an event's end (R-TIME-1, R-TIME-2), in Jining's time zone."""

from __future__ import annotations

import calendar
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

LOCAL_TZ = ZoneInfo("Asia/Shanghai")

OFFSET_MONTHS = 6  # R-TIME-1: offsetting within 6 months after the event ends
SINK_APPLICATION_MONTHS = 12  # R-TIME-2: sink project application within 1 year
SINK_VALIDATION_MONTHS = 24  # R-TIME-2: calculation and validation within 2 years


def add_months(day: date, months: int) -> date:
    """Return the same day `months` later, clamped to the month's last day (31 Aug + 6 = 28/29 Feb)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def end_of_day(day: date) -> datetime:
    """Return the instant a local calendar day is over (midnight after it, Asia/Shanghai), in UTC."""
    return datetime.combine(day + timedelta(days=1), time(0), LOCAL_TZ).astimezone(UTC)


def local_today(now: datetime) -> date:
    return now.astimezone(LOCAL_TZ).date()


def offset_due(ends_on: date) -> date:
    return add_months(ends_on, OFFSET_MONTHS)


def sink_application_due(ends_on: date) -> date:
    return add_months(ends_on, SINK_APPLICATION_MONTHS)


def sink_validation_due(ends_on: date) -> date:
    return add_months(ends_on, SINK_VALIDATION_MONTHS)


# Due dates shown in the inbox, by task: (anchor, days). Anchors: "created" (the day the task
# arrived), "ends" (the event's last day), "starts" (its first day), or a deadline of the plan.
TASK_DUE_RULES: dict[str, tuple[str, int]] = {
    "prepare_plan": ("starts", -14),
    "review_plan_sector": ("created", 10),
    "review_plan_eeb": ("created", 10),
    "review_funding": ("created", 10),
    "report_reductions": ("ends", 30),
    "account_emissions": ("ends", 60),
    "cancel_units": ("offset_due", 0),
    "cancel_remainder": ("offset_due", 0),
    "review_correction": ("created", 10),
    "correct_account": ("created", 14),
    "register_sink_project": ("sink_application_due", 0),
    "validate_sink_project": ("sink_validation_due", 0),
    "third_party_evaluation": ("created", 30),
    "sign_commitment": ("created", 14),
    "follow_up_overdue": ("created", 15),
}


def task_due(name: str, event: object, created_on: date) -> date | None:
    """Return the day a task should be done by (never before the day it arrives)."""
    rule = TASK_DUE_RULES.get(name)
    if rule is None:
        return None
    anchor, days = rule
    base = {
        "created": created_on,
        "starts": event.starts_on,  # type: ignore[attr-defined]
        "ends": event.ends_on,  # type: ignore[attr-defined]
        "offset_due": offset_due(event.ends_on),  # type: ignore[attr-defined]
        "sink_application_due": sink_application_due(event.ends_on),  # type: ignore[attr-defined]
        "sink_validation_due": sink_validation_due(event.ends_on),  # type: ignore[attr-defined]
    }[anchor]
    return max(base + timedelta(days=days), created_on)
