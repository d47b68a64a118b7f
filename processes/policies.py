"""Policy publication (R-PLAT-1): the documents the public reads, kept by Ecology and Environment
Bureau staff; the plan itself and the MEE guide are seeded by `flask init-db`."""

from __future__ import annotations

from datetime import date
from typing import Any
from urllib.parse import urlsplit

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from models import PolicyDocument, User, db
from models.db import utcnow
from models.org import DepartmentKind
from models.uploads import Upload
from processes import audit
from processes.errors import Forbidden, Invalid

FIELDS = ("title_zh", "title_en", "issuer", "number", "published_on", "url", "summary")
LIMITS = {"title_zh": 300, "title_en": 300, "issuer": 200, "number": 80, "url": 500, "summary": 4000}
REQUIRED = ("title_zh", "issuer")

# The documents the platform rests on. Dates stay empty until EEB staff enter the issue dates.
SEED: list[dict[str, Any]] = [
    {
        "number": "济环字〔2023〕40号",
        "title_zh": "关于推动开展济宁市大型活动碳中和工作的实施方案（试行）",
        "title_en": "Implementation plan for promoting carbon neutrality of large-scale events in Jining (trial)",
        "issuer": "济宁市生态环境局",
        "summary": "参与人数500人及以上的活动按生态环境部《大型活动碳中和实施指南（试行）》开展减排、抵消，并委托经认证"
                   "的第三方机构评价；200至499人的活动可以自我承诺方式确认碳中和。活动组织方在筹备阶段制定并发布实施计划，"
                   "活动结束后核算排放，6个月内完成抵消，注销信息向社会公开。",
    },
    {
        "number": "生态环境部公告2019年第19号",
        "title_zh": "大型活动碳中和实施指南（试行）",
        "title_en": "Guidelines for carbon neutrality of large-scale events (trial)",
        "issuer": "生态环境部",
        "summary": "规定大型活动碳中和的基本要求和流程：制定实施计划、实施减排行动、核算温室气体排放量、"
                   "采取抵消措施、评价与承诺、信息公开。",
    },
]


def may_maintain(user: Any) -> bool:
    """Whether the user keeps the policy documents: staff or leads of an Ecology and Environment Bureau."""
    department = getattr(user, "department", None)
    return bool(getattr(user, "is_authenticated", False) and user.is_department and department is not None
                and department.kind == DepartmentKind.EEB)


def published() -> list[PolicyDocument]:
    """Return every policy document, newest issue first (undated ones last, then by entry order)."""
    return list(db.session.execute(select(PolicyDocument).order_by(
        PolicyDocument.published_on.is_(None), PolicyDocument.published_on.desc(), PolicyDocument.id)).scalars())


def _clean(data: dict[str, Any]) -> dict[str, Any]:
    errors: dict[str, list] = {}
    values: dict[str, Any] = {}
    for name in FIELDS:
        value = data.get(name)
        if isinstance(value, str):
            value = value.strip() or None
        if name in LIMITS and value is not None and len(value) > LIMITS[name]:
            errors[name] = [_l("At most %(n)d characters.", n=LIMITS[name])]
        values[name] = value
    for name in REQUIRED:
        if not values[name]:
            errors[name] = [_l("Required.")]
    if values["published_on"] is not None and not isinstance(values["published_on"], date):
        errors["published_on"] = [_l("A date is required.")]
    url = values["url"]
    if url and (urlsplit(url).scheme not in ("http", "https") or not urlsplit(url).netloc):
        errors["url"] = [_l("A web address starting with http:// or https://.")]
    if values["number"] and "number" not in errors:
        other = db.session.execute(select(PolicyDocument.id).where(PolicyDocument.number == values["number"],
                                                                   PolicyDocument.id != data.get("id"))).scalar()
        if other is not None:
            errors["number"] = [_l("Another policy document has this number.")]
    if errors:
        raise Invalid(_l("Please correct the marked fields."), errors)
    return values


def save_policy(actor: User, data: dict[str, Any], policy: PolicyDocument | None = None,
                upload: Upload | None = None) -> PolicyDocument:
    """Publish a new policy document or correct one (the caller commits); audited.

    :raises Forbidden: not EEB staff. :raises Invalid: field errors.
    """
    if not may_maintain(actor):
        raise Forbidden(_l("Only Ecology and Environment Bureau staff maintain the policy documents."))
    values = _clean(data | {"id": policy.id if policy else None})
    if policy is None:
        policy = PolicyDocument()
        db.session.add(policy)
    for name, value in values.items():
        setattr(policy, name, value)
    if upload is not None:
        policy.upload_id = upload.id
    policy.updated_at, policy.updated_by_id = utcnow(), actor.id
    db.session.flush()
    audit.record(actor, "policy.saved", data={"policy_id": policy.id, "number": policy.number,
                                              "upload_id": policy.upload_id, "requirement": "R-PLAT-1"})
    return policy


def seed_policies() -> int:
    """Add the plan and the MEE guide unless a document with their number exists; return how many were added."""
    added = 0
    for values in SEED:
        if db.session.execute(select(PolicyDocument.id).where(PolicyDocument.number == values["number"])).first():
            continue
        db.session.add(PolicyDocument(**values))
        added += 1
    db.session.flush()
    return added
