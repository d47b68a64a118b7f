"""The surfaces of the registry cross-check (issue #22): the EEB upload page, the API, the ledger's
fields, the supervision page and its XLSX (one sheet per registry, R-CAN-1), the event page, and
the public page and JSON ("registry-confirmed" with the import's date)."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from models import db
from models.db import utcnow
from models.registry import RegistryImport
from tests.conftest import csrf_token
from tests.registry.conftest import GOLD, VERRA, VERRA_ABSENT, VERRA_HENGTONG, VERRA_NOBODY, cancel, import_file

pytestmark = pytest.mark.usefixtures("demo")


@pytest.fixture()
def scenario(events):  # noqa: ANN001,ANN201
    """Three lines at Verra: one confirmed, one retired for someone else, one absent; the first event's
    plan is published (so it is public)."""
    first, second = events
    first.plan_published_at = utcnow()
    rows = {"confirmed": cancel(first, VERRA_NOBODY, 425), "conflict": cancel(second, VERRA_HENGTONG, 2608,
                                                                               actor="organizer2"),
            "not_found": cancel(first, VERRA_ABSENT, 69)}
    db.session.commit()
    return first, second, rows


def upload(client, data: bytes, registry: str = "verra", **extra: str):  # noqa: ANN001,ANN201
    token = csrf_token(client, "/registry/imports")
    form = {"csrf_token": token, "registry": registry, "file": (io.BytesIO(data), "export.csv"), **extra}
    return client.post("/registry/imports", data=form, content_type="multipart/form-data")


def imports() -> int:
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(RegistryImport))


def test_r_can_2_eeb_staff_upload_an_export_and_see_rows_and_statuses(client, auth, scenario):
    auth.login("eeb_rencheng")
    response = upload(client, VERRA.read_bytes(), source="Verra transactions export, 2026-04-15")
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "30" in page and "Registry-confirmed" not in page  # Chinese by default
    assert "登记簿已确认" in page and "与登记簿数据冲突" in page and "孔子文化节论坛" in page  # the conflict listed
    imported = db.session.execute(select(RegistryImport)).scalar_one()
    assert (imported.channel, imported.imported_by.username) == ("web", "eeb_rencheng")


def test_r_can_2_a_refused_upload_shows_each_line_and_imports_nothing(client, auth, scenario):
    auth.login("eeb")
    response = upload(client, GOLD.read_bytes(), registry="verra")
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and "Gold Standard" in page
    broken = VERRA.read_text(encoding="utf-8").replace("19385-941467007", "19385-94146700X", 1).encode()
    page = upload(client, broken).get_data(as_text=True)
    assert "第 2 行" in page and "Serial Number" in page
    assert imports() == 0


@pytest.mark.parametrize("username", ["commerce", "organizer", "auditor", "admin"])
def test_r_can_2_only_the_ecology_and_environment_bureau_imports(client, auth, scenario, username):
    auth.login(username)
    assert client.get("/registry/imports").status_code == 403
    response = client.post("/registry/imports", data={"registry": "verra", "file": (io.BytesIO(b"x"), "x.csv")},
                           content_type="multipart/form-data")
    assert response.status_code in (400, 403)  # 400: no CSRF token, refused before anything else
    assert imports() == 0


def test_r_can_2_api_import_is_201_with_id_rows_ranges_and_listed(client, api_token, scenario):
    eeb = api_token("eeb_rencheng")
    response = client.post("/api/v1/registry-imports", headers=eeb, content_type="multipart/form-data",
                           data={"registry": "verra", "file": (io.BytesIO(VERRA.read_bytes()), "verra.csv")})
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert (body["rows"], body["ranges"]) == (30, 30) and isinstance(body["id"], int)
    listed = client.get("/api/v1/registry-imports", headers=api_token("auditor")).get_json()["items"]
    assert [i["id"] for i in listed] == [body["id"]] and listed[0]["imported_by"] == "eeb_rencheng"


@pytest.mark.parametrize(("data", "field"), [
    ({"registry": "verra"}, "file"),
    ({"registry": "nasdaq", "file": (io.BytesIO(b"a,b\n"), "x.csv")}, "registry"),
    ({"registry": "verra", "file": (io.BytesIO(b"a,b\n1,2\n"), "x.csv")}, "file"),
    ({"registry": "verra", "file": (io.BytesIO(b"a\n"), "x.csv"), "sheet": "1"}, "sheet"),
    ({"registry": "sd_inclusion_platform", "file": (io.BytesIO(b"a\n"), "x.csv")}, "column_serial"),
])
def test_r_can_2_api_bad_input_is_422_naming_the_field(client, api_token, data, field):
    response = client.post("/api/v1/registry-imports", headers=api_token("eeb"), content_type="multipart/form-data",
                           data=data)
    assert response.status_code == 422 and field in response.get_json()["fields"], response.get_json()


def test_r_can_2_api_refuses_other_departments_and_organizers(client, api_token):
    for username, status in (("commerce", 403), ("organizer", 403), ("auditor", 403)):
        response = client.post("/api/v1/registry-imports", headers=api_token(username),
                               content_type="multipart/form-data",
                               data={"registry": "verra", "file": (io.BytesIO(VERRA.read_bytes()), "v.csv")})
        assert response.status_code == status
    assert imports() == 0


def test_r_can_2_an_export_over_the_limit_is_413_naming_the_limit(app, client, api_token):
    app.config["REGISTRY_IMPORT_MAX_MB"] = 1
    try:
        big = b"x" * (2 * 1024 * 1024 + 10)
        response = client.post("/api/v1/registry-imports", headers=api_token("eeb"),
                               content_type="multipart/form-data",
                               data={"registry": "verra", "file": (io.BytesIO(big), "big.csv")})
        assert response.status_code == 413 and "1 MB" in response.get_json()["message"]
        just_over = b"x" * (1024 * 1024 + 1)
        response = client.post("/api/v1/registry-imports", headers=api_token("eeb"),
                               content_type="multipart/form-data",
                               data={"registry": "verra", "file": (io.BytesIO(just_over), "big.csv")})
        assert response.status_code == 413 and response.get_json()["fields"]["file"]
    finally:
        app.config["REGISTRY_IMPORT_MAX_MB"] = 200
    assert imports() == 0


def test_r_can_2_ledger_api_rows_carry_registry_status_and_record(client, api_token, scenario):
    _first, _second, rows = scenario
    import_file(VERRA)
    items = {i["id"]: i for i in client.get("/api/v1/ledger/cancellations", headers=api_token("eeb")).get_json()[
        "items"]}
    assert {items[r.id]["registry_status"] for r in rows.values()} == {"confirmed", "conflict", "not_found"}
    record = items[rows["confirmed"].id]["registry_record"]
    assert (record["serial"], record["date"], record["beneficiary"]) == (VERRA_NOBODY, "2026-04-10", None)
    assert items[rows["conflict"].id]["registry_record"]["beneficiary"].startswith("江苏亨通")
    assert items[rows["not_found"].id]["registry_record"] is None
    assert {"serial_from", "quantity_tco2e", "event_name", "overdue", "reversed"} <= set(items[rows["confirmed"].id])
    only = client.get("/api/v1/ledger/cancellations?registry_status=conflict", headers=api_token("auditor"))
    assert [i["id"] for i in only.get_json()["items"]] == [rows["conflict"].id]
    bad = client.get("/api/v1/ledger/cancellations?registry_status=fine", headers=api_token("auditor"))
    assert bad.status_code == 422 and "registry_status" in bad.get_json()["fields"]


def test_r_can_2_public_json_and_page_say_registry_confirmed_with_the_import_date(client, scenario):
    first, _second, rows = scenario
    before = client.get(f"/api/v1/public/events/{first.id}").get_json()["cancellations"]
    assert {c["registry_status"] for c in before} == {"no_data"}
    imported = import_file(VERRA)
    public = {c["serial_from"]: c for c in client.get(f"/api/v1/public/events/{first.id}").get_json()["cancellations"]}
    confirmed = public[VERRA_NOBODY]
    assert confirmed["registry_status"] == "confirmed"
    assert confirmed["registry_record"]["import_id"] == imported.id and confirmed["registry_record"]["imported_on"]
    assert set(confirmed["registry_record"]) == {"serial", "date", "beneficiary", "import_id", "imported_on"}
    assert public[VERRA_ABSENT] | {"registry_record": None} == public[VERRA_ABSENT]  # no record disclosed
    html = client.get(f"/public/events/{first.id}").get_data(as_text=True)
    assert 'data-registry-status="confirmed"' in html and confirmed["registry_record"]["imported_on"] in html


def test_r_can_2_public_json_never_shows_someone_elses_retirement(client, events):
    first, _second = events
    first.plan_published_at = utcnow()
    cancel(first, VERRA_HENGTONG, 2608)
    import_file(VERRA)
    [line] = client.get(f"/api/v1/public/events/{first.id}").get_json()["cancellations"]
    assert line["registry_status"] == "conflict" and line["registry_record"] is None
    assert "亨通" not in client.get(f"/public/events/{first.id}").get_data(as_text=True)


def test_r_can_2_supervision_page_filters_by_status_and_xlsx_has_one_sheet_per_registry(client, auth, scenario):
    _first, _second, rows = scenario
    cancel(scenario[0], "GS1-1-KE-GS11603-16-2025-30256-110-5463", 5354, registry="gold_standard")
    import_file(VERRA)
    auth.login("commerce")  # any department reads the ledger (R-CAN-1: reported to the competent department)
    page = client.get("/supervision/cancellations?registry_status=conflict").get_data(as_text=True)
    assert VERRA_HENGTONG in page and VERRA_NOBODY not in page
    response = client.get("/supervision/cancellations.xlsx")
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.data))
    assert book.sheetnames == ["Verra", "Gold Standard"]
    verra = list(book["Verra"].values)
    assert len(verra) == 4 and verra[0][0] == "台账序号"
    assert {row[18] for row in verra[1:]} == {"登记簿已确认", "与登记簿数据冲突", "登记簿数据中未找到"}


def test_r_can_2_the_event_page_shows_each_lines_registry_check(client, auth, scenario):
    first, _second, _rows = scenario
    import_file(VERRA)
    auth.login("organizer")
    html = client.get(f"/events/{first.id}").get_data(as_text=True)
    assert 'data-registry-status="confirmed"' in html and 'data-registry-status="not_found"' in html
