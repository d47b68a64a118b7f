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
