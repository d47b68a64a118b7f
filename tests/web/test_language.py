"""Chinese everywhere in the Chinese UI, English everywhere in the English UI (issue #18).

Every page of the app is rendered as every kind of user, over a world where every user task is open
somewhere and every deadline state, sink state and decision occurs, in Chinese and in English; so is
every export. A Chinese page fails on an enum value, a code (task, role, lane, action, status) or an
English label of the catalog or half of a bilingual diagram label; an English page fails on a Chinese
label of the catalog or of the diagrams; both fail on a requirement id (R-TIER-1 …) outside the audit
reasons. Everything the world types is Chinese, so any
English in a Chinese page came from the application.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, timedelta
from decimal import Decimal
from html.parser import HTMLParser
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from flask import Flask
from flask_babel import force_locale
from openpyxl import load_workbook
from sqlalchemy import select

from models import EventDeadline, HumanTask, User, db
from models.org import LabelledEnum
from processes import events, workflow
from tests.lifecycle import (
    ELECTRICITY,
    after_event,
    cancellation,
    complete,
    register,
    upload_for,
    user,
)
from tests.security.conftest import World, session_client, upload_dir, world_around  # noqa: F401 - a fixture
from tests.security.matrix_harness import build_url
from tests.security.pages import html_get_rules
from webapp.tasks.titles import LANE_TITLES, PROCESS_STATUS_TITLES, STEP_TITLES, TASK_TITLES, bpmn_label

CATALOG = Path(__file__).resolve().parents[2] / "webapp/translations/zh_Hans_CN/LC_MESSAGES/messages.po"
ZH, EN = "zh_Hans_CN", "en"
FAR = 500  # days until the events start whose timers must not fire when the overdue events' clock moves on
R_ID = re.compile(r"\bR-[A-Z]{2,}(?:-[A-Z0-9]+)?\b")
LATIN_WORD = re.compile(r"[A-Za-z][A-Za-z0-9_.]*[A-Za-z0-9]|[A-Za-z]")
CHINESE_RUN = re.compile(r"[\u3400-\u9fff]+")
# Words that must not reach a Chinese page (raw statuses and decisions seen there before), beside every
# code and enum value of the application and every English label of the catalog.
ENGLISH_WORDS = {"registered", "validated", "returned", "forestry", "marine", "met", "met_late", "due", "overdue",
                 "open", "approve", "approved", "return", "pending", "draft", "submit", "running", "completed",
                 "cancelled", "system", "yes", "no", "None", "True", "False", "neutral", "not_neutral"}
CROWD = ("anon", "organizer", "commerce", "eeb", "eeb_rencheng", "finance", "nr", "verifier", "auditor", "admin")
EVERY_EVENT = ("anon", "organizer", "auditor", "admin")  # the organizer's own events are all of them


# --------------------------------------------------------------------------- the world
def _plan(units: bool = True, sink: bool = False) -> dict:
    from models import VerifierBody
    from models.accounting import EmissionCategory

    offsets = ([{"instrument": "sd_inclusion_forestry", "quantity_tco2e": Decimal("10"), "reason": None}] if units
               else [])
    offsets += [{"instrument": "new_forestry_sink", "quantity_tco2e": Decimal("5"), "reason": None}] if sink else []
    body = db.session.execute(select(VerifierBody)).scalars().first()
    return {
        "boundary": [{"category": c.value, "included": c == EmissionCategory.VENUE_ENERGY,
                      "reason": None if c == EmissionCategory.VENUE_ENERGY else "场地内无此项"}
                     for c in EmissionCategory],
        "estimate": [{"factor_key": ELECTRICITY, "quantity": Decimal("10000"), "note": "按往届用电估算"}],
        "measures": [{"kind": "green_electricity", "description": "场馆使用绿电", "expected_tco2e": Decimal("1")},
                     {"kind": "clean_plate", "description": "光盘行动", "expected_tco2e": Decimal("0.2")}],
        "offset_plan": offsets, "new_sink_project": sink, "verifier_body": body.id,
    }


def _approve(event) -> None:  # noqa: ANN001
    reviewer = {"commerce": "commerce", "culture_tourism": "culture", "sports": "sports"}[event.sector.value]
    complete(event, "review_plan_sector", reviewer, {"decision": "approve", "comment": "同意"})
    complete(event, "review_plan_eeb", "eeb_rencheng", {"decision": "approve"})


def _to_offsetting(event, units: bool = True, sink: bool = False) -> None:  # noqa: ANN001
    from processes import accounting

    complete(event, "prepare_plan", "organizer", _plan(units, sink))
    _approve(event)
    workflow.tick(after_event(event))
    db.session.commit()
    measures = accounting.emissions_summary(event)["measures"]
    complete(event, "report_reductions", "organizer", {"measures": [
        {"measure_id": m["id"], "achieved_tco2e": Decimal("0.5"), "evidence": upload_for(event, name="绿电证书.pdf")}
        for m in measures]}, now=after_event(event))
    complete(event, "account_emissions", "organizer", {"activities": [
        {"factor_key": ELECTRICITY, "quantity": Decimal("20000"), "note": "电表读数"}]}, now=after_event(event, 2))


def _sink(event, days: int, name: str = "泗水县新造林碳汇项目", location: str = "泗水县") -> dict:  # noqa: ANN001
    return {"name": name, "sink_type": "forestry", "location": location, "area_ha": Decimal("120"),
            "expected_tco2e": Decimal("20"), "crediting_period_years": 20,
            "applied_on": event.ends_on + timedelta(days=days)}


def _sign(event) -> None:  # noqa: ANN001
    complete(event, "sign_commitment", "organizer", {"confirmation_method": "自我承诺，主办单位对真实性负责",
                                                     "neutral_on": event.ends_on + timedelta(days=3),
                                                     "truthful": True}, now=after_event(event, 4))


def build_language_world(folder: str) -> World:
    """Events in every state: each user task open somewhere, deadlines open, met, met late and overdue,
    a sink project registered and one validated, a returned plan, a disclosed event, one out of scope."""
    reviewing = register(600, name="运河国际车展", funding=True, starts_in_days=FAR)
    complete(reviewing, "prepare_plan", "organizer", _plan())
    register(300, name="太白湖音乐节", sector="culture_tourism", starts_in_days=FAR)  # prepare_plan open
    register(150, name="社区读书会", starts_in_days=FAR)  # out of scope

    disclosed = register(300, name="孔子文化论坛", starts_in_days=FAR)
    events.add_comment(user("organizer"), disclosed, "内部意见：预算偏高")
    complete(disclosed, "prepare_plan", "organizer", _plan())
    complete(disclosed, "review_plan_sector", "commerce", {"decision": "return", "comment": "请补充交通排放"})
    complete(disclosed, "review_plan_eeb", "eeb_rencheng", {"decision": "approve"})
    _to_offsetting(disclosed)
    complete(disclosed, "cancel_units", "organizer", cancellation(disclosed), now=after_event(disclosed, 3))
    _sign(disclosed)

    reporting = register(300, name="微山湖论坛", starts_in_days=FAR)
    complete(reporting, "prepare_plan", "organizer", _plan())
    _approve(reporting)
    workflow.tick(after_event(reporting))
    db.session.commit()  # report_reductions open; account_emissions opens after it
    accounting_event = register(300, name="梁山文旅展", starts_in_days=FAR)
    complete(accounting_event, "prepare_plan", "organizer", _plan())
    _approve(accounting_event)
    workflow.tick(after_event(accounting_event))
    db.session.commit()
    from processes import accounting

    complete(accounting_event, "report_reductions", "organizer", {"measures": [
        {"measure_id": m["id"], "achieved_tco2e": Decimal("0"), "evidence": None}
        for m in accounting.emissions_summary(accounting_event)["measures"]]}, now=after_event(accounting_event))

    sinks = register(600, name="碳汇展览会", starts_in_days=FAR)
    _to_offsetting(sinks, units=True, sink=True)  # cancel_units and register_sink_project open
    validating = register(600, name="湿地保护大会", starts_in_days=FAR)
    _to_offsetting(validating, units=False, sink=True)
    complete(validating, "register_sink_project", "organizer", _sink(validating, 20), now=after_event(validating, 21))
    validated = register(600, name="林业碳汇论坛", starts_in_days=FAR)
    _to_offsetting(validated, units=False, sink=True)
    complete(validated, "register_sink_project", "organizer", _sink(validated, 20, "微山县湖滨造林项目", "微山县"),
             now=after_event(validated, 21))
    complete(validated, "validate_sink_project", "nr", {
        "monitoring_report": upload_for(validated, "nr", "监测报告.pdf"), "validated_tco2e": Decimal("15"),
        "validated_on": validated.ends_on + timedelta(days=60), "decision": "approve", "comment": "数据完整"},
        now=after_event(validated, 61))
    evaluating = register(600, name="国际孔子文化节", starts_in_days=FAR)
    _to_offsetting(evaluating)
    complete(evaluating, "cancel_units", "organizer", cancellation(evaluating, serial_from="SDPH-2027-000001"),
             now=after_event(evaluating, 3))
    signing = register(300, name="邹城马拉松", sector="sports", starts_in_days=FAR)
    _to_offsetting(signing)
    complete(signing, "cancel_units", "organizer", cancellation(signing, serial_from="SDPH-2028-000001"),
             now=after_event(signing, 3))

    # A correction of a submitted account: one under review by EEB, one approved (being corrected).
    for name, approve in (("曲阜读书节", False), ("兖州美食节", True)):
        corrected = register(300, name=name, starts_in_days=FAR)
        _to_offsetting(corrected)
        events.request_correction(user("organizer"), corrected, "电表读数录入有误", now=after_event(corrected, 3))
        db.session.commit()
        if approve:
            complete(corrected, "review_correction", "eeb_rencheng", {"decision": "approve", "comment": "同意更正"},
                     now=after_event(corrected, 4))

    # Overdue: a late sink application (followed up by Natural Resources), and a late cancellation.
    late_sink = register(600, name="嘉祥石雕节", starts_in_days=10)
    _to_offsetting(late_sink, units=False, sink=True)
    late_units = register(600, name="金乡大蒜节", starts_in_days=10)
    _to_offsetting(late_units)
    workflow.tick(after_event(late_units, 200))
    db.session.commit()
    complete(late_units, "follow_up_overdue", "eeb_rencheng", {"action_taken": "电话督办", "comment": "已约谈"})
    complete(late_units, "cancel_units", "organizer",
             cancellation(late_units, serial_from="SDPH-2029-000001", on=late_units.ends_on + timedelta(days=200)),
             now=after_event(late_units, 201))
    workflow.tick(after_event(late_sink, 370))
    db.session.commit()

    return world_around(disclosed, reviewing, folder, names=("证明材料.pdf", "政策文件.pdf", "碳中和政策文件"))


@pytest.fixture()
def language_world(demo, upload_dir: str) -> World:  # noqa: ANN001, F811 - the fixture imported above
    return build_language_world(upload_dir)


# --------------------------------------------------------------------------- what a page says
class VisibleText(HTMLParser):
    """The text a reader gets: text nodes and the attributes read out (title, aria-label, placeholder,
    alt, button values), without scripts, styles, `<code>` (the codes shown to auditors on purpose)
    and parts marked as another language (`lang`)."""

    SKIPPED = ("script", "style", "code", "pre", "template")
    VOID = ("area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr")

    def __init__(self, language: str) -> None:
        super().__init__(convert_charrefs=True)
        self.language = language
        self.parts: list[str] = []  # visible text
        self.reasons: list[str] = []  # audit reasons: they may quote a requirement id
        self._stack: list[tuple[str, bool, bool]] = []  # (tag, hidden, reason)

    def _hidden(self) -> bool:
        return bool(self._stack) and self._stack[-1][1]

    def _reason(self) -> bool:
        return bool(self._stack) and self._stack[-1][2]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        lang = (values.get("lang") or "").lower()
        other_language = bool(lang) and not lang.startswith(self.language[:2])
        hidden = self._hidden() or tag in self.SKIPPED or other_language
        reason = self._reason() or "audit-reason" in (values.get("class") or "").split()
        if not hidden:
            for name in ("title", "aria-label", "placeholder", "alt"):
                if values.get(name):
                    self.parts.append(values[name])
            if tag == "input" and values.get("type") in ("submit", "button") and values.get("value"):
                self.parts.append(values["value"])
        if tag not in self.VOID:
            self._stack.append((tag, hidden, reason))

    def handle_endtag(self, tag: str) -> None:
        while self._stack:
            if self._stack.pop()[0] == tag:
                break

    def handle_data(self, data: str) -> None:
        if not self._hidden():
            (self.reasons if self._reason() else self.parts).append(data)


def _diagram_labels() -> set[str]:
    """The `name` of every element of the shipped diagrams (bilingual: "中文 English")."""
    from xml.etree import ElementTree

    bpmn = Path(__file__).resolve().parents[2] / "bpmn"
    return {node.get("name") for path in bpmn.glob("*.bpmn")
            for node in ElementTree.parse(path).iter()  # noqa: S314 - the repository's own diagrams
            if node.get("name")}


@dataclass
class Vocabulary:
    """What must not appear: in Chinese, codes and English labels; in English, Chinese labels."""

    codes: set[str] = field(default_factory=set)  # single tokens
    english: dict[str, list[str]] = field(default_factory=dict)  # first word → phrases
    chinese: set[str] = field(default_factory=set)  # whole runs of Chinese characters

    @classmethod
    def load(cls) -> Vocabulary:
        from models.audit import AuditEntry  # noqa: F401 - the models define every LabelledEnum
        from processes import disclosure  # noqa: F401 - PublicStatus
        from webapp.tasks.titles import ACTION_TITLES

        found = cls()
        pending = list(LabelledEnum.__subclasses__())
        while pending:
            enum = pending.pop()
            pending.extend(enum.__subclasses__())
            found.codes |= {m.value for m in enum}
        found.codes |= set(STEP_TITLES) | set(ACTION_TITLES) | set(LANE_TITLES) | set(PROCESS_STATUS_TITLES)
        found.codes |= ENGLISH_WORDS
        with open(CATALOG, "rb") as po:
            catalog = read_po(po)
        msgids = " ".join(m.id if isinstance(m.id, str) else " ".join(m.id) for m in catalog if m.id)
        for message in catalog:
            if not message.id or not message.string or isinstance(message.id, tuple):
                continue
            for fragment in re.split(r"%\(\w+\)[sd]|%[sd]|\{\w*\}", message.id):
                fragment = " ".join(fragment.split()).strip(" .:;,()")
                if re.search(r"[a-z]{3}", fragment) and fragment != message.string:
                    found.english.setdefault(LATIN_WORD.search(fragment).group(), []).append(fragment)
            for fragment in re.split(r"%\(\w+\)[sd]|%[sd]", message.string):
                for run in CHINESE_RUN.findall(fragment):
                    if len(run) >= 2 and run not in msgids:  # not the Chinese of a bilingual English title
                        found.chinese.add(run)
        for label in _diagram_labels():  # "注销减排量 Cancel units": each half is a leftover in the other UI
            with force_locale(EN):
                english = bpmn_label(label)
            if english != label:
                found.english.setdefault(LATIN_WORD.search(english).group(), []).append(english.strip(" ?"))
                found.chinese.update(run for run in CHINESE_RUN.findall(label[:label.index(english)]) if len(run) >= 2)
        return found

    def leftovers(self, text: str, language: str) -> list[str]:
        if language == EN:
            return sorted({run for run in CHINESE_RUN.findall(text) if run in self.chinese})
        words = LATIN_WORD.findall(text)
        hits = {w for w in words if w in self.codes}
        for word in set(words):
            hits |= {phrase for phrase in self.english.get(word, ()) if re.search(
                r"(?<![A-Za-z])" + re.escape(phrase) + r"(?![A-Za-z])", text)}
        return sorted(hits)


def _context(text: str, token: str) -> str:
    at = text.find(token)
    return " ".join(text[max(0, at - 50):at + len(token) + 50].split())


@dataclass
class Finding:
    where: str
    token: str
    context: str

    def __str__(self) -> str:
        return f"{self.where}: {self.token!r} in «{self.context}»"


@dataclass
class Data:
    """What the platform holds as data, not as its own words: the factor library's citations of its
    sources (in the sources' language, with the notes of the shipped factor file), and usernames shown
    beside a name ("张科员 (eeb_zoucheng)"). In an English page also any Chinese text stored in the database
    (names, descriptions, comments, policy summaries), except the Chinese half of a pair with an English
    one (`name_zh` beside `name_en`: the English UI must pick `name_en`) and the diagram's bilingual labels
    (`human_task.title`)."""

    usernames: set[str]
    english: list[str]
    chinese: list[str]

    @classmethod
    def load(cls) -> Data:
        from sqlalchemy import JSON, String, Text

        from models.accounting import EmissionFactor, FactorSet
        from processes.accounting.factors import SOURCE_SEPARATOR

        sources = db.session.execute(select(EmissionFactor.source)).scalars().all()
        english = set(sources) | {part for source in sources for part in source.split(SOURCE_SEPARATOR)}
        english |= {t for t in db.session.execute(select(FactorSet.note)).scalars() if t}
        chinese: set[str] = set()

        def collect(value: object) -> None:
            if isinstance(value, str) and CHINESE_RUN.search(value):
                chinese.add(value)
            elif isinstance(value, dict | list):
                for item in value.values() if isinstance(value, dict) else value:
                    collect(item)

        for table in db.metadata.sorted_tables:
            for column in table.columns:
                if (isinstance(column.type, String | Text | JSON) and not column.name.endswith("_zh")
                        and (table.name, column.name) != ("human_task", "title")):
                    query = select(column) if isinstance(column.type, JSON) else select(column).distinct()
                    for value in db.session.execute(query).scalars():  # PostgreSQL's json has no equality
                        collect(value)
        return cls(set(db.session.execute(select(User.username)).scalars()),
                   sorted(english, key=len, reverse=True), sorted(chinese, key=len, reverse=True))

    def without(self, text: str, language: str) -> str:
        for username in self.usernames:
            text = text.replace(f"({username})", "")
        for stored in self.english + (self.chinese if language == EN else []):
            if stored in text:
                text = text.replace(stored, " ")
        return text


def check_text(where: str, text: str, language: str, vocabulary: Vocabulary, data: Data) -> list[Finding]:
    text = data.without(text, language)
    found = [Finding(where, token, _context(text, token)) for token in vocabulary.leftovers(text, language)]
    found += [Finding(where, rid, _context(text, rid)) for rid in set(R_ID.findall(text))]
    return found


# --------------------------------------------------------------------------- walking the app
def _event_ids() -> list[int]:
    from models import Event

    return list(db.session.execute(select(Event.id).order_by(Event.id)).scalars())


def pages(app: Flask, world: World, language: str) -> Iterator[tuple[str, str, str]]:
    """(where, visible text, audit reasons) of every HTML page: each page rule as each of CROWD (the
    pages of every event as EVERY_EVENT), and each open task."""
    for principal in CROWD:
        client = session_client(app, None if principal == "anon" else principal)
        client.get(f"/language/{language}")
        urls = []
        for rule in html_get_rules(app):
            if rule.endpoint == "main.set_language":
                continue
            if "event_id" in rule.arguments:  # every event as those who see them all, one as the others
                ids = _event_ids() if principal in EVERY_EVENT else [world.event_id]
                urls += [build_url(app, rule, world, principal, {"event_id": lambda w, who, i=i: i}) for i in ids]
            elif "task_id" in rule.arguments:
                urls += [build_url(app, rule, world, principal, {"task_id": lambda w, who, i=i: i})
                         for i in db.session.execute(select(HumanTask.id).where(HumanTask.status == "open")).scalars()]
            else:
                urls.append(build_url(app, rule, world, principal))
        for url in urls:
            response = client.get(url)
            if response.status_code != 200 or response.mimetype != "text/html":
                continue
            parser = VisibleText(language)
            parser.feed(response.get_data(as_text=True))
            yield f"{principal} {url}", " ".join(parser.parts), " ".join(parser.reasons)


def test_the_world_has_every_task_and_deadline_state(app, language_world):  # noqa: ANN001
    """The walk below is only as good as its world: every user task is open somewhere, deadlines are
    open, met, met late and overdue, sink projects registered and validated."""
    names = set(db.session.execute(select(HumanTask.name).where(HumanTask.status == "open")).scalars())
    missing = set(TASK_TITLES) - {"cancel_remainder"} - names
    assert not missing, f"no open {sorted(missing)} in the world: walk an event there in build_language_world"
    statuses = {d.status for d in db.session.execute(select(EventDeadline)).scalars()}
    assert {"open", "met", "met_late", "overdue"} <= statuses, statuses
    from models.sinks import SinkProject, SinkStatus

    sinks = {p.status for p in db.session.execute(select(SinkProject)).scalars()}
    assert {SinkStatus.REGISTERED, SinkStatus.VALIDATED} <= sinks, sinks


@pytest.mark.parametrize("language", [ZH, EN])
def test_every_page_speaks_the_ui_language(app, language_world, language):  # noqa: ANN001
    vocabulary, data = Vocabulary.load(), Data.load()
    findings, seen = [], 0
    for where, text, reasons in pages(app, language_world, language):
        seen += 1
        findings += check_text(where, text, language, vocabulary, data)
        findings += [Finding(where, token, "an audit reason")
                     for token in vocabulary.leftovers(data.without(reasons, language), language)
                     if token not in ENGLISH_WORDS]
    assert seen > 150
    assert not findings, f"{len(findings)} leftovers:\n" + "\n".join(map(str, findings[:80]))


# --------------------------------------------------------------------------- exports
EXPORTS = ["/events/{id}/account.csv", "/events/{id}/account.xlsx", "/events/{id}/audit.csv",
           "/events/{id}/audit.xlsx", "/dashboard/export.xlsx", "/dashboard/compliance.xlsx",
           "/supervision/sink-projects.xlsx"]


def _sheets(response) -> list[tuple[str, list[list]]]:  # noqa: ANN001
    """(sheet name, rows) of a CSV or XLSX answer."""
    if response.mimetype == "text/csv":
        return [("csv", list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff")))))]
    book = load_workbook(io.BytesIO(response.data))
    return [(sheet.title, [list(row) for row in sheet.iter_rows(values_only=True)]) for sheet in book]


@pytest.mark.parametrize("language", [ZH, EN])
def test_every_export_speaks_the_ui_language_and_names_the_time_zone(app, language_world, language):  # noqa: ANN001
    """Headings (the first row of a table, the first column of a sheet of facts) in the UI's language,
    coded values in words, and a heading with a time names the zone."""
    vocabulary, data = Vocabulary.load(), Data.load()
    client = session_client(app, "auditor")
    client.get(f"/language/{language}")
    findings: list[Finding] = []
    for url in EXPORTS:
        url = url.format(id=language_world.event_id)
        response = client.get(url)
        assert response.status_code == 200, url
        for title, rows in _sheets(response):
            where = f"{url} [{title}]"
            findings += check_text(where, title, language, vocabulary, data)
            if not rows:
                continue
            headings = [str(c) for c in rows[0] if c is not None]
            facts = len(rows[0]) == 2  # a sheet of (label, value) rows: its labels are headings too
            headings += [str(row[0]) for row in rows[1:] if facts and row and row[0] is not None]
            for heading in headings:
                findings += check_text(where, heading, language, vocabulary, data)
                if language == ZH and not CHINESE_RUN.search(heading) and heading not in ("#", "SHA-256"):
                    findings.append(Finding(where, heading, "a heading without Chinese"))
            code_columns = {i for i, h in enumerate(rows[0]) if isinstance(h, str) and re.search(r"代码|[Cc]ode", h)}
            values = [str(c) for row in rows[1:] for i, c in enumerate(row) if (i > 0 or not facts)
                      and i not in code_columns and isinstance(c, str) and c in vocabulary.codes
                      and c not in data.usernames and (language == ZH or re.search(r"[_.]", c))]
            findings += [Finding(where, value, "a coded value as a cell") for value in sorted(set(values))]
            timed = [h for h in rows[0] if isinstance(h, str) and re.search(r"时间|When|\bat\b|日期时间", h)]
            zone = "北京时间" if language == ZH else "Beijing time"
            findings += [Finding(where, h, "a time heading without the zone") for h in timed if zone not in h]
    assert not findings, f"{len(findings)} leftovers:\n" + "\n".join(map(str, findings[:80]))


# --------------------------------------------------------------------------- Beijing time
def test_history_and_audit_trail_show_beijing_time_and_say_so(app, demo):  # noqa: ANN001
    """Stored in UTC, shown in Asia/Shanghai with the zone named (the event history, the audit trail)."""
    from models import AuditEntry

    event = register(300, name="时区测试活动")
    entry = db.session.execute(select(AuditEntry).where(AuditEntry.event_id == event.id)
                               .order_by(AuditEntry.seq)).scalars().first()
    utc = entry.at.replace(tzinfo=None) if entry.at.tzinfo is None else entry.at.astimezone(UTC).replace(tzinfo=None)
    beijing = (utc + timedelta(hours=8)).replace(microsecond=0)
    page = session_client(app, "organizer").get(f"/events/{event.id}").get_data(as_text=True)
    history = page[page.index("办理记录"):]
    assert "北京时间" in history[:200], "the history names the zone"
    assert beijing.strftime("%Y-%m-%d %H:%M") in history and f'datetime="{beijing.isoformat()}+08:00"' in history
    trail = session_client(app, "auditor").get("/audit/").get_data(as_text=True)
    assert "时间（北京时间）" in trail and beijing.strftime("%Y-%m-%d %H:%M:%S") in trail
    english = session_client(app, "auditor")
    english.get("/language/en")
    assert "When (Beijing time)" in english.get("/audit/").get_data(as_text=True)
