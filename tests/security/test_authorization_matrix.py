"""Authorization matrix: every route of `app.url_map` × anonymous and the six roles (plus an
outside organizer and an outside department) → the status they get.

The table is keyed by endpoint and method. A route without an entry FAILS: add it to MATRIX with
the statuses its decorators and service checks call for (`python -m tests.security.matrix_harness
ENDPOINT` prints what it answers today, as a starting point to check, not to paste blindly).

Columns (tests/security/conftest.py PRINCIPALS): anon; organizer (owns the event); other_org;
staff (Commerce, the event's sector bureau, holds the review task); other_staff (Sports); lead
(city EEB lead, guides every event); verifier (commissioned by the plan); auditor; admin.
Cells: a status code, or LOGIN for a redirect to the sign-in page. Requests that change
something run against a fresh world for each principal; forms are posted without CSRF tokens
here (CSRF has its own test) and with empty or minimal data, so a 422 means "allowed in, then
the input was refused".
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest

from config import TestConfig
from models import Role
from tests.security.conftest import PRINCIPALS, World, build_world, user_named
from tests.security.matrix_harness import LOGIN, observe_row, route_keys, rules_of
from webapp import create_app

L = LOGIN
ROLE_OF = {"organizer": Role.ORGANIZER, "other_org": Role.ORGANIZER, "staff": Role.DEPARTMENT_STAFF,
           "other_staff": Role.DEPARTMENT_STAFF, "lead": Role.DEPARTMENT_LEAD, "verifier": Role.VERIFIER,
           "auditor": Role.AUDITOR, "admin": Role.ADMIN}


def r(default: int | str, **cells: int | str) -> dict[str, int | str]:
    """A row: `default` for every principal, except those named."""
    unknown = set(cells) - set(PRINCIPALS)
    assert not unknown, f"unknown principals {unknown}"
    return {p: cells.get(p, default) for p in PRINCIPALS}


def demo_body_id() -> int:
    from models import VerifierBody, db

    return db.session.execute(db.select(VerifierBody.id)).scalars().first()


@dataclass
class Entry:
    expect: dict[str, int | str]
    data: dict[str, Any] | Callable[[World], dict[str, Any]] | None = None  # form or JSON body to send
    args: dict[str, Callable[[World, str | None], Any]] = field(default_factory=dict)  # URL argument values


# Rows used again and again.
PUBLIC = r(200)
SIGNED_IN = r(200, anon=L)
EVENT_READERS = r(200, anon=L, other_org=404, other_staff=404)  # who may see the event: not outsiders
API_SIGNED_IN = r(200, anon=401)
API_EVENT_READERS = r(200, anon=401, other_org=404, other_staff=404)
ADMIN_ONLY = r(403, anon=L, admin=200)
ADMIN_ACTION = r(403, anon=L, admin=302)  # admin posts, gets redirected back with a message
DEPARTMENTS_AUDIT_ADMIN = r(200, anon=L, organizer=403, other_org=403, verifier=403)
ORGANIZERS_ONLY = r(403, anon=L, organizer=200, other_org=200)
TASK_HOLDER = r(404, anon=L, staff=200)  # the review task: Commerce only; everyone else cannot even see it

MATRIX: dict[tuple[str, str] | tuple[str, str, str], Entry] = {
    # ------------------------------------------------------------------ static, start, sign-in
    ("static", "GET"): Entry(PUBLIC),
    ("main.index", "GET"): Entry(r(200, organizer=302, other_org=302, auditor=302, admin=302)),  # role start pages
    ("main.my_events", "GET"): Entry(ORGANIZERS_ONLY),
    ("main.set_language", "GET"): Entry(r(302)),
    ("auth.login", "GET"): Entry(r(302, anon=200)),  # signed in: straight to the start page
    ("auth.login", "POST"): Entry(r(302, anon=200)),
    ("auth.logout", "POST"): Entry(r(L)),
    ("auth.change_password", "GET"): Entry(SIGNED_IN),
    ("auth.change_password", "POST"): Entry(SIGNED_IN),  # empty form: shown again with errors
    # One's own API tokens and sessions (issue #17): everyone signed in, only their own tokens.
    ("auth.tokens", "GET"): Entry(SIGNED_IN),
    ("auth.tokens", "POST"): Entry(SIGNED_IN),  # a token without a name: created, shown once
    ("auth.revoke_token", "POST"): Entry(r(404, anon=L, organizer=302)),  # the organizer's token
    ("auth.sign_out_everywhere", "POST"): Entry(r(L)),  # signed out, back to the sign-in page
    # ------------------------------------------------------------------ events
    ("events.index", "GET"): Entry(SIGNED_IN),  # lists only what each may see
    ("events.new", "GET"): Entry(ORGANIZERS_ONLY),
    ("events.new", "POST"): Entry(r(403, anon=L, organizer=422, other_org=422)),
    ("events.show", "GET"): Entry(EVENT_READERS),
    ("events.diagram", "GET"): Entry(EVENT_READERS),
    ("events.download", "GET"): Entry(EVENT_READERS),
    ("events.account_export", "GET"): Entry(EVENT_READERS),
    ("events.comment", "POST"): Entry(r(302, anon=L, other_org=404, other_staff=404, auditor=403),
                                      data={"body": "matrix"}),  # auditors change nothing
    ("events.change_participants", "POST"): Entry(r(403, anon=L, organizer=302, other_org=404),
                                                  data={"participants": "650", "reason": "matrix"}),
    # R-ACC-1: only the event's organizer asks to correct its account (refused in words at this stage: 302)
    ("events.request_correction", "POST"): Entry(r(403, anon=L, organizer=302, other_org=404),
                                                 data={"reason": "matrix"}),
    # Only the Ecology and Environment Bureau replaces the commissioned body: Commerce staff 403.
    ("events.reassign_verifier", "POST"): Entry(r(403, anon=L, other_staff=404, lead=302),
                                                data=lambda w: {"verifier_body": str(demo_body_id()),
                                                                "reason": "matrix"}),
    ("documents.audit_export_file", "GET"): Entry(r(200, anon=L, other_org=404, other_staff=404, verifier=403)),
    ("documents.commitment_pdf", "GET"): Entry(r(404, anon=L, verifier=403)),  # no commitment signed yet
    # ------------------------------------------------------------------ tasks
    ("tasks.inbox", "GET"): Entry(SIGNED_IN),  # each sees their own inbox
    ("tasks.show", "GET"): Entry(TASK_HOLDER),
    ("tasks.show", "POST"): Entry(r(404, anon=L, staff=422)),  # empty decision refused
    ("tasks.claim", "POST"): Entry(r(404, anon=L, staff=302)),
    ("tasks.unclaim", "POST"): Entry(r(404, anon=L, staff=302)),
    # The spreadsheet template of activity lines: only for a task with lines, seen by its holder (the
    # review task has none: 404 for all; the organizer's 200 is in tests/web/test_task_forms.py).
    ("tasks.lines_template", "GET"): Entry(r(404, anon=L)),
    # Only a lead of the task's department may reassign: the Commerce clerk is refused (403);
    # the EEB lead cannot see a Commerce task (404).
    ("tasks.reassign", "POST"): Entry(r(404, anon=L, staff=403),
                                      data=lambda w: {"user_id": str(user_named("commerce").id)}),
    # ------------------------------------------------------------------ notifications
    ("notifications.index", "GET"): Entry(SIGNED_IN),
    ("notifications.read", "POST"): Entry(r(404, anon=L, organizer=302)),  # only one's own
    ("notifications.read_all", "POST"): Entry(r(302, anon=L)),
    ("notifications.settings", "GET"): Entry(SIGNED_IN),
    ("notifications.settings", "POST"): Entry(r(302, anon=L)),
    ("notifications.outbox", "GET"): Entry(ADMIN_ONLY),
    ("notifications.retry_outbox", "POST"): Entry(ADMIN_ACTION),
    # ------------------------------------------------------------------ departments, audit, admin
    ("dashboard.index", "GET"): Entry(DEPARTMENTS_AUDIT_ADMIN),
    ("dashboard.export", "GET"): Entry(DEPARTMENTS_AUDIT_ADMIN),
    ("dashboard.compliance", "GET"): Entry(DEPARTMENTS_AUDIT_ADMIN),
    ("dashboard.compliance_export", "GET"): Entry(DEPARTMENTS_AUDIT_ADMIN),
    ("audit.trail", "GET"): Entry(r(403, anon=L, auditor=200, admin=200)),
    # Sink projects are supervised by Natural Resources: other departments 403 (no NR column here).
    ("supervision.sink_projects", "GET"): Entry(r(403, anon=L, auditor=200, admin=200)),
    ("supervision.sink_projects_xlsx", "GET"): Entry(r(403, anon=L, auditor=200, admin=200)),
    # The ledger with each line's registry status, and its XLSX for the competent departments (issue #22, R-CAN-1):
    # every department, auditors, administrators.
    ("supervision.cancellations", "GET"): Entry(DEPARTMENTS_AUDIT_ADMIN),
    ("supervision.cancellations_xlsx", "GET"): Entry(DEPARTMENTS_AUDIT_ADMIN),
    # Registry data is imported, shown and withdrawn by the Ecology and Environment Bureau only (issue #22):
    # Commerce and Sports staff 403; an empty upload form is shown again with its errors (422).
    ("registry.imports", "GET"): Entry(r(403, anon=L, lead=200)),
    ("registry.imports", "POST"): Entry(r(403, anon=L, lead=422)),
    ("registry.show", "GET"): Entry(r(403, anon=L, lead=200)),
    ("registry.withdraw", "POST"): Entry(r(403, anon=L, lead=302), data={"reason": "matrix"}),
    ("admin.users", "GET"): Entry(ADMIN_ONLY),
    ("admin.users", "POST"): Entry(ADMIN_ONLY),  # empty form: shown again
    ("admin.set_active", "POST"): Entry(ADMIN_ACTION),  # deactivates the organizer (issue #17)
    ("admin.sign_out_user", "POST"): Entry(ADMIN_ACTION),
    ("admin.processes", "GET"): Entry(ADMIN_ONLY),
    ("admin.process_diff", "GET"): Entry(r(403, anon=L, admin=400)),  # without the two versions: 400
    ("admin.version_file", "GET"): Entry(ADMIN_ONLY),
    ("admin.migrate", "POST"): Entry(ADMIN_ACTION),
    ("admin.revert_migration", "POST"): Entry(ADMIN_ACTION),
    ("admin.retry", "POST"): Entry(r(403, anon=L, admin=409)),  # nothing failed: nothing to retry
    ("admin.event_process", "GET"): Entry(ADMIN_ONLY),
    ("admin.override_data", "POST"): Entry(ADMIN_ACTION),
    ("admin.override_reassign", "POST"): Entry(ADMIN_ACTION),
    ("admin.override_step", "POST"): Entry(ADMIN_ACTION),
    # ------------------------------------------------------------------ public pages (no sign-in)
    ("public.index", "GET"): Entry(PUBLIC),
    ("public.event", "GET"): Entry(r(404)),  # the plan is not published yet: not public, for anyone
    ("public.commitment_pdf", "GET"): Entry(r(404)),
    ("public.policy_list", "GET"): Entry(PUBLIC),
    ("public.policy_file", "GET"): Entry(PUBLIC),
    ("public.audit_checkpoints", "GET"): Entry(PUBLIC),
    ("public.factor_list", "GET"): Entry(PUBLIC),  # the emission factors and their sources (issue #16)
    # Open data (issue #22, R-PLAT-1): the disclosures as downloads, the feed and the catalogue entry, for anyone.
    ("public.open_data_index", "GET"): Entry(PUBLIC),
    ("public.open_data_csv", "GET"): Entry(PUBLIC),
    ("public.open_data_json", "GET"): Entry(PUBLIC),
    ("public.open_data_feed", "GET"): Entry(PUBLIC),
    ("public.open_data_catalog", "GET"): Entry(PUBLIC),
    # EEB staff keep the policy documents: the EEB lead may; other departments get 403.
    ("public.edit_policy", "GET"): Entry(r(403, anon=L, lead=200)),
    ("public.edit_policy", "POST", "/public/policies/new"): Entry(r(403, anon=L, lead=422)),
    ("public.edit_policy", "POST", "/public/policies/<int:policy_id>/edit"): Entry(r(403, anon=L, lead=302)),
    # ------------------------------------------------------------------ JSON API (bearer tokens)
    ("api.openapi_json", "GET"): Entry(PUBLIC),
    ("api.emission_factors", "GET"): Entry(PUBLIC),
    ("api.public_events", "GET"): Entry(PUBLIC),
    ("api.public_event", "GET"): Entry(r(404)),
    ("api.public_policies", "GET"): Entry(PUBLIC),
    ("api.public_audit_checkpoints", "GET"): Entry(PUBLIC),
    ("api.create_token", "POST"): Entry(r(422)),  # no credentials in the body
    ("api.revoke_current_token", "DELETE"): Entry(r(204, anon=401)),
    ("api.revoke_token", "DELETE"): Entry(r(404, anon=401, organizer=204)),  # only one's own token
    ("api.list_tokens", "GET"): Entry(API_SIGNED_IN),  # only one's own tokens
    ("api.me", "GET"): Entry(API_SIGNED_IN),
    ("api.verifier_bodies", "GET"): Entry(API_SIGNED_IN),
    ("api.list_events", "GET"): Entry(API_SIGNED_IN),
    ("api.list_tasks", "GET"): Entry(API_SIGNED_IN),
    ("api.create_event", "POST"): Entry(r(403, anon=401, organizer=422, other_org=422)),
    ("api.get_event", "GET"): Entry(API_EVENT_READERS),
    ("api.event_audit", "GET"): Entry(r(200, anon=401, other_org=404, other_staff=404, verifier=403)),
    ("api.get_task", "GET"): Entry(r(404, anon=401, staff=200)),
    ("api.claim_task", "POST"): Entry(r(404, anon=401, staff=200, organizer=403, other_org=403, verifier=403,
                                        auditor=403, admin=403)),
    ("api.unclaim_task", "POST"): Entry(r(404, anon=401, staff=200, organizer=403, other_org=403, verifier=403,
                                          auditor=403, admin=403)),
    ("api.complete_task", "POST"): Entry(r(404, anon=401, staff=422)),
    # R-TIER-X: only the event's organizer; the empty body is refused (422), another organisation sees 404
    ("api.change_participants", "POST"): Entry(r(403, anon=401, organizer=422, other_org=404)),
    ("api.request_correction", "POST"): Entry(r(403, anon=401, organizer=422, other_org=404)),
    ("api.create_upload", "POST"): Entry(r(422, anon=401, auditor=403)),  # no file sent; auditors write nothing
    ("api.audit_verify", "GET"): Entry(r(403, anon=401, auditor=200, admin=200)),
    ("api.ledger", "GET"): Entry(r(200, anon=401, organizer=403, other_org=403, verifier=403)),
    ("api.sink_projects", "GET"): Entry(r(200, anon=401, staff=403, other_staff=403, lead=403, verifier=403)),
    # Registry data (issue #22): EEB imports (no file sent: 422), departments and auditors list the imports.
    ("api.create_registry_import", "POST"): Entry(r(403, anon=401, lead=422)),
    ("api.registry_imports", "GET"): Entry(r(200, anon=401, organizer=403, other_org=403, verifier=403)),
}

# The routes as registered when this module is collected (a route added later in the session
# still fails `test_every_route_has_an_entry`).
ROUTE_APP = create_app(TestConfig)
ROUTES = sorted(route_keys(ROUTE_APP))
RULES = [(endpoint, method, rule.rule) for endpoint, method in ROUTES for rule in rules_of(ROUTE_APP, endpoint, method)]


def entry_for(endpoint: str, method: str, rule: str) -> Entry | None:
    return MATRIX.get((endpoint, method, rule)) or MATRIX.get((endpoint, method))


def test_every_route_has_an_entry(app):  # noqa: ANN001
    missing = [f"{endpoint} {method} {rule}" for endpoint, method in sorted(route_keys(app))
               for rule in [r_.rule for r_ in rules_of(app, endpoint, method)]
               if entry_for(endpoint, method, rule) is None]
    assert not missing, ("routes without an authorization rule — add them to MATRIX in "
                         f"tests/security/test_authorization_matrix.py: {missing}")


def test_no_stale_entries(app):  # noqa: ANN001
    keys = route_keys(app)
    stale = [key for key in MATRIX if key[:2] not in keys]
    assert not stale, f"MATRIX entries for routes that no longer exist: {stale}"


def test_matrix_agrees_with_the_role_decorators(app):  # noqa: ANN001
    """A role the view's decorator shuts out must be expected to get 403, whatever the table says."""
    wrong = []
    for (endpoint, method, *_rule), entry in MATRIX.items():
        if endpoint not in app.view_functions:
            continue
        allowed = getattr(app.view_functions[endpoint], "allowed_roles", None)
        if allowed is None:
            continue
        for principal, role in ROLE_OF.items():
            if role not in allowed and entry.expect[principal] != 403:
                wrong.append(f"{endpoint} {method}: {principal} ({role.value}) expected "
                             f"{entry.expect[principal]!r}, but the decorator allows only {[a.value for a in allowed]}")
    assert not wrong, wrong


def test_anonymous_never_gets_a_signed_in_page(app):  # noqa: ANN001
    """Every route answers the anonymous with 200 only if it is meant to be public."""
    public = {key for key, entry in MATRIX.items() if entry.expect["anon"] not in (L, 401, 404)}
    assert {key[0].split(".")[0] for key in public} <= {"static", "main", "auth", "public", "api"}, public


@pytest.mark.parametrize(("endpoint", "method", "rule"), RULES, ids=[f"{e} {m} {r_}" for e, m, r_ in RULES])
def test_route_authorization(app, demo, upload_dir, monkeypatch, endpoint, method, rule):  # noqa: ANN001
    entry = entry_for(endpoint, method, rule)
    assert entry is not None, f"{endpoint} {method} {rule} is not in MATRIX: add it (see the module docstring)"
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", False)  # authorization, not CSRF, is tested here
    target = next(r_ for r_ in rules_of(app, endpoint, method) if r_.rule == rule)
    observed = observe_row(app, target, method, lambda: build_world(upload_dir), entry.args, entry.data)
    assert observed == entry.expect, {p: (observed[p], entry.expect[p]) for p in PRINCIPALS
                                      if observed[p] != entry.expect[p]}


def test_methods_a_route_does_not_take_answer_405(app, world):  # noqa: ANN001
    """Every rule × a method it does not take (for everyone, signed in or not): 405, never a 2xx or 500."""
    from werkzeug.exceptions import MethodNotAllowed

    from tests.security.conftest import bearer, session_client
    from tests.security.matrix_harness import build_url

    wrong = []
    for rule in app.url_map.iter_rules():
        for method in sorted({"GET", "POST", "PUT", "PATCH", "DELETE"} - rule.methods):
            path = build_url(app, rule, world, "organizer")
            try:
                app.url_map.bind("localhost").match(path, method=method)
                continue  # another rule at the same path takes this method
            except MethodNotAllowed:
                pass
            for who in (None, "organizer", "admin"):
                client = session_client(app, who)
                response = client.open(path, method=method, headers=bearer(who) if rule.rule.startswith("/api/")
                                       else {})
                if response.status_code != 405:
                    wrong.append(f"{method} {path} as {who}: {response.status_code}")
    assert not wrong, wrong[:20]
