"""The departments of the plan (section 五) and Jining's counties; seeded idempotently."""

from __future__ import annotations

from sqlalchemy import select

from models import Department, db
from models.org import DepartmentKind

# Jining's counties and districts (their EEB branches, 分局). (code suffix, Chinese, English)
COUNTIES: list[tuple[str, str, str]] = [
    ("rencheng", "任城区", "Rencheng District"),
    ("yanzhou", "兖州区", "Yanzhou District"),
    ("qufu", "曲阜市", "Qufu City"),
    ("zoucheng", "邹城市", "Zoucheng City"),
    ("weishan", "微山县", "Weishan County"),
    ("yutai", "鱼台县", "Yutai County"),
    ("jinxiang", "金乡县", "Jinxiang County"),
    ("jiaxiang", "嘉祥县", "Jiaxiang County"),
    ("wenshang", "汶上县", "Wenshang County"),
    ("sishui", "泗水县", "Sishui County"),
    ("liangshan", "梁山县", "Liangshan County"),
]
COUNTY_NAMES = [zh for _code, zh, _en in COUNTIES]

# City-level departments: (code, kind, Chinese, English)  R-DEPT-*
CITY_DEPARTMENTS: list[tuple[str, DepartmentKind, str, str]] = [
    ("eeb", DepartmentKind.EEB, "济宁市生态环境局", "Jining Ecology and Environment Bureau"),
    ("drc", DepartmentKind.DRC, "济宁市发展和改革委员会", "Jining Development and Reform Commission"),
    ("finance", DepartmentKind.FINANCE, "济宁市财政局", "Jining Finance Bureau"),
    ("nr", DepartmentKind.NATURAL_RESOURCES, "济宁市自然资源和规划局", "Jining Natural Resources and Planning Bureau"),
    ("commerce", DepartmentKind.COMMERCE, "济宁市商务局", "Jining Commerce Bureau"),
    ("culture", DepartmentKind.CULTURE_TOURISM, "济宁市文化和旅游局", "Jining Culture and Tourism Bureau"),
    ("sports", DepartmentKind.SPORTS, "济宁市体育局", "Jining Sports Bureau"),
    ("goa", DepartmentKind.GOA, "济宁市机关事务服务中心", "Jining Government Offices Administration"),
]


def seed_departments() -> dict[str, Department]:
    """Create any missing department of the plan; return all by code. Idempotent."""
    existing = {d.code: d for d in db.session.execute(select(Department)).scalars()}
    for code, kind, zh, en in CITY_DEPARTMENTS:
        if code not in existing:
            existing[code] = Department(code=code, kind=kind, name_zh=zh, name_en=en)
            db.session.add(existing[code])
    db.session.flush()
    city_eeb = existing["eeb"]
    for suffix, zh, en in COUNTIES:
        code = f"eeb_{suffix}"
        if code not in existing:
            existing[code] = Department(
                code=code,
                kind=DepartmentKind.EEB,
                name_zh=f"济宁市生态环境局{zh}分局",
                name_en=f"Jining Ecology and Environment Bureau, {en} Branch",
                county=zh,
                parent_id=city_eeb.id,
            )
            db.session.add(existing[code])
    db.session.flush()
    return existing
