"""`flask factors import FILE.csv [--note]` and `flask factors list`: the emission-factor library."""

from __future__ import annotations

from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import AppGroup
from flask_babel import force_locale

from models import db
from processes import accounting
from processes.errors import Invalid

factors = AppGroup("factors", help="Emission-factor sets: import a new version, list the set in force.")


@factors.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--note", help="Why this version is imported (kept with the set and in the audit trail).")
def import_command(file: Path, note: str | None) -> None:
    """Validate FILE.csv and import it as the next factor-set version (all rows or none)."""
    before = {s.id for s in accounting.factor_sets()}
    with force_locale(current_app.config["BABEL_DEFAULT_LOCALE"]):  # no request, so no locale selector
        try:
            factor_set = accounting.import_factor_csv(file, note=note)
        except Invalid as exc:
            db.session.rollback()
            for where, problems in exc.fields.items():
                for problem in problems:
                    click.echo(f"{where}: {problem}", err=True)
            raise click.ClickException(str(exc.message)) from exc
    db.session.commit()
    if factor_set.id in before:
        click.echo(f"Identical to factor set #{factor_set.number}; nothing changed.")
    else:
        click.echo(f"Imported factor set #{factor_set.number} ({len(factor_set.factors)} factors).")


@factors.command("list")
@click.option("--number", type=int, help="Show this version instead of the set in force.")
def list_command(number: int | None) -> None:
    """List the factor-set versions and the factors of the set in force (or of --number)."""
    sets = accounting.factor_sets()
    if not sets:
        click.echo("No factor set imported yet (the default set loads on first use).")
        return
    for s in sets:
        click.echo(f"#{s.number}  {s.imported_at:%Y-%m-%d %H:%M}  {s.sha256[:12]}  {s.filename or ''}  {s.note or ''}")
    chosen = next((s for s in sets if s.number == number), None) if number else sets[0]
    if chosen is None:
        raise click.BadParameter(f"no factor set #{number}", param_hint="--number")
    click.echo(f"\nFactor set #{chosen.number}:")
    for f in accounting.factors(chosen):
        value = accounting.factor_json(f)["kgco2e_per_unit"]
        since = f"  from {f.valid_from.isoformat()}" if f.valid_from else ""
        click.echo(f"{f.key:<52} {f.category.value:<14} {value:>12} kg/{f.unit:<10} {f.year or '':<5} "
                   f"{f.status.value:<9}{since}")


def register(app: Flask) -> None:
    """Add the `factors` command group to the app's CLI."""
    app.cli.add_command(factors)
