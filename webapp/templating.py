"""Template globals: navigation filtered by role, the current locale, times in the display zone."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

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
    NavItem("supervision.cancellations", _l("Cancellations"), "patch-check",
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


def _title(titles: dict, code: Any) -> str:
    """The translated title of a code (an enum member or its value), else the code itself."""
    value = getattr(code, "value", code)
    if value is None:
        return ""
    return str(titles.get(value, getattr(code, "title", value)))


def actor_names(entries: Any) -> dict[int, str]:
    """Display names of the people behind audit entries, by user id (one query for a whole list)."""
    from sqlalchemy import select

    from models import User, db

    ids = {e.actor_id for e in entries if e.actor_id is not None}
    if not ids:
        return {}
    return dict(db.session.execute(select(User.id, User.display_name).where(User.id.in_(ids))).all())


def _enum_title(enum: type, code: Any) -> str:
    """The title of a LabelledEnum member given as itself or its value, else the value as it is."""
    value = getattr(code, "value", code)
    try:
        return enum(value).title
    except ValueError:
        return value or ""


def _labelled_enums() -> dict[str, type]:
    """Every LabelledEnum of the models and services, by class name."""
    import models  # noqa: F401 - defines them
    from models.org import LabelledEnum
    from processes import disclosure  # noqa: F401 - PublicStatus

    found: dict[str, type] = {}
    pending = list(LabelledEnum.__subclasses__())
    while pending:
        cls = pending.pop()
        found[cls.__name__] = cls
        pending.extend(cls.__subclasses__())
    return found


def _title_globals() -> dict[str, Callable[..., Any]]:
    """Titles of coded values for templates and their macros (which do not see the context processor)."""
    from models import Role
    from webapp.tasks import titles

    enums = _labelled_enums()

    def step_title(name: str | None, label: str | None = None) -> str:
        """A BPMN step by its id (user task or timer), else its diagram label in the UI's language."""
        if name in titles.STEP_TITLES:
            return str(titles.STEP_TITLES[name])
        return titles.bpmn_label(label) or name or ""

    return {
        "action_title": lambda code: _title(titles.ACTION_TITLES, code),
        "step_title": step_title,
        "role_title": lambda code: _enum_title(Role, code),
        "title_of": lambda enum_name, code: _enum_title(enums[enum_name], code),  # title_of("SinkType", "forestry")
        "lane_title": lambda lane: _title(titles.LANE_TITLES, lane),
        "deadline_status_title": lambda status: _title(titles.DEADLINE_STATUS_TITLES, status),
        "process_status_title": lambda status: _title(titles.PROCESS_STATUS_TITLES, status),
        "bpmn_label": titles.bpmn_label,
        "actor_names": actor_names,
    }


def declaration_preview(event: Any, form: Any) -> str:
    """The self-commitment exactly as it would be signed with what the sign page's form holds now
    (R-TIER-2: the organizer reads what they sign; the signed text is the PDF's)."""
    from processes.commitment import declaration_text

    neutral_on = form.neutral_on.data if not form.neutral_on.errors else None
    return declaration_text(event, form.confirmation_method.data, neutral_on)


def _check_zone(app: Flask) -> None:
    """Refuse to start with a TIMEZONE that is not an IANA zone name (every page shows times)."""
    name = app.config.get("TIMEZONE") or ""
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise RuntimeError(f"TIMEZONE={name!r} is not a time zone name such as Asia/Shanghai") from exc


def register(app: Flask) -> None:
    from processes import localtime

    _check_zone(app)
    # `{{ at | local_time }}` 2026-12-04 17:07 in the display zone; `| local_time(seconds=True)` with seconds;
    # `| local_date` the day. The page names the zone once (`zone_label()`, `with_zone(heading)`).
    app.jinja_env.filters["local_time"] = lambda at, seconds=False: localtime.format_local(
        at, localtime.SECONDS if seconds else localtime.MINUTES)
    app.jinja_env.filters["local_date"] = lambda at: localtime.format_local(at, "%Y-%m-%d")
    app.jinja_env.filters["local_iso"] = lambda at: localtime.local(at).isoformat(timespec="seconds") if at else ""
    app.jinja_env.globals.update(zone_label=localtime.zone_label, with_zone=localtime.with_zone)
    app.jinja_env.globals.update(_title_globals(), declaration_preview=declaration_preview)
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
        from webapp.tasks.titles import DECISION_TITLES, TASK_TITLES

        return {
            "today": datetime.now(LOCAL_TZ).date(),  # the plan's days (due dates) are Jining's
            "task_titles": TASK_TITLES,
            "decision_titles": DECISION_TITLES,
            "category_titles": {c.value: c.title for c in EmissionCategory},
            "nav_items": nav_items,
            "unread_notifications": unread_notifications,
            "current_locale": locale,
            "is_english": locale.startswith("en"),
            "html_lang": "en" if locale.startswith("en") else "zh-CN",
        }
