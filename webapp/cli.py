"""Flask CLI commands: init-db, demo-data, create-user (run as `flask --app webapp ...`)."""

from __future__ import annotations

import json
import time
from datetime import datetime

import click
from flask import Flask
from flask.cli import FlaskGroup
from flask_migrate import upgrade

from models import AuditCheckpoint, Department, Organization, Role, User, VerifierBody, db
from models.db import utcnow
from processes import accounting, accounts, audit, mailer, reminders, workflow
from processes.demo import DEMO_PASSWORD, load_demo_data
from processes.errors import ServiceError
from processes.orgdata import seed_departments
from processes.policies import seed_policies


def register(app: Flask) -> None:
    @app.cli.command("init-db")
    def init_db() -> None:
        """Create or upgrade the database schema (Alembic migrations) and seed the departments."""
        upgrade(directory=app.config["MIGRATIONS_DIR"])
        seed_departments()
        seed_policies()  # the plan and the MEE guide on the policy page (R-PLAT-1)
        accounting.ensure_default_factor_set()
        workflow.deploy()
        db.session.commit()
        click.echo("Database is at the newest schema; departments are in place.")

    @app.cli.command("demo-data")
    @click.option("--deactivate", is_flag=True, help="Deactivate the demo accounts instead (production refuses "
                  "to start while one is active with the published password).")
    def demo_data(deactivate: bool) -> None:
        """Load the demo organisations and accounts (idempotent), or deactivate the demo accounts."""
        if deactivate:
            names = accounts.deactivate_demo_accounts()
            db.session.commit()
            click.echo(f"{len(names)} demo account(s) deactivated{': ' + ', '.join(names) if names else ''}.")
            return
        created = load_demo_data()
        db.session.commit()
        click.echo(f"Demo data in place ({created} accounts created; password for all: {DEMO_PASSWORD}).")

    deadlines = click.Group("deadlines", help="Deadlines of the plan (R-TIME-1, R-TIME-2).")
    app.cli.add_command(deadlines)

    @deadlines.command("tick")
    @click.option("--now", "now_text", help="Pretend it is this ISO time (testing, catching up).")
    @click.option("--every", type=click.IntRange(min=10), metavar="SECONDS",
                  help="Keep running and tick again every SECONDS (`make run` starts it beside the server; "
                       "production uses cron or a systemd timer instead).")
    def tick(now_text: str | None, every: int | None) -> None:
        """Fire every due timer of every running event, write reminders and publish the day's audit
        checkpoint; idempotent, run it from cron every few minutes."""
        if every is None:
            for line in _tick(_now(now_text, example="2027-06-01T00:00+08:00"))[0]:
                click.echo(line)
            return
        if now_text:
            raise click.UsageError("--now and --every exclude each other: a repeated tick uses the real time.")
        click.echo(f"Ticking every {every} s (Ctrl-C stops).")
        while True:
            try:
                lines, busy = _tick(utcnow())
            except Exception:  # noqa: BLE001 - a failed tick (e.g. a locked database) must not end the loop
                db.session.rollback()
                app.logger.exception("deadline tick failed; trying again in %d s", every)
            else:
                for line in lines if busy else ():  # quiet while nothing happens
                    click.echo(line)
            finally:
                db.session.remove()
            time.sleep(every)

    notifications = click.Group("notifications", help="Email notifications and the daily digest (issue #8).")
    app.cli.add_command(notifications)

    @notifications.command("send")
    def send() -> None:
        """Send the queued emails that are due (also done by `deadlines tick`)."""
        if not mailer.enabled():
            click.echo("Email is off (MAIL_SERVER is not set).")
            return
        click.echo(f"{mailer.send_pending()} email(s) sent.")

    @notifications.command("digest")
    @click.option("--now", "now_text", help="Pretend it is this ISO time.")
    def digest(now_text: str | None) -> None:
        """Queue and send the daily digest of the department leads who chose it (once a day, e.g. 08:00)."""
        now = _now(now_text, example="2027-06-01T08:00+08:00")
        queued = reminders.send_digests(now)
        db.session.commit()
        click.echo(f"{queued} digest(s) queued; {mailer.send_pending()} email(s) sent.")

    audit_group = click.Group("audit", help="The tamper-evident audit trail.")
    app.cli.add_command(audit_group)

    @audit_group.command("verify")
    @click.option("--since-checkpoint", "since", type=int, is_flag=False, flag_value=0, default=None,
                  metavar="[ID]", help="Verify only from this checkpoint's entry on (no ID: the newest one).")
    @click.option("--against", "copies", type=click.File("rb"), multiple=True,
                  help="A kept copy of /api/v1/public/audit/checkpoints (repeatable): its heads must be in the chain.")
    def audit_verify(since: int | None, copies: tuple) -> None:
        """Recompute the hash chain and check it against the published checkpoints; name the first
        broken or missing entry and exit 1 if there is one."""
        heads = []
        for copy in copies:
            try:
                heads += audit.heads_from_copy(json.load(copy), copy.name)
            except ValueError as exc:
                raise click.BadParameter(f"{copy.name}: {exc}", param_hint="--against") from exc
        start = None
        if since is not None:
            start = audit.latest_checkpoint() if since == 0 else db.session.get(AuditCheckpoint, since)
            if start is None:
                raise click.BadParameter("no such checkpoint" if since else "no checkpoint was made yet",
                                         param_hint="--since-checkpoint")
        started = time.perf_counter()
        report = audit.verify_chain(since=start, copies=heads)
        elapsed = time.perf_counter() - started
        scope = f" from checkpoint #{start.id} (entry {start.seq})" if start else ""
        if not report.ok:
            click.echo(f"BROKEN at entry seq {report.first_broken_seq}: {report.problem} "
                       f"({report.checked} entries{scope} before it are intact).", err=True)
            raise SystemExit(1)
        click.echo(f"The audit chain is intact: {report.checked} entries checked{scope}, "
                   f"{report.heads_matched} checkpoint(s) and kept copies match.")
        click.echo(f"{elapsed:.2f} s, {report.checked / max(elapsed, 1e-9):,.0f} entries/s.")  # issue #19

    @audit_group.command("checkpoint")
    def audit_checkpoint() -> None:
        """Certify the chain's head now and publish it (the deadline tick makes one a day)."""
        checkpoint = audit.make_checkpoint()
        db.session.commit()
        click.echo(f"Checkpoint #{checkpoint.id}: entry {checkpoint.seq}, hash {checkpoint.hash}.")

    process = click.Group("process", help="Diagram versions: deploy, compare, migrate running events, revert.")
    app.cli.add_command(process)

    @process.command("deploy")
    @click.option("--note", help="What changed and why (shown with the version).")
    @click.option("--actor", "actor_name", help="The administrator deploying (recorded with the version).")
    def deploy(note: str | None, actor_name: str | None) -> None:
        """Register the diagrams in bpmn/ as a new version if they changed."""
        version = workflow.deploy(_admin(actor_name) if actor_name else None, note=note)
        db.session.commit()
        click.echo(f"Newest diagram version: {version.number} ({version.content_hash[:12]}).")

    @process.command("versions")
    def list_versions() -> None:
        """List the deployed versions and how many events run on each."""
        from processes import versions

        for version, count in versions.listing():
            click.echo(f"v{version.number}  {version.created_at:%Y-%m-%d %H:%M}  {version.content_hash[:12]}  "
                       f"{count} event(s)  {version.note or ''}".rstrip())

    @process.command("diff")
    @click.argument("old", type=int)
    @click.argument("new", type=int)
    def diff(old: int, new: int) -> None:
        """Tasks, gateways, timers and events added, removed or changed from version OLD to NEW."""
        from processes import versions
        from processes.task_handlers import HANDLERS

        try:
            comparison = versions.compare(old, new, HANDLERS)
        except ServiceError as exc:
            raise click.ClickException(str(exc.message)) from exc
        for change in comparison.changes:
            what = ", ".join(change.details)
            values = f" {change.before or '-'} -> {change.after or '-'}" if change.before or change.after else ""
            click.echo(f"{change.change:<8} {change.kind:<15} {change.process}/{change.element}"
                       f"{' (' + what + ')' if what else ''}{values}")
        if not comparison.changes:
            click.echo("No difference in how the versions run.")
        if comparison.without_handler:
            click.echo(f"Warning: no handler completes the new user task(s) {', '.join(comparison.without_handler)}.")

    @process.command("migrate")
    @click.option("--from", "old", type=int, required=True, help="The version the events run on.")
    @click.option("--to", "new", type=int, required=True, help="The version to move them to.")
    @click.option("--event", "event_id", type=int, help="Only this event.")
    @click.option("--dry-run", is_flag=True, help="Only say, per event, whether it can move and what would change.")
    @click.option("--reason", help="Why (kept in the audit trail of every event moved); required unless --dry-run.")
    @click.option("--actor", "actor_name", help="The administrator doing it; required unless --dry-run.")
    def migrate(old: int, new: int, event_id: int | None, dry_run: bool, reason: str | None,
                actor_name: str | None) -> None:
        """Move running events from version --from to version --to (each event in its own transaction)."""
        from processes import migration

        try:
            if dry_run:
                run = migration.dry_run(old, new, event_id)
            else:
                if not (reason or "").strip():
                    raise click.BadParameter("a reason is required to migrate", param_hint="--reason")
                if not actor_name:
                    raise click.BadParameter("name the administrator doing it", param_hint="--actor")
                run = migration.migrate(_admin(actor_name), old, new, reason or "", event_id)
        except ServiceError as exc:
            raise click.ClickException(str(exc.message)) from exc
        for move in run.events:
            verb = ("moves" if run.dry_run else "moved") if move.movable else "stays"
            click.echo(f"event {move.event_id} {move.event_name}: {verb}")
            for text in move.changes() if move.movable else move.reasons():
                click.echo(f"    {text}")
        done = "can move" if run.dry_run else "moved"
        note = " (dry run: nothing changed)" if run.dry_run else ""
        click.echo(f"{len(run.movable)} event(s) {done} from v{run.old.number} to v{run.new.number}; "
                   f"{len(run.blocked)} stay on v{run.old.number}.{note}")

    @process.command("revert")
    @click.argument("migration_id", type=int)
    @click.option("--reason", required=True, help="Why (kept in the audit trail).")
    @click.option("--actor", "actor_name", required=True, help="The administrator doing it.")
    def revert(migration_id: int, reason: str, actor_name: str) -> None:
        """Put the event of migration MIGRATION_ID back on its previous version, as it was."""
        from processes import migration

        try:
            row = migration.revert(_admin(actor_name), migration_id, reason)
        except ServiceError as exc:
            raise click.ClickException(str(exc.message)) from exc
        db.session.commit()
        click.echo(f"Event {row.event_id} runs on v{row.from_version.number} again.")

    def _admin(username: str) -> User:
        user = db.session.execute(db.select(User).filter_by(username=username)).scalar()
        if user is None or user.role != Role.ADMIN:
            raise click.BadParameter(f"{username!r} is not an administrator account", param_hint="--actor")
        return user

    @app.cli.command("create-user")
    @click.argument("username")
    @click.option("--role", type=click.Choice([r.value for r in Role]), required=True)
    @click.option("--name", "display_name", help="Display name")
    @click.option("--email")
    @click.option("--department", "department_code", help="Department code, e.g. eeb or eeb_rencheng")
    @click.option("--organization", "organization_name", help="Organizer organisation name")
    @click.option("--verifier-body", "verifier_body_name", help="Verification body name")
    @click.password_option()
    def create_user(
        username: str,
        role: str,
        display_name: str | None,
        email: str | None,
        department_code: str | None,
        organization_name: str | None,
        verifier_body_name: str | None,
        password: str,
    ) -> None:
        """Create a user account."""
        department = organization = body = None
        if department_code:
            department = db.session.execute(db.select(Department).filter_by(code=department_code)).scalar()
            if department is None:
                raise click.BadParameter(f"unknown department code {department_code!r}", param_hint="--department")
        if organization_name:
            organization = db.session.execute(db.select(Organization).filter_by(name=organization_name)).scalar()
            if organization is None:
                raise click.BadParameter(f"unknown organisation {organization_name!r}", param_hint="--organization")
        if verifier_body_name:
            body = db.session.execute(db.select(VerifierBody).filter_by(name=verifier_body_name)).scalar()
            if body is None:
                raise click.BadParameter(f"unknown body {verifier_body_name!r}", param_hint="--verifier-body")
        try:
            accounts.create_user(
                username, password, Role(role), display_name=display_name, email=email,
                department=department, organization=organization, verifier_body=body,
            )
        except ServiceError as exc:
            db.session.rollback()
            details = "; ".join(f"{k}: {', '.join(str(e) for e in v)}" for k, v in exc.fields.items())
            raise click.ClickException(f"{exc.message} ({details})") from exc
        db.session.commit()
        click.echo(f"Created {username} ({role}).")


def _tick(now: datetime) -> tuple[list[str], bool]:
    """One tick: fire due timers, write reminders (and send email), publish the day's checkpoint; each
    part committed on its own. Returns what it did, line by line, and whether it did anything."""
    fired = workflow.tick(now, commit_each=True)  # one transaction per instance advanced (issue #19)
    lines = [f"event {event_id}: {', '.join(names)}" for event_id, names in fired]
    lines.append(f"{len(fired)} event(s) had timers due.")
    reminded = reminders.send_reminders(now)
    db.session.commit()
    sent = mailer.send_pending()
    lines.append(f"{reminded} reminder(s) written; {sent} email(s) sent.")
    checkpoint = audit.make_checkpoint(now, daily=True)
    db.session.commit()
    lines.append(f"Audit checkpoint #{checkpoint.id} published (entry {checkpoint.seq})." if checkpoint
                 else "Today's audit checkpoint was published already.")
    return lines, bool(fired or reminded or sent or checkpoint)


def _now(now_text: str | None, example: str) -> datetime:
    """The time `--now` pretends it is (it must name its time zone, as in `example`), else the real time."""
    now = datetime.fromisoformat(now_text) if now_text else utcnow()
    if now.tzinfo is None:
        raise click.BadParameter(f"give a time zone, e.g. {example}", param_hint="--now")
    return now


def _create_app() -> Flask:
    from webapp import create_app

    return create_app()


main = FlaskGroup(create_app=_create_app, help="Tanzhong management commands.")
