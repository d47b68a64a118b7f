"""The self-commitment is read before it is signed (issue #18, R-TIER-2): the sign page shows the whole
declaration, the same text the platform stores and prints in the PDF, with the values being typed; a
preview shows it again with new values and saves nothing; and the declaration is Chinese throughout,
whatever the UI's language and whichever offset product was cancelled."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal
from html import unescape
from types import SimpleNamespace

import pytest
from sqlalchemy import func, select

from models import AuditEntry, Commitment, HumanTask, db
from models.offsets import Instrument
from processes import commitment, reports_pdf
from tests.conftest import csrf_token
from tests.lifecycle import after_event, cancellation, complete, open_task, register, to_offsetting
from tests.pdftext import pdf_text, require_cjk_font, squeezed

PRE = re.compile(r'<pre class="declaration[^"]*" lang="zh-CN">(.*?)</pre>', re.S)
METHOD = "主办单位自我承诺，对真实性负责"
# Latin letters a Chinese declaration may carry: the registries' and products' own acronyms.
ACRONYMS = {"CCER", "CEA", "VCS", "Verra", "Gold", "Standard", "t"}


@pytest.fixture()
def signing(demo):  # noqa: ANN001, ANN201
    """A 300-person event whose units are cancelled: the organizer's sign_commitment task is open."""
    event = register(300, name="运河车展")
    to_offsetting(event)
    complete(event, "cancel_units", "organizer", cancellation(event), now=after_event(event, 3))
    return event, open_task(event, "sign_commitment")


def _shown(html: str) -> str:
    found = PRE.findall(html)
    assert len(found) == 1, "the sign page shows the declaration once"
    return unescape(found[0])


def test_the_sign_page_shows_the_whole_declaration_before_anything_is_typed(client, auth, signing):
    event, task = signing
    auth.login("organizer")
    shown = _shown(client.get(f"/tasks/{task.id}").get_data(as_text=True))
    assert shown == commitment.declaration_text(event, "自我承诺", None)  # the form's default method
    assert "活动名称：运河车展" in shown and "温室气体排放量：13.552 吨二氧化碳当量" in shown
    assert f"实现碳中和日期：{commitment.UNFILLED}" in shown, "a value not typed yet says so"
    assert "本单位承诺" in shown


def test_preview_shows_the_typed_values_and_saves_nothing(client, auth, signing):
    event, task = signing
    auth.login("organizer")
    url = f"/tasks/{task.id}"
    entries = db.session.execute(select(func.count()).select_from(AuditEntry)).scalar()
    neutral_on = event.ends_on + timedelta(days=3)
    response = client.post(url, data={"csrf_token": csrf_token(client, url), "action": "preview",
                                      "confirmation_method": METHOD, "neutral_on": neutral_on.isoformat()})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    shown = _shown(html)
    assert f"碳中和结果确认方式：{METHOD}" in shown and f"实现碳中和日期：{neutral_on.isoformat()}" in shown
    assert f'value="{METHOD}"' in html, "the form keeps what was typed"
    db.session.expire_all()
    assert db.session.execute(select(Commitment)).first() is None
    assert db.session.get(HumanTask, task.id).status == "open" and db.session.get(HumanTask, task.id).draft is None
    assert db.session.execute(select(func.count()).select_from(AuditEntry)).scalar() == entries
    # Signed with the values previewed, the stored declaration and the PDF carry exactly that text.
    complete(event, "sign_commitment", "organizer", {"confirmation_method": METHOD, "neutral_on": neutral_on,
                                                     "truthful": True}, now=after_event(event, 4))
    signed = db.session.execute(select(Commitment)).scalar_one()
    assert signed.declaration == shown and signed.sha256 == commitment.digest(shown)


def test_the_pdf_prints_the_previewed_text(app, client, auth, signing):
    require_cjk_font(app)
    event, task = signing
    auth.login("organizer")
    url = f"/tasks/{task.id}"
    neutral_on = event.ends_on + timedelta(days=3)
    shown = _shown(client.post(url, data={"csrf_token": csrf_token(client, url), "action": "preview",
                                          "confirmation_method": METHOD,
                                          "neutral_on": neutral_on.isoformat()}).get_data(as_text=True))
    complete(event, "sign_commitment", "organizer", {"confirmation_method": METHOD, "neutral_on": neutral_on,
                                                     "truthful": True}, now=after_event(event, 4))
    pdf = squeezed(pdf_text(reports_pdf.commitment_pdf(event, db.session.execute(select(Commitment)).scalar_one())))
    assert squeezed(shown) in pdf


def test_an_unreadable_date_previews_as_not_yet_typed(client, auth, signing):
    _event, task = signing
    auth.login("organizer")
    url = f"/tasks/{task.id}"
    response = client.post(url, data={"csrf_token": csrf_token(client, url), "action": "preview",
                                      "confirmation_method": "", "neutral_on": "2026-13-45"})
    assert response.status_code == 200
    shown = _shown(response.get_data(as_text=True))
    assert f"实现碳中和日期：{commitment.UNFILLED}" in shown and f"碳中和结果确认方式：{commitment.UNFILLED}" in shown


def test_english_ui_previews_the_same_chinese_declaration(client, auth, signing):
    event, task = signing
    auth.login("organizer")
    client.get("/language/en")
    html = client.get(f"/tasks/{task.id}").get_data(as_text=True)
    assert _shown(html) == commitment.declaration_text(event, "自我承诺", None)
    assert "The declaration you sign" in html and "Show the declaration with the values above" in html


@pytest.mark.parametrize("instrument", [i for i in Instrument if not i.is_project], ids=lambda i: i.value)
@pytest.mark.parametrize("language", ["en", "zh_Hans_CN"])
def test_every_offset_product_is_named_in_chinese_in_the_declaration(app, make_event, monkeypatch, instrument,
                                                                     language):
    event = make_event(300)
    cancelled = [SimpleNamespace(instrument=instrument, quantity_tco2e=Decimal("14"))]
    monkeypatch.setattr(commitment.offsets, "active_cancellations", lambda _event: cancelled)
    with app.test_request_context(f"/?lang={language}"):
        text = commitment.declaration_text(event, METHOD, event.ends_on)
    method_line = next(line for line in text.splitlines() if line.startswith("抵消方式："))
    english = set(re.findall(r"[A-Za-z]+", text)) - ACRONYMS
    assert not english, f"English in the declaration: {english} ({method_line})"
    assert re.search(r"[\u4e00-\u9fff]", method_line.split("注销", 1)[1])
