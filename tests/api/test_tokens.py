"""API tokens and the JSON error format (issue #2, API.md conventions)."""

from __future__ import annotations

from models import ApiToken, db


def test_token_auth_401_without_200_with_401_after_revocation(client, demo, api_token):
    assert client.get("/api/v1/me").status_code == 401
    headers = api_token("organizer")
    response = client.get("/api/v1/me", headers=headers)
    assert response.status_code == 200 and response.get_json()["username"] == "organizer"
    assert client.delete("/api/v1/tokens/current", headers=headers).status_code == 204
    response = client.get("/api/v1/me", headers=headers)
    assert response.status_code == 401
    assert response.get_json()["error"] == "unauthorized"


def test_only_a_hash_of_the_token_is_stored(client, demo, api_token):
    raw = api_token("eeb")["Authorization"].split()[1]
    stored = db.session.execute(db.select(ApiToken.token_hash)).scalars().all()
    assert stored and raw not in stored and all(len(h) == 64 for h in stored)


def test_wrong_credentials_give_generic_401_json(client, demo):
    response = client.post("/api/v1/tokens", json={"username": "organizer", "password": "nope-nope"})
    assert response.status_code == 401
    assert response.get_json()["error"] == "unauthorized"
    unknown = client.post("/api/v1/tokens", json={"username": "ghost", "password": "nope-nope"})
    assert unknown.get_json()["message"] == response.get_json()["message"]


def test_missing_fields_give_422_with_field_errors(client, demo):
    response = client.post("/api/v1/tokens", json={"username": "organizer"})
    assert response.status_code == 422
    body = response.get_json()
    assert body["error"] == "invalid" and "password" in body["fields"]


def test_unknown_api_path_answers_json_404(client):
    response = client.get("/api/v1/nothing-here")
    assert response.status_code == 404 and response.get_json()["error"] == "not_found"


def test_revoking_someone_elses_token_id_is_404(client, demo, api_token):
    mine = api_token("organizer")
    api_token("organizer2")
    other_id = db.session.execute(db.select(ApiToken.id).order_by(ApiToken.id.desc())).scalars().first()
    assert client.delete(f"/api/v1/tokens/{other_id}", headers=mine).status_code == 404


def test_openapi_document_is_served(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    assert spec["openapi"].startswith("3.1") and "/tokens" in spec["paths"]


def test_openapi_lists_every_api_route(client, app):
    spec = client.get("/api/v1/openapi.json").get_json()
    documented = {(path, method) for path, ops in spec["paths"].items() for method in ops}
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith("api.") and rule.endpoint != "api.openapi_json":
            path = rule.rule.removeprefix("/api/v1").replace("<int:", "{").replace(">", "}")
            for method in rule.methods - {"HEAD", "OPTIONS"}:
                assert (path, method.lower()) in documented, (path, method)
    assert "organizers" in spec["paths"]["/events"]["post"]["requestBody"]["content"]["application/json"]["schema"][
        "properties"]


# --------------------------------------------------------------------------- expiry, names, listing (issue #17)
def _expire(token_id: int, seconds_from_now: float) -> None:
    from datetime import timedelta

    from models.db import utcnow

    db.session.get(ApiToken, token_id).expires_at = utcnow() + timedelta(seconds=seconds_from_now)
    db.session.commit()


def test_a_token_expires_after_the_configured_days(client, demo, app, monkeypatch):
    from datetime import timedelta

    from models.db import utcnow

    monkeypatch.setitem(app.config, "API_TOKEN_DAYS", 7)
    before = utcnow()
    body = client.post("/api/v1/tokens", json={"username": "organizer", "password": "demo12345",
                                               "name": "nightly export"}).get_json()
    assert body["name"] == "nightly export" and body["state"] == "active"
    from datetime import datetime

    expires = datetime.fromisoformat(body["expires_at"])
    assert before + timedelta(days=7) <= expires <= utcnow() + timedelta(days=7)
    headers = {"Authorization": f"Bearer {body['token']}"}
    _expire(body["id"], 60)
    assert client.get("/api/v1/me", headers=headers).status_code == 200
    _expire(body["id"], -1)
    response = client.get("/api/v1/me", headers=headers)
    assert response.status_code == 401 and response.get_json()["error"] == "unauthorized"


def test_default_expiry_is_ninety_days(client, demo, app):
    assert app.config["API_TOKEN_DAYS"] == 90


def test_list_shows_own_tokens_with_name_expiry_and_last_use_never_the_value(client, demo, api_token):
    mine = api_token("organizer")
    raw = mine["Authorization"].split()[1]
    api_token("organizer2")
    client.get("/api/v1/me", headers=mine)
    body = client.get("/api/v1/tokens", headers=mine).get_json()
    assert len(body["items"]) == 1
    item = body["items"][0]
    assert item["state"] == "active" and item["last_used_at"] and item["expires_at"]
    text = client.get("/api/v1/tokens", headers=mine).get_data(as_text=True)
    stored = db.session.execute(db.select(ApiToken.token_hash)).scalars().all()
    assert raw not in text and not any(h in text for h in stored)
    assert client.get("/api/v1/tokens").status_code == 401


def test_revoked_tokens_are_listed_as_revoked(client, demo, api_token):
    first, second = api_token("organizer"), api_token("organizer")
    client.delete("/api/v1/tokens/current", headers=first)
    states = {i["state"] for i in client.get("/api/v1/tokens", headers=second).get_json()["items"]}
    assert states == {"active", "revoked"}


def test_the_old_label_field_still_names_a_token(client, demo):
    body = client.post("/api/v1/tokens", json={"username": "organizer", "password": "demo12345",
                                               "label": "ci"}).get_json()
    assert body["name"] == "ci"


def test_token_name_is_bounded(client, demo):
    body = client.post("/api/v1/tokens", json={"username": "organizer", "password": "demo12345",
                                               "name": "x" * 5000}).get_json()
    assert len(body["name"]) == 100


def test_token_page_creates_shows_once_lists_and_revokes(client, auth, demo):
    from tests.conftest import csrf_token

    auth.login("organizer")
    token = csrf_token(client, "/account/tokens")
    html = client.post("/account/tokens?lang=en", data={"csrf_token": token, "name": "report script"}
                       ).get_data(as_text=True)
    raw = html.split("<code class=\"user-select-all\">")[1].split("</code>")[0]
    assert raw.startswith("tz_") and "report script" in html
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {raw}"}).status_code == 200
    listing = client.get("/account/tokens").get_data(as_text=True)
    assert raw not in listing and "report script" in listing
    token_id = db.session.execute(db.select(ApiToken.id)).scalar_one()
    assert client.post(f"/account/tokens/{token_id}/revoke", data={"csrf_token": token}).status_code == 302
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {raw}"}).status_code == 401


def test_token_page_cannot_revoke_another_users_token(client, auth, demo, api_token):
    from tests.conftest import csrf_token

    others = api_token("organizer2")
    other_id = db.session.execute(db.select(ApiToken.id)).scalar_one()
    auth.login("organizer")
    form = csrf_token(client, "/account/tokens")
    response = client.post(f"/account/tokens/{other_id}/revoke", data={"csrf_token": form})
    assert response.status_code == 404
    assert client.get("/api/v1/me", headers=others).status_code == 200
