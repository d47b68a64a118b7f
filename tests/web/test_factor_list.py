"""Each factor's check status and exact source, where a reviewer and an organizer read them (issue #16,
R-ACC-1, R-PLAT-1): the public factor page (any version), GET /api/v1/emission-factors, and the
tooltip of every emission source in the task forms."""

from __future__ import annotations

import html as html_lib
import re

import pytest
from markupsafe import escape

from processes import accounting
from processes.accounting.factors import DEFAULT_FACTOR_FILE
from tests.lifecycle import open_task, register

OPTION_RE = re.compile(r'<option([^>]*)value="([a-z0-9_]+)"([^>]*)>([^<]*)</option>')
INLINE_SCRIPT_RE = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>")


def test_api_gives_status_and_exact_source_of_every_factor(client):
    body = client.get("/api/v1/emission-factors?lang=en").get_json()
    items = {f["key"]: f for f in body["items"]}
    assert body["factor_set"] == 1 and len(body["sha256"]) == 64
    hotel = items["hotel_room_night"]
    assert (hotel["status"], hotel["status_title"]) == ("verified", "Verified against the primary publication")
    assert "factor ID 29_600_4009_13_1" in hotel["source_reference"] and hotel["source"].startswith(
        hotel["source_reference"])
    newest = items["grid_electricity_national_2023"]
    assert (newest["kgco2e_per_unit"], newest["status"], newest["valid_from"], newest["valid_to"]) == (
        "0.5306", "to-verify", "2026-01-15", None)
    assert items["meal_beef"]["source"].endswith("year of element 20689")  # what is missing, last
    assert all(f["status"] and f["source_reference"] and f["status_title"] for f in items.values())
    chinese = client.get("/api/v1/emission-factors").get_json()["items"][0]
    assert chinese["status_title"] == "已与原始出处核对"


def test_factor_page_is_public_and_shows_each_status_and_full_source(client):
    page = client.get("/public/factors?lang=en")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert not INLINE_SCRIPT_RE.search(text)  # CSP: no inline script
    assert "Factor set #1" in text and "in force" in text
    for factor in accounting.factors():
        assert f'id="{factor.key}"' in text and str(escape(factor.source)) in text
    row = text[text.index('id="hotel_room_night"'):]
    row = row[:row.index("</tr>")]
    assert "Verified against the primary publication" in row and "29_600_4009_13_1" in row
    assert "no Chinese per-room-night factor" in row
    row = text[text.index('id="grid_electricity_national_2023"'):]
    assert "for events from 2026-01-15" in row[:row.index("</tr>")]
    chinese = client.get("/public/factors").get_data(as_text=True)  # Chinese by default
    assert ">排放因子</h1>" in chinese and "排放因子集第1版" in chinese and ">现行<" in chinese


def test_factor_page_shows_older_versions_unchanged(client):
    accounting.ensure_default_factor_set()
    accounting.import_factor_csv(DEFAULT_FACTOR_FILE.read_text(encoding="utf-8").replace(
        ",0.5306,", ",0.5399,"), note="local correction")
    from models import db

    db.session.commit()
    newest = client.get("/public/factors?lang=en").get_data(as_text=True)
    assert "Factor set #2" in newest and "0.5399" in newest and 'href="/public/factors?set=1"' in newest
    first = client.get("/public/factors?set=1&lang=en").get_data(as_text=True)
    assert "Factor set #1" in first and "0.5306" in first and "0.5399" not in first
    assert "in force" not in first


@pytest.mark.parametrize("number", ["0", "3", "-1", "abc", "1.0", "９", "99999999999999999999", ""])
def test_unknown_factor_set_is_404_not_500(client, number):
    accounting.ensure_default_factor_set()
    from models import db

    db.session.commit()
    assert client.get(f"/public/factors?set={number}").status_code == 404


def test_task_form_options_name_status_and_source(client, auth, demo):
    """An organizer picking an emission source can read, by pointing at it, its status and exact source."""
    event = register(600)
    task = open_task(event, "prepare_plan")
    auth.login("organizer")
    text = client.get(f"/tasks/{task.id}?lang=en").get_data(as_text=True)
    options = {m[1]: (html_lib.unescape(m[0] + m[2]), m[3]) for m in OPTION_RE.findall(text)}
    attributes, label = options["hotel_room_night"]
    assert "not yet verified" not in label  # verified against the DESNZ 2025 flat file (issue #16)
    assert "title=\"Verified against the primary publication: UK DESNZ" in attributes
    assert "factor ID 29_600_4009_13_1" in attributes
    attributes, label = options["meal_standard"]
    assert "not yet verified against its source" in label and "To be verified" in attributes
    attributes, _ = options["grid_electricity_national_2023"]
    assert "for events from 2026-01-15" in attributes
    assert 'href="/public/factors"' in text
