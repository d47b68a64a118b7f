"""The disclosures as open data (R-DIS-1, R-PLAT-1, issue #22): CSV and JSON downloads, the Atom feed,
the DCAT catalogue entry — only what the public pages show, nothing of an unpublished event."""

from __future__ import annotations

import csv
import io
import json
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from defusedxml import ElementTree

from models import db
from models.db import utcnow
from processes.localtime import local
from tests.registry.conftest import VERRA, VERRA_HENGTONG, VERRA_NOBODY, cancel, import_file

pytestmark = pytest.mark.usefixtures("demo")
ATOM = "{http://www.w3.org/2005/Atom}"


@pytest.fixture()
def published(events):  # noqa: ANN001,ANN201
    """The first event public (plan published yesterday) with two lines at Verra; the second not public,
    with a line of its own."""
    first, second = events
    first.plan_published_at = utcnow() - timedelta(days=1)
    first.name = '=HYPERLINK("x") <运河&博览会>'  # formula and markup characters in a name
    db.session.commit()
    confirmed = cancel(first, VERRA_NOBODY, 425, donor="张三")
    conflict = cancel(first, VERRA_HENGTONG, 2608)
    hidden = cancel(second, "20001-950000001-950000010-VCS-VCU-1-VER-CN-1-7001-01012020-31122020-0", 10,
                    actor="organizer2")
    import_file(VERRA)
    return first, second, {"confirmed": confirmed, "conflict": conflict, "hidden": hidden}


def rows(client, url: str) -> list[dict[str, str]]:  # noqa: ANN001
    response = client.get(url)
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    return list(csv.DictReader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))


def test_r_dis_1_events_csv_lists_public_events_only_with_confirmed_tonnes(client, published):
    first, second, _lines = published
    [row] = rows(client, "/public/data/events.csv")
    assert row["id"] == str(first.id) and row["name"].startswith("'=")  # never run as a formula
    assert (row["cancelled_tco2e"], row["registry_confirmed_tco2e"]) == ("3033.000", "425.000")
    assert str(second.id) not in {r["id"] for r in rows(client, "/public/data/events.csv")}


def test_r_dis_1_cancellations_csv_and_json_disclose_no_donor_and_no_one_elses_retirement(client, published):
    _first, _second, lines = published
    listed = {int(r["id"]): r for r in rows(client, "/public/data/cancellations.csv")}
    assert set(listed) == {lines["confirmed"].id, lines["conflict"].id}  # never the unpublished event's line
    confirmed, conflict = listed[lines["confirmed"].id], listed[lines["conflict"].id]
    assert (confirmed["registry_status"], confirmed["registry_record_date"]) == ("confirmed", "2026-04-10")
    assert confirmed["registry_data_of"] == local(utcnow()).date().isoformat()
    assert (conflict["registry_status"], conflict["registry_record_beneficiary"]) == ("conflict", "")
    text = client.get("/public/data/cancellations.csv").get_data(as_text=True)
    assert "张三" not in text and "亨通" not in text and "donor" not in text
    document = json.loads(client.get("/public/data/cancellations.json").get_data(as_text=True))
    assert document["dataset"] == "cancellations" and document["licence"].startswith("https://creativecommons.org/")
    assert [i["id"] for i in document["items"]] == sorted(listed)
    assert document["items"][0]["quantity_tco2e"] == "425.000"  # tonnes as decimal strings


def test_r_plat_1_the_atom_feed_announces_plans_and_cancellations_newest_first(client, published):
    first, _second, lines = published
    response = client.get("/public/data/feed.atom")
    assert response.status_code == 200 and response.mimetype == "application/atom+xml"
    feed = ElementTree.fromstring(response.data)  # names with < & > are escaped
    entries = feed.findall(f"{ATOM}entry")
    ids = [e.find(f"{ATOM}id").text for e in entries]
    assert ids[0].endswith(f"#cancellation:{lines['conflict'].id}") and ids[-1].endswith(f"#event:{first.id}:plan")
    assert len(ids) == 3 and not any(f"cancellation:{lines['hidden'].id}" in i for i in ids)
    titles = [e.find(f"{ATOM}title").text for e in entries]
    assert any("<运河&博览会>" in t for t in titles)
    updated = [e.find(f"{ATOM}updated").text for e in entries]
    assert updated == sorted(updated, reverse=True) and feed.find(f"{ATOM}updated").text == updated[0]


def test_r_plat_1_the_dcat_entry_names_an_open_licence_the_update_date_and_working_downloads(client, published):
    response = client.get("/public/data/catalog.jsonld")
    assert response.status_code == 200 and response.mimetype == "application/ld+json"
    catalog = response.get_json(force=True)
    assert catalog["@type"] == "dcat:Catalog" and catalog["dct:license"]["@id"].startswith("https://creativecommons")
    [dataset] = catalog["dcat:dataset"]
    assert dataset["dct:modified"]["@value"] == local(utcnow()).date().isoformat()
    media = {d["dcat:mediaType"] for d in dataset["dcat:distribution"]}
    assert media == {"text/csv", "application/json", "application/atom+xml"}
    for distribution in dataset["dcat:distribution"]:
        url = distribution["dcat:downloadURL"]["@id"]
        assert url.startswith("https://tanzhong.test/public/data/")  # PUBLIC_BASE_URL: stable for harvesters
        assert client.get(urlsplit(url).path).status_code == 200


def test_r_plat_1_open_data_page_links_everything_without_sign_in(client, published):
    html = client.get("/public/data").get_data(as_text=True)
    for url in ("/public/data/events.csv", "/public/data/events.json", "/public/data/cancellations.csv",
                "/public/data/cancellations.json", "/public/data/feed.atom", "/public/data/catalog.jsonld"):
        assert url in html
    assert 'rel="license"' in html and 'type="application/atom+xml"' in html


def test_r_plat_1_open_data_of_an_empty_platform(client):
    assert rows(client, "/public/data/events.csv") == []
    assert json.loads(client.get("/public/data/events.json").get_data(as_text=True))["items"] == []
    assert ElementTree.fromstring(client.get("/public/data/feed.atom").data).findall(f"{ATOM}entry") == []
    assert client.get("/public/data/catalog.jsonld").status_code == 200
    assert client.get("/public/data/other.csv").status_code == 404


def test_r_plat_1_downloads_name_their_charset_once(client, published):  # noqa: ANN001
    response = client.get("/public/data/events.csv")
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
