"""The ``tripposter`` command: a Flask CLI group. Each command's body calls a service.

The CLI builds the app (``FlaskGroup(create_app=...)``), never the other way round. Start-up is
kept light: ``tripposter --help`` lists the commands without building the app, and each command
imports its services, the database layer and the web app only when it runs. The worker builds its
runtime straight from the settings (``compose.build_queue``), without the web app.
"""

from __future__ import annotations

import getpass
import logging
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
from flask import Flask, current_app
from flask.cli import AppGroup, FlaskGroup, with_appcontext

from .commands.scrub import scrub_command
from .services.errors import ServiceError, ValidationError

if TYPE_CHECKING:
    from sqlalchemy.orm import Session, sessionmaker


def _create_app() -> Flask:
    from . import create_app

    return create_app()


class _Group(FlaskGroup):
    """A FlaskGroup whose command list is its own, so ``--help`` need not build the app to list it."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(self.commands)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        # Our own commands first: FlaskGroup would load every installed Flask plugin's commands
        # (and their libraries) before looking, and build the app for a name it does not know.
        return self.commands.get(name) or super().get_command(ctx, name)


@click.group(cls=_Group, create_app=_create_app, add_default_commands=True)
def main() -> None:
    """tripposter: post school-trip photos safely. Run 'tripposter COMMAND --help' for details."""


def register_commands(app: Flask) -> None:
    """Attach the commands to ``app.cli`` too, for an app built outside ``tripposter`` (tests, ``flask --app``)."""
    for command in COMMANDS:
        app.cli.add_command(command)


def session_factory() -> sessionmaker[Session]:
    """The app's sessionmaker (imported here, so only the commands that use the database load it)."""
    from .web.core.database import session_factory as app_sessions

    return app_sessions()


class _RoleType(click.ParamType):
    """``click.Choice`` over the roles, built when used, so the models load only for ``create-user``."""

    name = "role"

    def _choice(self) -> click.Choice[str]:
        from .models import Role

        return click.Choice([role.value for role in Role])

    def get_metavar(self, param: click.Parameter, ctx: click.Context) -> str | None:
        return self._choice().get_metavar(param, ctx)

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        return self._choice().convert(value, param, ctx)


def _url() -> str:
    return current_app.config["TRIPPOSTER_SETTINGS"].database_url


@click.command("create-user")
@click.option("--email", required=True, help="The address the person signs in with.")
@click.option("--name", "display_name", required=True, help="Their name as staff see it.")
@click.option("--role", type=_RoleType(), required=True)
@click.option("--password", envvar="TRIPPOSTER_NEW_PASSWORD", help="Asked for if not given (safer).")
@with_appcontext
def create_user(email: str, display_name: str, role: str, password: str | None) -> None:
    """Add a staff account."""
    from .models import Role
    from .services.people import accounts

    password = password or getpass.getpass("Password (at least 10 characters): ")
    with session_factory()() as session, session.begin():
        try:
            accounts.create_user(
                session, None, email=email, display_name=display_name, role=Role(role), password=password
            )
        except ValidationError as exc:
            raise click.ClickException(exc.user_message) from None
    click.echo(f"Created {email} ({Role(role).label}).")


@click.command("import-roster")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Show what would change and write nothing.")
@with_appcontext
def import_roster(file: Path, dry_run: bool) -> None:
    """Import the consent roster from a CSV FILE: every row or none."""
    from .services.school import roster

    data = file.read_bytes()
    with session_factory()() as session:
        try:
            preview = roster.preview_import(session, data)
        except ServiceError as exc:
            raise click.ClickException(exc.user_message) from None
        _echo_preview(preview)
        if dry_run:
            return
        roster.apply_import(session, None, data, preview.fingerprint)
        session.commit()
    click.echo("Imported.")


def _echo_preview(preview: roster.RosterPreview) -> None:
    """Print what an import would do: every problem, or every consent change and new pupil."""
    parsed = preview.parsed
    for column in parsed.missing_columns:
        click.echo(f"missing column: {column}", err=True)
    for problem in parsed.column_errors:
        click.echo(problem, err=True)
    for line, problem in parsed.errors:
        click.echo(f"line {line}: {problem}", err=True)
    if not preview.ok:
        if not (parsed.missing_columns or parsed.column_errors or parsed.errors):
            click.echo("The file has a header row but no pupils.", err=True)
        raise click.ClickException("Nothing was imported. Fix the problems above and try again.")
    click.echo(f"{len(preview.new)} new, {len(preview.changed)} changed, {preview.unchanged} unchanged.")
    click.echo(f"{preview.no_consent} pupils have no photo consent.")
    if preview.consent_changes:
        click.echo(f"Consent that would change ({preview.refusals} refusals, shown first and marked REFUSAL):")
    for change in preview.consent_changes:
        row = change.row
        mark = "REFUSAL" if change.refusal else "       "
        click.echo(
            f"  {mark} {row.first_name} {row.last_name} ({row.external_id}): "
            f"{change.label} {_answer(change.old)} -> {_answer(change.new)}"
        )
    if preview.new:
        click.echo("New pupils:")
    for row in preview.new:
        click.echo(
            f"  {row.first_name} {row.last_name} ({row.external_id}): photo consent {_answer(row.photo_consent)}, "
            f"first-name consent {_answer(row.first_name_consent)}"
        )


def _answer(value: bool | None) -> str:
    return {True: "yes", False: "no", None: "no record"}[value]


@click.command("seed-demo")
@click.option("--if-empty", is_flag=True, help="Do nothing (and succeed) when the database already has users.")
@click.option("--url", default="http://127.0.0.1:5000", show_default=True,
              help="Where the app will be served, for the sign-in line it prints.")
@with_appcontext
def seed_demo(if_empty: bool, url: str) -> None:
    """Create a demo school: three staff, thirty pupils and a trip running today."""
    from .models import utcnow
    from .services.networks import channels
    from .services.school import demo

    with session_factory()() as session, session.begin():
        if demo.has_users(session):
            if if_empty:
                click.echo("Demo data not added: the database already has users.")
                return
            raise click.ClickException("This database already has users, so no demo data was added.")
        logins = demo.seed_demo(session)
        # A second destination with no account anywhere, so the demo shows posting to several networks.
        settings = current_app.config["TRIPPOSTER_SETTINGS"]
        channels.connect_practice_outbox(session, None, settings.token_key, settings.practice_outbox_path, utcnow())
    click.echo("Demo school created; posts go to the outbox and the practice outbox. "
               f"Sign in at {url} with:")
    for login in logins:
        click.echo(f"  {login.role.label:<14} {login.email:<22} {login.password}")


@click.command("worker")
@click.option("--workers", default=1, show_default=True, help="Threads publishing at once.")
def worker(workers: int) -> None:
    """Run the job worker: publishes posts, sends scheduled ones on time, sweeps expired photos."""
    from .compose import build_queue
    from .config import Settings

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # The same settings the app factory reads, without building the web app the worker never uses.
    build_queue(Settings.from_env()).start_worker(workers)


@click.group("jobs", cls=AppGroup)
def jobs_group() -> None:
    """Run queue work by hand (useful without a worker, and in tests)."""


@jobs_group.command("tick")
def jobs_tick() -> None:
    """Dispatch due posts, settle interrupted ones and sweep expired photos, then run the queue."""
    queue = current_app.extensions["tripposter.queue"]
    report = queue.tick()
    report["ran"] = queue.drain()
    click.echo(" ".join(f"{k}={v}" for k, v in report.items()))


@jobs_group.command("recover")
def jobs_recover() -> None:
    """What the worker does at start-up: settle interrupted posts and clear the spool of strays."""
    from .services.posting.recovery import recover

    click.echo(str(recover(current_app.extensions["tripposter.runtime"], spool=True)))


@click.group("db", cls=AppGroup)
def db_group() -> None:
    """Database schema commands (Alembic)."""


@db_group.command("upgrade")
@click.argument("revision", default="head")
def db_upgrade(revision: str) -> None:
    """Upgrade the database to REVISION (default: head)."""
    from .db import upgrade

    upgrade(_url(), revision)
    click.echo(f"Database is at {revision}.")


@db_group.command("downgrade")
@click.argument("revision")
def db_downgrade(revision: str) -> None:
    """Downgrade the database to REVISION (for example -1)."""
    from alembic import command

    from .db import alembic_config

    command.downgrade(alembic_config(_url()), revision)


@db_group.command("current")
def db_current() -> None:
    """Show the database's revision."""
    from alembic import command

    from .db import alembic_config

    command.current(alembic_config(_url()))


@db_group.command("history")
def db_history() -> None:
    """List the migrations."""
    from alembic import command

    from .db import alembic_config

    command.history(alembic_config(_url()))


@db_group.command("revision")
@click.option("-m", "--message", required=True)
@click.option("--autogenerate/--empty", default=True)
def db_revision(message: str, autogenerate: bool) -> None:
    """Write a new migration from the difference between the models and the database."""
    from alembic import command

    from .db import alembic_config

    command.revision(alembic_config(_url()), message=message, autogenerate=autogenerate)


COMMANDS = (create_user, import_roster, seed_demo, db_group, worker, jobs_group, scrub_command)
for _command in COMMANDS:
    main.add_command(_command)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
