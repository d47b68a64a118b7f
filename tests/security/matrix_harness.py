"""Make one request per (route, method, principal) and report what came back.

The authorization matrix test compares these observations with its table; run this module to
print the observed table of a new route as a starting point (then check it against the route's
decorators before pasting it):

    .venv/bin/python -m tests.security.matrix_harness events.new
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

from flask import Flask
from werkzeug.routing import Rule

from tests.security.conftest import (
    PRINCIPALS,
    World,
    bearer,
    build_world,
    session_client,
    token_id_of,
    user_named,
)

LOGIN = "login"  # 302 to the sign-in page
SKIPPED_METHODS = {"HEAD", "OPTIONS"}


def route_keys(app: Flask) -> set[tuple[str, str]]:
    """Every (endpoint, method) the app answers."""
    return {(rule.endpoint, method) for rule in app.url_map.iter_rules()
            for method in sorted(rule.methods - SKIPPED_METHODS)}


def rules_of(app: Flask, endpoint: str, method: str) -> list[Rule]:
    """The endpoint's rules answering `method` (an endpoint may have several, e.g. new and edit)."""
    rules = [rule for rule in app.url_map.iter_rules(endpoint) if method in rule.methods]
    if not rules:
        raise KeyError(f"{endpoint} {method}")
    return rules


# How to fill in each URL argument (by name), from the world and the principal asking.
ARGUMENTS: dict[str, Callable[[World, str | None], Any]] = {
    "event_id": lambda w, who: w.event_id,
    "task_id": lambda w, who: w.task_id,
    "upload_id": lambda w, who: w.upload_id,
    "token_id": lambda w, who: token_id_of("organizer"),  # the organizer's token: only they may revoke it
    "user_id": lambda w, who: user_named("organizer").id,  # the account an administrator acts on
    "notification_id": lambda w, who: w.notification_id,  # the organizer's
    "policy_id": lambda w, who: w.policy_id,
    "number": lambda w, who: w.version_number,
    "file_name": lambda w, who: w.version_file,
    "migration_id": lambda w, who: 1,  # none exists: the administrator passes the role check, then 404
    "code": lambda w, who: "en",
    "filename": lambda w, who: "css/app.css",
    "fmt": lambda w, who: "csv",
    "import_id": lambda w, who: registry_import_id(),
    "dataset": lambda w, who: "cancellations",
}

VERRA_ONE_ROW = (  # the Verra transactions export's header and one retirement (issue #22)
    "Issuance Date,Sustainable Development Goals,Vintage Start,Vintage End,ID,Name,Country/Area,Project Type,"
    "Methodology,Total Vintage Quantity,Quantity Issued,Serial Number,Additional Certifications,"
    "Retirement/Cancellation Date,Retirement Beneficiary,Retirement Reason,Retirement Details\n"
    "2026-04-03,,2020-01-01,2020-12-31,1340,Bale Mountains Eco-region REDD+ project,Ethiopia,AFOLU,VM0015,"
    "\"1,454,054\",425,19385-941467007-941467431-VCS-VCU-1507-VER-ET-14-1340-01012020-31122020-1,,2026-04-10,,,\n")


def registry_import_id() -> int:
    """The first registry data import (made by the EEB lead from a one-row Verra export on first use)."""
    import io

    from sqlalchemy import select

    from models import RegistryImport, db
    from models.offsets import Registry
    from processes.registry import importer

    existing = db.session.execute(select(RegistryImport.id).order_by(RegistryImport.id)).scalars().first()
    if existing is not None:
        return existing
    row = importer.import_export(io.BytesIO(VERRA_ONE_ROW.encode()), Registry.VERRA, filename="matrix.csv",
                                 actor=user_named("eeb"), channel="cli")
    db.session.commit()
    return row.id


def build_url(app: Flask, rule: Rule, world: World, who: str | None,
              overrides: dict[str, Callable[[World, str | None], Any]] | None = None) -> str:
    """The URL of this very rule (not url_for's pick among the endpoint's rules)."""
    fillers = ARGUMENTS | (overrides or {})
    needed = set(rule.arguments) - set(rule.defaults or {})
    missing = sorted(needed - set(fillers))
    if missing:
        raise LookupError(f"{rule.endpoint}: no value for URL argument(s) {missing}; add them to ARGUMENTS "
                          "in tests/security/matrix_harness.py or to the entry's `args` in the matrix")
    built = rule.build({name: fillers[name](world, who) for name in needed}, append_unknown=False)
    assert built is not None, rule.rule
    return built[1]


def observe(app: Flask, rule: Rule, method: str, principal: str, world: World,
            overrides: dict[str, Callable[[World, str | None], Any]] | None = None,
            data: dict[str, Any] | Callable[[World], dict[str, Any]] | None = None) -> int | str:
    """Send one request as `principal` (a column of PRINCIPALS) and classify the answer."""
    who = PRINCIPALS[principal]
    if callable(data):
        data = data(world)
    url = build_url(app, rule, world, who, overrides)
    is_api = rule.rule.startswith("/api/")
    if is_api:
        client = session_client(app, None)
        kwargs: dict[str, Any] = {"headers": bearer(who)}
        if method in ("POST", "PUT", "PATCH"):
            kwargs["json"] = data or {}
    else:
        client = session_client(app, who)
        kwargs = {"data": dict(data or {})} if method in ("POST", "PUT", "PATCH") else {}
    response = client.open(url, method=method, **kwargs)
    if response.status_code == 302 and "/login" in response.headers.get("Location", ""):
        return LOGIN
    return response.status_code


def observe_row(app: Flask, rule: Rule, method: str, world_for: Callable[[], World],
                overrides: dict[str, Callable[[World, str | None], Any]] | None = None,
                data: dict[str, Any] | Callable[[World], dict[str, Any]] | None = None) -> dict[str, int | str]:
    """Observe every principal. After a request that may have changed something (not a GET, and
    not refused) the next principal gets a fresh world, so no answer depends on another's."""
    world = world_for()
    row = {}
    for principal in PRINCIPALS:
        row[principal] = observe(app, rule, method, principal, world, overrides, data)
        if method != "GET" and (row[principal] == LOGIN or int(row[principal]) < 400):
            world = world_for()
    return row


def main(argv: list[str]) -> None:  # pragma: no cover - a developer's tool
    import tempfile

    from config import TestConfig
    from models import db
    from processes.demo import load_demo_data
    from webapp import create_app

    app = create_app(TestConfig)
    app.config["WTF_CSRF_ENABLED"] = False
    with app.app_context(), tempfile.TemporaryDirectory() as tmp:
        db.create_all()
        load_demo_data()
        db.session.commit()
        app.config["UPLOAD_DIR"] = tmp
        wanted = set(argv)
        for endpoint, method in sorted(route_keys(app)):
            if wanted and endpoint not in wanted:
                continue
            for rule in rules_of(app, endpoint, method):
                try:
                    row = observe_row(app, rule, method, lambda: build_world(tmp))
                except LookupError as exc:
                    print(f"# {exc}")
                    continue
                cells = ", ".join(f"{k}={v!r}" for k, v in row.items())
                print(f'("{endpoint}", "{method}"): dict({cells}),  # {rule.rule}')


if __name__ == "__main__":  # pragma: no cover
    main(sys.argv[1:])
