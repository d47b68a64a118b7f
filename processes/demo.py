"""Demo data: departments, one verifier body, two organizers and the demo accounts (idempotent)."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from models import Organization, Role, User, VerifierBody, db
from models.org import OrganizerType
from processes import accounts
from processes.orgdata import COUNTIES, seed_departments

DEMO_PASSWORD = "demo12345"  # noqa: S105 - documented demo credential

# username, role, department code / organisation key / verifier, display name
DEMO_USERS: list[tuple[str, Role, str | None, str]] = [
    ("organizer", Role.ORGANIZER, "org:expo", "会展公司 王经理"),
    ("organizer2", Role.ORGANIZER, "org:assoc", "文化协会 李秘书长"),
    ("commerce", Role.DEPARTMENT_STAFF, "commerce", "商务局 赵科员"),
    ("culture", Role.DEPARTMENT_STAFF, "culture", "文旅局 钱科员"),
    ("sports", Role.DEPARTMENT_STAFF, "sports", "体育局 孙科员"),
    ("goa", Role.DEPARTMENT_STAFF, "goa", "机关事务 周科员"),
    ("eeb", Role.DEPARTMENT_LEAD, "eeb", "生态环境局 吴科长"),
    ("eeb_rencheng", Role.DEPARTMENT_STAFF, "eeb_rencheng", "任城分局 郑科员"),
    # No task without a holder: one staff account for every other county branch too.
    *[(f"eeb_{suffix}", Role.DEPARTMENT_STAFF, f"eeb_{suffix}", f"{zh}分局 {surname}科员")
      for (suffix, zh, _en), surname in zip([c for c in COUNTIES if c[0] != "rencheng"], "王李张刘陈杨黄赵吴周",
                                            strict=True)],
    ("finance", Role.DEPARTMENT_STAFF, "finance", "财政局 冯科员"),
    ("nr", Role.DEPARTMENT_STAFF, "nr", "自然资源局 陈科员"),
    ("drc", Role.DEPARTMENT_STAFF, "drc", "发改委 褚科员"),
    ("verifier", Role.VERIFIER, "verifier", "核查机构 卫工程师"),
    ("auditor", Role.AUDITOR, None, "审计 蒋审计师"),
    ("admin", Role.ADMIN, None, "系统管理员"),
]

DEMO_USERNAMES = frozenset(username for username, *_rest in DEMO_USERS)

DEMO_ORGS = {
    "expo": ("济宁会展服务有限公司", OrganizerType.ENTERPRISE),
    "assoc": ("济宁市文化产业协会", OrganizerType.SOCIAL_ORGANIZATION),
}
DEMO_VERIFIER = ("山东绿色低碳认证评价中心（演示）", "CNCA-R-2021-DEMO-001")


def _get_or_create(model: type, lookup: dict, **values: object) -> object:
    row = db.session.execute(select(model).filter_by(**lookup)).scalar()
    if row is None:
        row = model(**lookup, **values)
        db.session.add(row)
        db.session.flush()
    return row


def load_demo_data() -> int:
    """Create whatever demo rows are missing; return how many users were created."""
    departments = seed_departments()
    orgs = {
        key: _get_or_create(Organization, {"name": name}, org_type=org_type)
        for key, (name, org_type) in DEMO_ORGS.items()
    }
    body = _get_or_create(
        VerifierBody,
        {"name": DEMO_VERIFIER[0]},
        accreditation_no=DEMO_VERIFIER[1],
        valid_from=date(2024, 1, 1),
        valid_until=date(2029, 12, 31),
    )
    created = 0
    for username, role, affiliation, display in DEMO_USERS:
        if db.session.execute(select(User.id).where(User.username == username)).first():
            continue
        kwargs: dict = {"display_name": display}
        if affiliation and affiliation.startswith("org:"):
            kwargs["organization"] = orgs[affiliation[4:]]
        elif affiliation == "verifier":
            kwargs["verifier_body"] = body
        elif affiliation:
            kwargs["department"] = departments[affiliation]
        accounts.create_user(username, DEMO_PASSWORD, role, demo=True, **kwargs)
        created += 1
    return created
