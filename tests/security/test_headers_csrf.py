"""CSRF on every HTML form, the API immune to cookie-borne requests, and the security headers on
HTML, JSON, static files, downloads and error pages (CSP without inline script, no framing, no
sniffing, a referrer policy). Pages must also work under that CSP: no inline script or handler."""

from __future__ import annotations

import re
import secrets

import pytest
from sqlalchemy import func, select

from models import Comment, db
from tests.conftest import CSRF_RE
from tests.security.conftest import PRINCIPALS, bearer, session_client
from tests.security.matrix_harness import LOGIN, build_url, route_keys, rules_of
from tests.security.pages import crawl
from tests.security.test_authorization_matrix import MATRIX, ROUTE_APP, entry_for

FORM_POSTS = sorted((endpoint, method, rule.rule) for endpoint, method in route_keys(ROUTE_APP)
                    for rule in rules_of(ROUTE_APP, endpoint, method)
                    if method != "GET" and not rule.rule.startswith("/api/"))


def _allowed_principal(endpoint: str, method: str, rule: str) -> str:
    """Someone the matrix lets in (so a 400 is the token's doing, not a refusal)."""
    entry = entry_for(endpoint, method, rule)
    assert entry is not None, f"{endpoint} {method} is not in the authorization matrix"
    for principal, status in entry.expect.items():
        if principal != "anon" and status not in (LOGIN, 401, 403, 404):
            return principal
    return "organizer"


@pytest.mark.parametrize(("endpoint", "method", "rule"), FORM_POSTS, ids=[f"{e} {m} {r}" for e, m, r in FORM_POSTS])
def test_form_post_without_csrf_token_is_rejected(app, world, endpoint, method, rule):  # noqa: ANN001
    principal = _allowed_principal(endpoint, method, rule)
    target = next(r for r in rules_of(app, endpoint, method) if r.rule == rule)
    entry = MATRIX.get((endpoint, method, rule)) or MATRIX[(endpoint, method)]
    data = entry.data(world) if callable(entry.data) else dict(entry.data or {})
    client = session_client(app, PRINCIPALS[principal])
    url = build_url(app, target, world, PRINCIPALS[principal], entry.args)
    for attempt in (data, data | {"csrf_token": "forged-token"}):
        response = client.open(url, method=method, data=attempt)
        assert response.status_code == 400, (principal, url, attempt, response.status_code)
        assert "security token" in response.get_data(as_text=True) or "安全" in response.get_data(as_text=True)


def test_a_real_token_is_accepted(app, world):  # noqa: ANN001
    client = session_client(app, "organizer")
    html = client.get(f"/events/{world.event_id}").get_data(as_text=True)
    token = next(m.group(1) or m.group(2) for m in CSRF_RE.finditer(html))
    response = client.post(f"/events/{world.event_id}/comments", data={"csrf_token": token, "body": "有效"})
    assert response.status_code == 302
    assert db.session.execute(select(func.count(Comment.id))).scalar() == 1


def test_another_sessions_token_is_rejected(app, world):  # noqa: ANN001
    """A token is bound to its session: one read from the attacker's own session does not work."""
    attacker = session_client(app, "organizer2")
    html = attacker.get("/account/password").get_data(as_text=True)
    stolen = next(m.group(1) or m.group(2) for m in CSRF_RE.finditer(html))
    victim = session_client(app, "organizer")
    response = victim.post(f"/events/{world.event_id}/comments", data={"csrf_token": stolen, "body": "csrf"})
    assert response.status_code == 400


def test_the_api_ignores_the_session_cookie(app, world):  # noqa: ANN001
    """The API is exempt from CSRF only because cookies never authenticate it (bearer tokens only)."""
    client = session_client(app, "organizer")
    assert client.get("/tasks/").status_code == 200  # the cookie is a valid session for pages
    assert client.get("/api/v1/me").status_code == 401
    assert client.post("/api/v1/events", json={"name": "csrf"}).status_code == 401
    assert client.post(f"/api/v1/tasks/{world.task_id}/complete", json={"decision": "approve"}).status_code == 401


def test_every_post_form_on_every_page_carries_a_token(app, world):  # noqa: ANN001
    missing, posts, pages = [], 0, 0
    for page in crawl(app, world):
        if page.parsed is None or page.status != 200:
            continue
        pages += 1
        for form in page.parsed.forms:
            if form.method == "post":
                posts += 1
                if "csrf_token" not in form.inputs:
                    missing.append(f"{page.principal} {page.url}: form → {form.action}")
    assert not missing, missing
    assert pages > 50 and posts > 50, (pages, posts)  # the crawl really saw the pages and their forms


def test_pages_have_no_inline_script_or_handlers(app, world):  # noqa: ANN001
    """The CSP forbids inline script: a page relying on it would be broken (and a risk if allowed)."""
    found = []
    for page in crawl(app, world):
        if page.parsed is None:
            continue
        found += [f"{page.url}: inline <script>{s[:60]!r}" for s in page.parsed.inline_scripts if s.strip()]
        found += [f"{page.url}: {h}" for h in page.parsed.handler_attributes + page.parsed.javascript_urls]
    assert not found, sorted(set(found))


# ---------------------------------------------------------------------------------------- headers
def assert_security_headers(response, what: str) -> None:  # noqa: ANN001
    headers = response.headers
    csp = headers.get("Content-Security-Policy", "")
    directives = {part.split()[0]: part.split()[1:] for part in (p.strip() for p in csp.split(";")) if part}
    script_src = directives.get("script-src", directives.get("default-src"))
    assert script_src, f"{what}: no script-src/default-src in CSP {csp!r}"
    assert "'unsafe-inline'" not in script_src and "'unsafe-eval'" not in script_src, f"{what}: {csp}"
    assert "*" not in script_src and "data:" not in script_src, f"{what}: {csp}"
    assert directives.get("object-src") == ["'none'"], f"{what}: {csp}"
    framing = directives.get("frame-ancestors")
    assert framing in (["'none'"], ["'self'"]) or headers.get("X-Frame-Options") in ("DENY", "SAMEORIGIN"), what
    assert headers.get("X-Frame-Options") in ("DENY", "SAMEORIGIN"), what  # old browsers ignore frame-ancestors
    assert headers.get("X-Content-Type-Options") == "nosniff", what
    assert headers.get("Referrer-Policy") in ("same-origin", "no-referrer", "strict-origin",
                                              "strict-origin-when-cross-origin"), what


def test_security_headers_on_every_kind_of_response(app, world):  # noqa: ANN001
    anon = session_client(app, None)
    organizer = session_client(app, "organizer")
    responses = {
        "HTML page": anon.get("/login"),
        "HTML page, signed in": organizer.get(f"/events/{world.event_id}"),
        "redirect": anon.get("/tasks/"),
        "HTML 404": organizer.get("/events/999999"),
        "HTML 403": organizer.get("/admin/users"),
        "JSON": anon.get("/api/v1/openapi.json"),
        "JSON signed in": anon.get("/api/v1/me", headers=bearer("organizer")),
        "JSON 401": anon.get("/api/v1/me"),
        "JSON 404": anon.get("/api/v1/events/999999", headers=bearer("organizer")),
        "static CSS": anon.get("/static/css/app.css"),
        "static JS": anon.get("/static/js/diagram.js"),
        "download": organizer.get(f"/events/{world.event_id}/files/{world.upload_id}"),
        "XML": organizer.get(f"/events/{world.event_id}/diagram.bpmn"),
        "public page": anon.get("/public/"),
    }
    for what, response in responses.items():
        assert response.status_code < 500, what
        assert_security_headers(response, what)
    assert responses["JSON"].mimetype == "application/json"
    assert responses["download"].headers["Content-Disposition"].startswith("attachment")


def test_every_crawled_page_has_the_headers(app, world):  # noqa: ANN001
    for page in crawl(app, world, principals=("anon", "organizer", "admin")):
        class _Response:  # the crawl keeps headers only
            headers = page.headers

        assert_security_headers(_Response, f"{page.principal} {page.url} ({page.status})")


def test_session_cookie_flags(app, demo):  # noqa: ANN001
    client = session_client(app, None)
    token = next(m.group(1) or m.group(2) for m in CSRF_RE.finditer(client.get("/login").get_data(as_text=True)))
    response = client.post("/login", data={"csrf_token": token, "username": "organizer", "password": "demo12345"})
    assert response.status_code == 302
    cookie = next(c for c in response.headers.getlist("Set-Cookie") if c.startswith("session="))
    assert "HttpOnly" in cookie and re.search(r"SameSite=(Lax|Strict)", cookie), cookie


def test_production_cookies_are_secure(monkeypatch):  # noqa: ANN001
    from config import ProductionConfig

    monkeypatch.setenv("SECRET_KEY", secrets.token_hex(32))
    monkeypatch.delenv("SESSION_COOKIE_SECURE", raising=False)
    config = ProductionConfig()
    assert config.SESSION_COOKIE_SECURE is True and config.SESSION_COOKIE_HTTPONLY is True
    assert config.REMEMBER_COOKIE_SECURE is True


def test_nul_bytes_in_input_are_refused_naming_the_field_not_a_server_error(client):
    """The API answers 422 naming each field that holds a NUL (issue #15); a page answers 400."""
    response = client.get("/api/v1/public/events?county=%E4%BB%BB%00")
    assert response.status_code == 422 and list(response.get_json()["fields"]) == ["county"]
    response = client.post("/api/v1/tokens", data='{"username": "a\\u0000", "password": "x"}',
                           content_type="application/json")
    assert response.status_code == 422 and list(response.get_json()["fields"]) == ["username"]
    assert client.get("/public/events?county=%00").status_code == 400
