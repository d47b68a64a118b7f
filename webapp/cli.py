"""Flask CLI commands: init-db, demo-data, create-user (run as `flask --app webapp ...`)."""

from __future__ import annotations

from datetime import datetime

import click
from flask import Flask
from flask.cli import FlaskGroup
from flask_migrate import upgrade

from models import Department, Organization, Role, VerifierBody, db
from models.db import utcnow
from processes import accounting, accounts, workflow
from processes.demo import DEMO_PASSWORD, load_demo_data
from processes.errors import ServiceError
from processes.orgdata import seed_departments


def register(app: Flask) -> None:
    @app.cli.command("init-db")
    def init_db() -> None:
        """Create or upgrade the database schema (Alembic migrations) and seed the departments."""
        upgrade(directory=app.config["MIGRATIONS_DIR"])
        seed_departments()
        accounting.ensure_default_factor_set()
        workflow.deploy()
        db.session.commit()
        click.echo("Database is at the newest schema; departments are in place.")

    @app.cli.command("demo-data")
    def demo_data() -> None:
        """Load the demo organisations and accounts (idempotent)."""
        created = load_demo_data()
        db.session.commit()
        click.echo(f"Demo data in place ({created} accounts created; password for all: {DEMO_PASSWORD}).")

    deadlines = click.Group("deadlines", help="Deadlines of the plan (R-TIME-1, R-TIME-2).")
    app.cli.add_command(deadlines)

    @deadlines.command("tick")
    @click.option("--now", "now_text", help="Pretend it is this ISO time (testing, catching up).")
    def tick(now_text: str | None) -> None:
        """Fire every due timer of every running event; idempotent, run it from cron every few minutes."""
        now = datetime.fromisoformat(now_text) if now_text else utcnow()
        if now.tzinfo is None:
            raise click.BadParameter("give a time zone, e.g. 2027-06-01T00:00+08:00", param_hint="--now")
        fired = workflow.tick(now)
        db.session.commit()
        for event_id, names in fired:
            click.echo(f"event {event_id}: {', '.join(names)}")
        click.echo(f"{len(fired)} event(s) had timers due.")

    process = click.Group("process", help="Diagram versions.")
    app.cli.add_command(process)

    @process.command("deploy")
    def deploy() -> None:
        """Register the diagrams in bpmn/ as a new version if they changed."""
        version = workflow.deploy()
        db.session.commit()
        click.echo(f"Newest diagram version: {version.number} ({version.content_hash[:12]}).")

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


def _create_app() -> Flask:
    from webapp import create_app

    return create_app()


main = FlaskGroup(create_app=_create_app, help="Tanzhong management commands.")
