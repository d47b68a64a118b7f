"""Template globals: navigation filtered by role, the current locale, date formatting."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask import Flask
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from models import Role

ALL_SIGNED_IN = tuple(Role)


@dataclass(frozen=True)
class NavItem:
    endpoint: str
    label: object
    icon: str
    roles: tuple[Role, ...]


NAV: list[NavItem] = [
    NavItem("main.my_events", _l("My events"), "calendar-event", (Role.ORGANIZER,)),
    NavItem("tasks.inbox", _l("My tasks"), "inbox",
            (Role.ORGANIZER, Role.DEPARTMENT_STAFF, Role.DEPARTMENT_LEAD, Role.VERIFIER)),
    NavItem("events.index", _l("Events"), "calendar3",
            (Role.DEPARTMENT_STAFF, Role.DEPARTMENT_LEAD, Role.VERIFIER, Role.AUDITOR, Role.ADMIN)),
    NavItem("admin.users", _l("Users"), "people", (Role.ADMIN,)),
    NavItem("admin.processes", _l("Processes"), "diagram-3", (Role.ADMIN,)),
    NavItem("audit.trail", _l("Audit trail"), "shield-check", (Role.AUDITOR, Role.ADMIN)),
]


def nav_items() -> list[NavItem]:
    if not current_user.is_authenticated:
        return []
    return [item for item in NAV if current_user.role in item.roles]


def register(app: Flask) -> None:
    @app.context_processor
    def inject() -> dict:
        locale = str(get_locale() or "zh_Hans_CN")
        from models.accounting import EmissionCategory
        from processes.dates import LOCAL_TZ
        from webapp.tasks.titles import DECISION_TITLES, TASK_TITLES

        return {
            "today": datetime.now(LOCAL_TZ).date(),
            "task_titles": TASK_TITLES,
            "decision_titles": DECISION_TITLES,
            "category_titles": {c.value: c.title for c in EmissionCategory},
            "nav_items": nav_items,
            "current_locale": locale,
            "is_english": locale.startswith("en"),
            "html_lang": "en" if locale.startswith("en") else "zh-CN",
        }
