"""The self-commitment declaration (R-TIER-2), generated from the event's data."""

from __future__ import annotations

import hashlib
from datetime import date
from decimal import Decimal

from flask_babel import force_locale

from models import Event
from models.offsets import Instrument
from processes import accounting, offsets

CATEGORY_ZH = {
    "venue_energy": "场馆能源消耗",
    "transport": "交通出行",
    "accommodation": "住宿",
    "catering": "餐饮",
    "materials": "物料",
    "waste": "废弃物",
}


def _offset_method(event: Event) -> str:
    by_instrument: dict[str, Decimal] = {}
    for row in offsets.active_cancellations(event):
        key = row.instrument.value
        by_instrument[key] = by_instrument.get(key, Decimal(0)) + row.quantity_tco2e
    if not by_instrument:
        return "新建碳汇项目"
    parts = [f"{Instrument(key).title} {value:.3f} 吨二氧化碳当量" for key, value in sorted(by_instrument.items())]
    return "注销 " + "；".join(parts)


UNFILLED = "（待填写）"  # a value the organizer has not entered yet, in the preview of the sign page


def declaration_text(event: Event, confirmation_method: str | None, neutral_on: date | None) -> str:
    """Return the declaration with every element R-TIER-2 lists, in the plan's language (Chinese,
    whatever the signer's UI language). The sign page previews it with what is typed so far (a value
    not yet entered reads UNFILLED); the signed text is stored and printed in the PDF as it is."""
    with force_locale("zh_Hans_CN"):
        return _declaration(event, (confirmation_method or "").strip() or UNFILLED,
                            neutral_on.isoformat() if neutral_on else UNFILLED)


def _declaration(event: Event, confirmation_method: str, neutral_on: str) -> str:
    summary = accounting.emissions_summary(event)
    included = [CATEGORY_ZH.get(item["category"], item["category"]) for item in summary.get("boundary", [])
                if item.get("included")]
    lines = [
        "大型活动碳中和自我承诺书",
        "",
        f"活动名称：{event.name}",
        f"主办单位：{'、'.join(event.organizers)}",
        f"活动规模：{event.participants} 人",
        f"举办时间：{event.starts_on.isoformat()} 至 {event.ends_on.isoformat()}",
        f"举办地点：{event.venue}（{event.county}）",
        f"温室气体核算边界：{'、'.join(included) if included else '见实施计划'}",
        f"温室气体排放量：{summary.get('actual_tco2e') or '—'} 吨二氧化碳当量",
        f"抵消方式：{_offset_method(event)}",
        f"实现碳中和日期：{neutral_on}",
        f"碳中和结果确认方式：{confirmation_method}",
        "",
        "本单位承诺：以上信息真实、准确、完整，本单位对其真实性负责。",
        "依据：《关于推动开展济宁市大型活动碳中和工作的实施方案（试行）》（济环字〔2023〕40号）。",
    ]
    return "\n".join(lines)


def digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
