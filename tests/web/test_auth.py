"""Sign-in, lockout, sign-out, CSRF, role pages (issue #2)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from models import User, db
from processes.demo import DEMO_PASSWORD
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


def test_address_is_locked_out_of_the_account_after_repeated_failures_and_audited(client, auth, demo, app):
    for _ in range(app.config["LOGIN_MAX_FAILURES"]):
        auth.login("finance", "wrong-password")
    response = auth.login("finance")  # the right password, from the same address
    assert response.status_code == 200 and _failure_message(response.get_data(as_text=True))
    from models import AuditEntry

    entry = db.session.execute(db.select(AuditEntry).filter_by(action="account.locked")).scalar_one()
    assert entry.detail["username"] == "finance" and entry.detail["address"] == "127.0.0.1"


def _login_from(client, address: str, username: str, password: str = DEMO_PASSWORD):  # noqa: ANN001,ANN202
    token = csrf_token(client, "/login")
    return client.post("/login", data={"username": username, "password": password, "csrf_token": token},
                       environ_base={"REMOTE_ADDR": address})


def test_the_lock_holds_for_that_address_only_so_nobody_can_lock_a_person_out(client, demo, app):
    """Reproduction of the report: 5 wrong passwords from anywhere locked any known account for 15 minutes."""
    attacker = "203.0.113.66"
    for _ in range(app.config["LOGIN_MAX_FAILURES"] + 3):
        _login_from(client, attacker, "eeb", "guessing")
    assert _login_from(client, attacker, "eeb").status_code == 200  # the attacker's address: locked out
    assert _login_from(client, "198.51.100.20", "eeb").status_code == 302  # the person: signs in
    client.post("/logout", data={"csrf_token": csrf_token(client, "/account/password")})
    assert _login_from(client, attacker, "organizer2").status_code == 302  # other accounts from there: fine


def test_the_lock_counts_other_spellings_of_the_name_and_unknown_names_alike(client, demo, app):
    for spelling in ["EEB", " eeb", "Eeb ", "eeb", "eEb"][: app.config["LOGIN_MAX_FAILURES"]]:
        _login_from(client, "203.0.113.70", spelling, "guessing")
    assert _login_from(client, "203.0.113.70", "eeb").status_code == 200
    for _ in range(app.config["LOGIN_MAX_FAILURES"]):
        _login_from(client, "203.0.113.70", "nobody-here", "guessing")
    from models import AuditEntry

    locked = db.session.execute(db.select(AuditEntry.detail).filter_by(action="account.locked")).scalars().all()
    assert {d["username"] for d in locked} == {"eeb", "nobody-here"}  # an unknown name locks the same way


def test_the_lock_ends_after_the_lock_minutes(client, demo, app):
    from datetime import timedelta

    from models.db import utcnow
    from models.org import SignInFailure

    for _ in range(app.config["LOGIN_MAX_FAILURES"]):
        _login_from(client, "203.0.113.71", "drc", "guessing")
    assert _login_from(client, "203.0.113.71", "drc").status_code == 200
    db.session.execute(db.update(SignInFailure).values(locked_until=utcnow() - timedelta(seconds=1)))
    db.session.commit()
    assert _login_from(client, "203.0.113.71", "drc").status_code == 302


def test_a_successful_sign_in_forgets_earlier_failures(client, demo, app):
    for _ in range(app.config["LOGIN_MAX_FAILURES"] - 1):
        _login_from(client, "203.0.113.72", "goa", "guessing")
    assert _login_from(client, "203.0.113.72", "goa").status_code == 302
    client.post("/logout", data={"csrf_token": csrf_token(client, "/account/password")})
    _login_from(client, "203.0.113.72", "goa", "guessing")
    assert _login_from(client, "203.0.113.72", "goa").status_code == 302


def test_wrong_current_passwords_lock_the_form_and_end_the_session(client, auth, demo, app):
    """A stolen cookie does not become unlimited guesses of the password (counted like sign-in)."""
    auth.login("organizer")
    form = csrf_token(client, "/account/password")
    answers = [client.post("/account/password", data={
        "csrf_token": form, "current_password": f"guess-{n}", "new_password": "Quiet-harbour-1972",
        "confirm": "Quiet-harbour-1972"}) for n in range(app.config["LOGIN_MAX_FAILURES"])]
    assert [a.status_code for a in answers[:-1]] == [200] * (app.config["LOGIN_MAX_FAILURES"] - 1)
    assert answers[-1].status_code == 302 and "/login" in answers[-1].headers["Location"]
    assert not _signed_in(client)
    assert auth.login("organizer").status_code == 200  # this address is locked out of the account now
    assert _login_from(client, "198.51.100.21", "organizer").status_code == 302  # the owner elsewhere is not


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
        "csrf_token": token, "current_password": "wrong-one", "new_password": "Quiet-harbour-1972",
        "confirm": "Quiet-harbour-1972"})
    assert "Current password is wrong" in bad.get_data(as_text=True)
    ok = client.post("/account/password", data={
        "csrf_token": token, "current_password": "demo12345", "new_password": "Quiet-harbour-1972",
        "confirm": "Quiet-harbour-1972"})
    assert ok.status_code == 302
    auth.logout()
    assert auth.login("organizer", "Quiet-harbour-1972").status_code == 302


# --------------------------------------------------------------------------- passwords (issue #17)
WEAK = ["12345678", "1234567890", "newpass123", "password123", "qwertyuiop", "organizer2024!", "Organizer-2024",
        "TANZHONG2024", "aaaaaaaaaaaaaaaa", "jining-2024"]


@pytest.mark.parametrize("weak", WEAK)
def test_a_common_short_or_user_derived_new_password_is_refused(client, auth, demo, weak):
    auth.login("organizer")
    token = csrf_token(client, "/account/password")
    response = client.post("/account/password", data={
        "csrf_token": token, "current_password": "demo12345", "new_password": weak, "confirm": weak})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "太容易被猜到" in html or "至少10个字符" in html, weak
    auth.logout()
    assert auth.login("organizer").status_code == 302  # the password did not change


def test_the_refusal_is_said_in_english_too(client, auth, demo):
    auth.login("organizer")
    token = csrf_token(client, "/account/password")
    html = client.post("/account/password?lang=en", data={
        "csrf_token": token, "current_password": "demo12345", "new_password": "newpass123",
        "confirm": "newpass123"}).get_data(as_text=True)
    assert "Too easy to guess" in html


def test_a_password_made_from_the_display_name_is_refused(client, auth, demo):
    """The organizer's display name is 会展公司 王经理: a password containing it is user-derived."""
    auth.login("organizer")
    token = csrf_token(client, "/account/password")
    html = client.post("/account/password?lang=en", data={
        "csrf_token": token, "current_password": "demo12345", "new_password": "王经理的密码Xq93",
        "confirm": "王经理的密码Xq93"}).get_data(as_text=True)
    assert "Too easy to guess" in html


def test_the_administrator_cannot_create_an_account_with_a_weak_password(client, auth, demo):
    auth.login("admin")
    token = csrf_token(client, "/admin/users")
    form = {"csrf_token": token, "username": "zhang", "display_name": "张三", "role": "auditor",
            "department": "0", "organization": "0", "verifier_body": "0", "password": "zhang12345"}
    html = client.post("/admin/users?lang=en", data=form).get_data(as_text=True)
    assert "Too easy to guess" in html
    assert db.session.execute(db.select(User).filter_by(username="zhang")).scalar() is None
    form["password"] = "Orchid-lantern-river-58"
    assert client.post("/admin/users", data=form).status_code == 302
    assert db.session.execute(db.select(User).filter_by(username="zhang")).scalar() is not None


def test_flask_create_user_refuses_a_weak_password(runner, demo):
    result = runner.invoke(args=["create-user", "weakling", "--role", "auditor", "--password", "12345678"])
    assert result.exit_code != 0 and "password" in result.output.lower()
    assert db.session.execute(db.select(User).filter_by(username="weakling")).scalar() is None


@settings(max_examples=80, deadline=None)
@given(st.text(max_size=9))
def test_any_password_shorter_than_ten_characters_is_refused(app, password):
    from processes import accounts
    from processes.errors import Invalid

    with pytest.raises(Invalid) as refused:
        accounts.validate_password(password)
    assert "password" in refused.value.fields


@settings(max_examples=30, deadline=None)
@given(st.sampled_from(["organizer", "commerce", "verifier", "eeb_rencheng"]), st.integers(0, 9999),
       st.sampled_from(["", "!", "#", "-"]))
def test_a_username_with_digits_and_a_sign_is_refused(app, username, number, sign):
    from processes import accounts
    from processes.errors import Invalid

    with pytest.raises(Invalid):
        accounts.validate_password(f"{username.capitalize()}{sign}{number:04d}", (username,))


def test_the_demo_accounts_keep_the_documented_password(client, auth, demo):
    assert auth.login("verifier", "demo12345").status_code == 302


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


# --------------------------------------------------------------------------- sessions that end (issue #17)
def _cookie(client) -> str:  # noqa: ANN001
    cookie = client.get_cookie("session")
    assert cookie is not None
    return cookie.value


def _signed_in(client) -> bool:  # noqa: ANN001
    return client.get("/account/password").status_code == 200


def _second_client(app):  # noqa: ANN001,ANN202
    from tests.conftest import AuthActions, IsolatedClient

    other = IsolatedClient(app, app.response_class, use_cookies=True)
    return other, AuthActions(other)


def test_logout_ends_that_session_for_good_a_replayed_cookie_fails(client, auth, demo):
    auth.login("organizer")
    saved = _cookie(client)
    assert _signed_in(client)
    auth.logout()
    client.set_cookie("session", saved)  # the attacker's copy of the cookie, taken before sign-out
    response = client.get("/events/mine")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_logout_ends_only_that_session(client, auth, demo, app):
    other, other_auth = _second_client(app)
    auth.login("organizer")
    other_auth.login("organizer")
    auth.logout()
    assert not _signed_in(client)
    assert _signed_in(other)  # the same person on another device stays signed in


def test_password_change_ends_every_session_and_revokes_every_token(client, auth, demo, app, api_token):
    token = api_token("organizer")
    assert client.get("/api/v1/me", headers=token).status_code == 200
    other, other_auth = _second_client(app)
    other_auth.login("organizer")
    auth.login("organizer")
    saved = _cookie(client)
    form = csrf_token(client, "/account/password")
    response = client.post("/account/password", data={
        "csrf_token": form, "current_password": "demo12345", "new_password": "Quiet-harbour-1972",
        "confirm": "Quiet-harbour-1972"})
    assert response.status_code == 302
    assert _signed_in(client)  # the browser that changed it goes on, with a new session
    assert not _signed_in(other)  # the other device is signed out
    assert client.get("/api/v1/me", headers=token).status_code == 401  # the token issued before: revoked
    thief, _thief_auth = _second_client(app)
    thief.set_cookie("session", saved)  # a copy of this browser's cookie from before the change
    assert not _signed_in(thief)
    new = client.post("/api/v1/tokens", json={"username": "organizer", "password": "Quiet-harbour-1972"})
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {new.get_json()['token']}"}).status_code == 200


def test_wrong_current_password_ends_nothing(client, auth, demo, app, api_token):
    token = api_token("organizer")
    other, other_auth = _second_client(app)
    other_auth.login("organizer")
    auth.login("organizer")
    form = csrf_token(client, "/account/password")
    client.post("/account/password", data={"csrf_token": form, "current_password": "not-it-at-all",
                                            "new_password": "Quiet-harbour-1972", "confirm": "Quiet-harbour-1972"})
    assert _signed_in(other) and client.get("/api/v1/me", headers=token).status_code == 200


def test_sign_out_everywhere_ends_all_sessions_and_tokens(client, auth, demo, app, api_token):
    token = api_token("eeb")
    other, other_auth = _second_client(app)
    other_auth.login("eeb")
    auth.login("eeb")
    response = client.post("/account/sign-out-everywhere", data={"csrf_token": csrf_token(client, "/account/tokens")})
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert not _signed_in(client) and not _signed_in(other)
    assert client.get("/api/v1/me", headers=token).status_code == 401
    assert auth.login("eeb").status_code == 302  # the password still works: a new session starts


def test_sign_out_everywhere_of_one_user_leaves_others_signed_in(client, auth, demo, app):
    other, other_auth = _second_client(app)
    other_auth.login("organizer2")
    auth.login("organizer")
    client.post("/account/sign-out-everywhere", data={"csrf_token": csrf_token(client, "/account/tokens")})
    assert _signed_in(other)


def test_admin_deactivation_ends_sessions_and_tokens_and_reactivation_revives_none(client, auth, demo, app,
                                                                                  api_token):
    token = api_token("commerce")
    victim, victim_auth = _second_client(app)
    victim_auth.login("commerce")
    saved = _cookie(victim)
    auth.login("admin")
    commerce = db.session.execute(db.select(User).filter_by(username="commerce")).scalar_one()
    form = csrf_token(client, "/admin/users")
    deactivated = client.post(f"/admin/users/{commerce.id}/active", data={"csrf_token": form, "active": "0"})
    assert deactivated.status_code == 302
    assert not _signed_in(victim)
    assert client.get("/api/v1/me", headers=token).status_code == 401
    client.post(f"/admin/users/{commerce.id}/active", data={"csrf_token": form, "active": "1"})
    victim.set_cookie("session", saved)
    assert not _signed_in(victim)  # the old session stays ended
    assert client.get("/api/v1/me", headers=token).status_code == 401  # and the old token revoked
    assert victim_auth.login("commerce").status_code == 302
    from models import AuditEntry

    actions = db.session.execute(db.select(AuditEntry.action)).scalars().all()
    assert {"account.deactivated", "account.activated", "account.sessions_ended"} <= set(actions)


def test_admin_signs_a_user_out_everywhere(client, auth, demo, app):
    victim, victim_auth = _second_client(app)
    victim_auth.login("verifier")
    auth.login("admin")
    verifier = db.session.execute(db.select(User).filter_by(username="verifier")).scalar_one()
    form = csrf_token(client, "/admin/users")
    response = client.post(f"/admin/users/{verifier.id}/sign-out", data={"csrf_token": form})
    assert response.status_code == 302
    assert not _signed_in(victim)
    assert _signed_in(client)


def test_admin_cannot_deactivate_own_account(client, auth, demo):
    auth.login("admin")
    admin = db.session.execute(db.select(User).filter_by(username="admin")).scalar_one()
    form = csrf_token(client, "/admin/users")
    client.post(f"/admin/users/{admin.id}/active", data={"csrf_token": form, "active": "0"})
    db.session.refresh(admin)
    assert admin.active and _signed_in(client)


def test_an_expired_session_is_signed_out(client, auth, demo):
    from datetime import timedelta

    from models.db import utcnow
    from models.org import UserSession

    auth.login("organizer")
    db.session.execute(db.update(UserSession).values(expires_at=utcnow() - timedelta(seconds=1)))
    db.session.commit()
    assert not _signed_in(client)


def test_a_cookie_without_a_recorded_session_is_not_signed_in(app, demo):
    """A cookie signed with the right key but naming only a user id (as before issue #17) opens nothing."""
    from tests.conftest import IsolatedClient

    forged = IsolatedClient(app, app.response_class, use_cookies=True)
    with forged.session_transaction() as session:
        session["_user_id"] = str(db.session.execute(db.select(User.id).filter_by(username="admin")).scalar_one())
        session["_fresh"] = True
        session["session_key"] = "guessed"
    assert forged.get("/admin/users").status_code == 302
