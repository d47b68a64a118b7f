"""Security tests: principals (anonymous, the six roles, and two outsiders), a small world of
records to aim at, and clients signed in without going through the login form."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from models import ApiToken, Event, User, db
from models.notifications import NotificationKind
from models.workflow import ProcessVersion
from processes import accounts, notifications, policies, uploads
from tests.conftest import IsolatedClient
from tests.lifecycle import PDF, complete, open_task, plan_data, register
from webapp.auth.sessions import SESSION_KEY

# Column → demo account. The six roles, plus an organizer and a department with no business
# with the event (object-level authorization: they must get 404, not the event).
PRINCIPALS: dict[str, str | None] = {
    "anon": None,
    "organizer": "organizer",  # owns the event
    "other_org": "organizer2",  # another organizer
    "staff": "commerce",  # department staff of the event's sector bureau (holds the review task)
    "other_staff": "sports",  # department staff with no business with the event
    "lead": "eeb",  # department lead of the city EEB (guides every event)
    "verifier": "verifier",  # the body commissioned by the event's plan
    "auditor": "auditor",
    "admin": "admin",
}


@dataclass
class World:
    """Records the requests aim at: an organizer's 600-person Commerce exhibition in 任城区 whose
    plan is prepared (so Commerce and the 任城 EEB branch hold review tasks and the demo verifier
    body is commissioned), with one uploaded PDF."""

    event_id: int
    task_id: int  # review_plan_sector, held by the Commerce Bureau's department inbox
    eeb_task_id: int  # review_plan_eeb, held by the 任城区 EEB branch
    upload_id: int
    notification_id: int  # one of the organizer's notifications
    policy_id: int  # a published policy document with a file
    version_number: int  # the diagram version the event runs on
    version_file: str


def build_world(upload_dir: str) -> World:
    event = register(600)
    complete(event, "prepare_plan", "organizer", plan_data())
    return world_around(event, event, upload_dir)


def world_around(shown: Event, reviewed: Event, upload_dir: str, *, names: tuple[str, str, str] = (
        "evidence.pdf", "policy.pdf", "安全测试文件")) -> World:
    """The World of `shown` (its pages, an upload to it, a notification about it) and of `reviewed`
    (whose plan reviews are open), with a published policy document and the newest diagram version.
    `names`: the upload's and the policy file's names and the policy's title."""
    organizer, eeb = user_named("organizer"), user_named("eeb")
    upload = uploads.store(PDF, names[0], organizer, upload_dir, max_bytes=2**20, event=shown)
    notification = notifications.notify([organizer], NotificationKind.PLAN_PUBLISHED, event=shown, params={})[0]
    policies.seed_policies()
    policy_file = uploads.store(PDF, names[1], eeb, upload_dir, max_bytes=2**20)
    policy = policies.save_policy(eeb, {"title_zh": names[2], "issuer": "济宁市生态环境局"}, None, policy_file)
    version = db.session.execute(select(ProcessVersion).order_by(ProcessVersion.number.desc())).scalars().first()
    db.session.commit()
    return World(event_id=shown.id, task_id=open_task(reviewed, "review_plan_sector").id,
                 eeb_task_id=open_task(reviewed, "review_plan_eeb").id, upload_id=upload.id,
                 notification_id=notification.id, policy_id=policy.id, version_number=version.number,
                 version_file=sorted(version.files)[0])


@pytest.fixture()
def upload_dir(app: Flask, tmp_path: Path) -> Iterator[str]:
    """Uploads of the test go to a temporary folder (never the repository's instance/)."""
    previous = app.config["UPLOAD_DIR"]
    app.config["UPLOAD_DIR"] = str(tmp_path / "uploads")
    yield app.config["UPLOAD_DIR"]
    app.config["UPLOAD_DIR"] = previous


@pytest.fixture()
def world(demo, upload_dir: str) -> World:  # noqa: ANN001
    return build_world(upload_dir)


def user_named(username: str) -> User:
    return db.session.execute(select(User).filter_by(username=username)).scalar_one()


def session_client(app: Flask, username: str | None) -> FlaskClient:
    """A fresh client, signed in as `username` (None: anonymous) by writing the session directly;
    each request runs in a context of its own, as on a real server (see tests/conftest.py)."""
    client = IsolatedClient(app, app.response_class, use_cookies=True)
    if username is not None:
        user = user_named(username)
        key = accounts.start_session(user)  # a recorded session, as the sign-in form makes (issue #17)
        db.session.commit()
        with client.session_transaction() as session:
            session["_user_id"] = str(user.id)
            session["_fresh"] = True
            session[SESSION_KEY] = key
    return client


def bearer(username: str | None) -> dict[str, str]:
    """A fresh API token of the user as an Authorization header (None: no header)."""
    if username is None:
        return {}
    _token, raw = accounts.issue_token(user_named(username), "security-test")
    db.session.commit()
    return {"Authorization": f"Bearer {raw}"}


def token_id_of(username: str) -> int:
    """The id of a token of `username` (for DELETE /api/v1/tokens/<id>)."""
    token, _raw = accounts.issue_token(user_named(username), "to-revoke")
    db.session.commit()
    return db.session.get(ApiToken, token.id).id
