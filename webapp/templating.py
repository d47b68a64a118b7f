"""Template globals: navigation filtered by role, the current locale, date formatting."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import Flask, g
from flask_babel import get_locale, get_translations
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
    visible: Callable[[Any], bool] | None = None  # a further check on the user (e.g. their department)


def _natural_resources_or_reader(user: Any) -> bool:
    from processes.sinks import is_natural_resources

    return not user.is_department or is_natural_resources(user)


NAV: list[NavItem] = [
    NavItem("main.my_events", _l("My events"), "calendar-event", (Role.ORGANIZER,)),
    NavItem("tasks.inbox", _l("My tasks"), "inbox",
            (Role.ORGANIZER, Role.DEPARTMENT_STAFF, Role.DEPARTMENT_LEAD, Role.VERIFIER)),
    NavItem("events.index", _l("Events"), "calendar3",
            (Role.DEPARTMENT_STAFF, Role.DEPARTMENT_LEAD, Role.VERIFIER, Role.AUDITOR, Role.ADMIN)),
    NavItem("dashboard.index", _l("Dashboard"), "bar-chart-line",
            (Role.DEPARTMENT_STAFF, Role.DEPARTMENT_LEAD, Role.AUDITOR, Role.ADMIN)),
    NavItem("dashboard.compliance", _l("Compliance"), "clipboard-check",
            (Role.DEPARTMENT_STAFF, Role.DEPARTMENT_LEAD, Role.AUDITOR, Role.ADMIN)),
    NavItem("supervision.sink_projects", _l("Sink projects"), "tree",
            (Role.DEPARTMENT_STAFF, Role.DEPARTMENT_LEAD, Role.AUDITOR, Role.ADMIN), _natural_resources_or_reader),
    NavItem("admin.users", _l("Users"), "people", (Role.ADMIN,)),
    NavItem("admin.processes", _l("Processes"), "diagram-3", (Role.ADMIN,)),
    NavItem("notifications.outbox", _l("Email"), "envelope", (Role.ADMIN,)),
    NavItem("audit.trail", _l("Audit trail"), "shield-check", (Role.AUDITOR, Role.ADMIN)),
]


def nav_items() -> list[NavItem]:
    if not current_user.is_authenticated:
        return []
    return [item for item in NAV if current_user.role in item.roles
            and (item.visible is None or item.visible(current_user))]


def unread_notifications() -> int:
    """The signed-in user's unread notifications (the bell's count)."""
    if not current_user.is_authenticated:
        return 0
    from processes.notifications import unread_count

    return unread_count(current_user)


def _translations() -> Any:
    """The request's translations, remembered against the locale object they were made for.

    Flask-Babel's own lookup walks several context proxies per string; a page translates some fifty
    strings. `force_locale` (the commitment is always in Chinese) swaps the locale object, so the
    remembered translations are used only while the same locale is in force.
    """
    state = g.get("_flask_babel")
    locale = getattr(state, "babel_locale", None)
    remembered = getattr(state, "tanzhong_translations", None)
    if locale is not None and remembered is not None and remembered[0] is locale:
        return remembered[1]
    translations = get_translations()
    state = g.get("_flask_babel")
    if state is not None and getattr(state, "babel_locale", None) is not None:
        state.tanzhong_translations = (state.babel_locale, translations)
    return translations


def register(app: Flask) -> None:
    app.jinja_env.install_gettext_callables(  # same callables as Flask-Babel's, with the lookup above
        gettext=lambda s: _translations().ugettext(s),
        ngettext=lambda s, p, n: _translations().ungettext(s, p, n),
        newstyle=True,
        pgettext=lambda c, s: _translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: _translations().unpgettext(c, s, p, n),
    )

    @app.context_processor
    def inject() -> dict:
        locale = str(get_locale() or "zh_Hans_CN")
        from models.accounting import EmissionCategory
        from processes.dates import LOCAL_TZ
        from webapp.tasks.titles import ACTION_TITLES, DECISION_TITLES, TASK_TITLES

        return {
            "today": datetime.now(LOCAL_TZ).date(),
            "task_titles": TASK_TITLES,
            "action_titles": ACTION_TITLES,
            "decision_titles": DECISION_TITLES,
            "category_titles": {c.value: c.title for c in EmissionCategory},
            "nav_items": nav_items,
            "unread_notifications": unread_notifications,
            "current_locale": locale,
            "is_english": locale.startswith("en"),
            "html_lang": "en" if locale.startswith("en") else "zh-CN",
        }
