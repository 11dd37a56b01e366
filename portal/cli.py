"""Command-line tools: ``flask --app portal create-user|demo|audit-verify``."""

from __future__ import annotations

import sys

import click
from flask import Flask

from .extensions import db
from .models import Role
from .services import audit, demo, users

MIN_PASSWORD_LENGTH = 12


@click.command("create-user")
@click.argument("email")
@click.option("--role", required=True, type=click.Choice([r.value for r in Role]))
@click.option("--name", "display_name", required=True, help="The name shown in the portal.")
@click.option("--locale", default=None, help="Saved language, e.g. es.")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
def create_user_command(
    email: str, role: str, display_name: str, locale: str | None, password_stdin: bool
) -> None:
    """Create a user; asks for the password unless --password-stdin is given."""
    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    if len(password) < MIN_PASSWORD_LENGTH:
        raise click.ClickException(f"the password needs at least {MIN_PASSWORD_LENGTH} characters")
    try:
        user = users.create_user(
            email, display_name=display_name, role=role, password=password, locale=locale
        )
    except users.EmailTaken as error:
        raise click.ClickException(str(error)) from error
    db.session.commit()
    click.echo(f"created {user.role} {user.email} (id {user.id})")


@click.command("demo")
def demo_command() -> None:
    """Load the demo sign-ins and their clients (safe to run again)."""
    created = demo.load_demo()
    db.session.commit()
    click.echo(f"demo data ready ({created} new records); every demo password is waypoint-demo")


@click.command("audit-verify")
def audit_verify_command() -> None:
    """Check the audit log's hash chain; exit 1 naming the first broken row."""
    report = audit.verify_chain()
    if report.ok:
        click.echo(f"audit chain intact: {report.checked} events")
        return
    click.echo(
        f"audit chain BROKEN at event {report.broken_id}: {report.reason} "
        f"({report.checked} events verified before it)",
        err=True,
    )
    sys.exit(1)


def init_app(app: Flask) -> None:
    """Register the commands."""
    for command in (create_user_command, demo_command, audit_verify_command):
        app.cli.add_command(command)
