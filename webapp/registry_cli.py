"""`flask registry import --registry verra FILE`, `flask registry list`, `flask registry recheck`: the
registries' public data beside the ledger (issue #22, R-CAN-2)."""

from __future__ import annotations

from pathlib import Path
from time import perf_counter

import click
from flask import Flask, current_app
from flask.cli import AppGroup
from flask_babel import force_locale
from sqlalchemy import func, select

from models import Role, User, db
from models.offsets import Registry
from models.registry import CancellationCheck, RegistryImport
from processes.errors import ServiceError
from processes.registry import importer, matching
from processes.registry.adapters import GENERIC_FIELDS

registry = AppGroup("registry", help="Registry data: import a registry's public export, list the imports, "
                                     "check the ledger against them again.")
REGISTRIES = [r.value for r in Registry]


def _actor(username: str | None) -> User | None:
    if not username:
        return None
    user = db.session.execute(select(User).filter_by(username=username)).scalar()
    eeb = user is not None and user.is_department and user.department and user.department.kind.value == "eeb"
    if user is None or not user.active or not (eeb or user.role == Role.ADMIN):
        raise click.BadParameter(f"{username!r} is no active Ecology and Environment Bureau user or administrator",
                                 param_hint="--actor")
    return user


def _mapping(columns: tuple[str, ...]) -> dict[str, str]:
    mapping = {}
    for item in columns:
        field, sep, column = item.partition("=")
        if not sep or field.strip() not in GENERIC_FIELDS:
            raise click.BadParameter(f"{item!r}: write FIELD=COLUMN with FIELD one of {', '.join(GENERIC_FIELDS)}",
                                     param_hint="--column")
        mapping[field.strip()] = column
    return mapping


def _progress(rows: int) -> None:
    if rows % 50_000 < importer.BATCH:
        click.echo(f"  {rows:,} rows read …")


def _echo_error(exc: ServiceError) -> None:
    for where, problems in exc.fields.items():
        for problem in problems:
            click.echo(f"{where}: {problem}", err=True)


@registry.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--registry", "registry_code", required=True, type=click.Choice(REGISTRIES),
              help="Whose export this is (verra: transactions export; gold_standard: retirements export).")
@click.option("--source", help="Where the file came from, e.g. 'Verra registry, transactions, downloaded 2026-04-15'.")
@click.option("--actor", help="Username of the EEB staff member importing (recorded; else the command line is).")
@click.option("--column", "columns", multiple=True, metavar="FIELD=COLUMN",
              help="Other registries: which column holds each field (serial or serial_from/serial_to, date, "
                   "quantity, beneficiary, reason, note, project_code, project_name, vintage). Repeat it.")
def import_command(file: Path, registry_code: str, source: str | None, actor: str | None,
                   columns: tuple[str, ...]) -> None:
    """Import FILE, a registry's public export, all rows or none; the ledger lines are checked again."""
    max_bytes = int(current_app.config.get("REGISTRY_IMPORT_MAX_MB", importer.MAX_MB)) * 1024 * 1024
    started = perf_counter()
    with force_locale(current_app.config["BABEL_DEFAULT_LOCALE"]), file.open("rb") as stream:
        try:
            row = importer.import_export(stream, Registry(registry_code), filename=file.name, actor=_actor(actor),
                                         channel="cli", source=source, mapping=_mapping(columns) or None,
                                         max_bytes=max_bytes,
                                         progress=_progress)
        except ServiceError as exc:
            db.session.rollback()
            _echo_error(exc)
            raise click.ClickException(str(exc.message)) from exc
    db.session.commit()
    seconds = perf_counter() - started
    click.echo(f"Import no. {row.id}: {row.rows:,} rows, {row.ranges:,} retirement ranges from {file.name} "
               f"(sha256 {row.sha256[:12]}…) in {seconds:.1f} s ({row.rows / max(seconds, 1e-9):,.0f} rows/s).")
    _echo_statuses()


def _echo_statuses() -> None:
    counts = db.session.execute(select(CancellationCheck.status, func.count()).group_by(CancellationCheck.status))
    click.echo("Ledger lines by registry status: " + (", ".join(
        f"{status.value} {count}" for status, count in counts) or "none checked"))


@registry.command("list")
def list_command() -> None:
    """List the imports, newest first."""
    rows = db.session.execute(select(RegistryImport).order_by(RegistryImport.id.desc())).scalars().all()
    if not rows:
        click.echo("No registry data imported yet.")
    for r in rows:
        who = r.imported_by.username if r.imported_by else r.channel
        click.echo(f"#{r.id}  {r.created_at:%Y-%m-%d %H:%M}  {r.unit_registry.value:<22} {r.status.value:<9} "
                   f"{r.rows:>9,} rows  {r.sha256[:12]}  {who}  {r.filename}  {r.source or ''}".rstrip())


@registry.command("recheck")
@click.option("--registry", "registry_code", type=click.Choice(REGISTRIES), help="Only the lines at this registry.")
def recheck_command(registry_code: str | None) -> None:
    """Check the ledger lines against the imports again (e.g. after lines were loaded in bulk)."""
    counts = matching.recheck(Registry(registry_code) if registry_code else None)
    db.session.commit()
    click.echo("Checked: " + (", ".join(f"{k} {v}" for k, v in sorted(counts.items())) or "no lines"))


def register(app: Flask) -> None:
    """Add the `registry` command group to the app's CLI."""
    app.cli.add_command(registry)
