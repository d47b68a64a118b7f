"""Sign-in, lockout, sign-out, CSRF, role pages (issue #2)."""

from __future__ import annotations

from models import User, db
from tests.conftest import csrf_token

GENERIC = "Sign-in failed"
GENERIC_ZH = "登录失败"


def _failure_message(html: str) -> bool:
    return GENERIC in html or GENERIC_ZH in html


def test_login_success_lands_on_empty_my_events_in_chinese(client, auth, demo):
    response = auth.login("organizer", follow=True)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'lang="zh-CN"' in html
    assert "我的活动" in html
    assert "您还没有登记任何活动" in html


def test_language_switch_to_english_and_back(client, auth, demo):
    auth.login("organizer")
    html = client.get("/language/en?next=/events/mine", follow_redirects=True).get_data(as_text=True)
    assert 'lang="en"' in html and "My events" in html
    html = client.get("/language/zh_Hans_CN?next=/events/mine", follow_redirects=True).get_data(as_text=True)
    assert "我的活动" in html


def test_language_switch_refuses_open_redirect(client):
    response = client.get("/language/en?next=https://evil.example/")
    assert response.headers["Location"] == "/"


def test_wrong_password_unknown_user_and_locked_account_give_the_same_message(client, auth, demo, app):
    wrong = auth.login("organizer", "wrong-password").get_data(as_text=True)
    unknown = auth.login("nobody-here", "whatever-pass").get_data(as_text=True)
    for _ in range(app.config["LOGIN_MAX_FAILURES"]):
        auth.login("drc", "wrong-password")
    locked = auth.login("drc").get_data(as_text=True)  # right password, but locked
    for html in (wrong, unknown, locked):
        assert _failure_message(html)
    assert "Sign out" not in locked and "退出" not in locked


def test_account_locks_after_repeated_failures_and_audits_it(client, auth, demo, app):
    for _ in range(app.config["LOGIN_MAX_FAILURES"]):
        auth.login("finance", "wrong-password")
    user = db.session.execute(db.select(User).filter_by(username="finance")).scalar_one()
    assert user.locked_until is not None
    response = auth.login("finance")
    assert response.status_code == 200 and _failure_message(response.get_data(as_text=True))
    from models import AuditEntry

    actions = db.session.execute(db.select(AuditEntry.action)).scalars().all()
    assert "account.locked" in actions


def test_logout_ends_the_session(client, auth, demo):
    auth.login("organizer")
    assert client.get("/events/mine").status_code == 200
    auth.logout()
    response = client.get("/events/mine")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_form_post_without_csrf_token_is_rejected(client, demo):
    response = client.post("/login", data={"username": "organizer", "password": "demo12345"})
    assert response.status_code == 400
    assert client.get("/events/mine").status_code == 302  # not signed in


def test_page_of_another_role_answers_403(client, auth, demo):
    auth.login("organizer")
    assert client.get("/admin/users").status_code == 403
    assert client.get("/audit/").status_code == 403


def test_navigation_shows_only_what_the_role_may_use(client, auth, demo):
    auth.login("auditor")
    html = client.get("/audit/", query_string={"lang": "en"}).get_data(as_text=True)
    assert "Audit trail" in html and "/admin/users" not in html and "/events/mine" not in html


def test_change_password_keeps_typed_fields_and_works(client, auth, demo):
    auth.login("organizer")
    token = csrf_token(client, "/account/password")
    bad = client.post("/account/password?lang=en", data={
        "csrf_token": token, "current_password": "wrong-one", "new_password": "newpass123", "confirm": "newpass123"})
    assert "Current password is wrong" in bad.get_data(as_text=True)
    ok = client.post("/account/password", data={
        "csrf_token": token, "current_password": "demo12345", "new_password": "newpass123", "confirm": "newpass123"})
    assert ok.status_code == 302
    auth.logout()
    assert auth.login("organizer", "newpass123").status_code == 302


def test_session_cookie_is_httponly_and_samesite_lax(client, auth, demo):
    response = auth.login("organizer")
    cookie = response.headers.get("Set-Cookie", "")
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_security_headers_present(client):
    response = client.get("/")
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    assert "unsafe-inline" not in response.headers["Content-Security-Policy"].split("script-src")[1].split(";")[0]
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_friendly_404_in_both_languages(client):
    assert "404" in client.get("/no-such-page").get_data(as_text=True)
    assert "Not found" in client.get("/no-such-page?lang=en").get_data(as_text=True)
    assert "未找到" in client.get("/no-such-page").get_data(as_text=True)
