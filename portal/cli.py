"""Command-line tools: ``flask --app portal create-user|demo|audit-verify|unlock|reset-mfa|
referral-follow-ups|send-reminders|prune-sessions|backup|restore|generate-data``."""

from __future__ import annotations

import sys
from datetime import timedelta
from pathlib import Path

import click
from flask import Flask, current_app

from .addresses import url_for
from .extensions import db
from .i18n import agency_today
from .models import Role, utcnow
from .services import (
    audit,
    backup,
    demo,
    generate_data,
    mfa,
    passwords,
    referrals,
    reminders,
    sessions,
    tokens,
    users,
)


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
    problems = passwords.password_problems(password, email=email)
    if problems:
        raise click.ClickException(" ".join(problems))
    try:
        user = users.create_user(
            email, display_name=display_name, role=role, password=password, locale=locale
        )
    except users.EmailTaken as error:
        raise click.ClickException(str(error)) from error
    db.session.commit()
    click.echo(f"created {user.role} {user.email} (id {user.id})")


@click.command("demo")
@click.option("--force", is_flag=True, help="Load into a production database anyway.")
def demo_command(force: bool) -> None:
    """Load the demo sign-ins and their clients (safe to run again)."""
    if current_app.config["ENV_NAME"] == "production" and not force:
        raise click.ClickException(
            "refusing to add demo accounts with a published password to a production database"
        )
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


@click.command("unlock")
@click.argument("email")
def unlock_command(email: str) -> None:
    """Lift a sign-in lock-out for EMAIL now (audited)."""
    was_locked = users.unlock(email, actor=None, ip=None)
    db.session.commit()
    click.echo(f"{email}: {'unlocked' if was_locked else 'was not locked; failure count cleared'}")


@click.command("reset-mfa")
@click.argument("email")
def reset_mfa_command(email: str) -> None:
    """Turn off EMAIL's two-step sign-in (lost phone); they set it up again at next sign-in."""
    user = users.find_by_email(email)
    if user is None:
        raise click.ClickException(f"no account with the email {email}")
    mfa.disable(user, actor=None, ip=None, action="mfa_reset")
    sessions.end_all(user, "mfa_reset", ip=None)
    db.session.commit()
    click.echo(f"{user.email}: two-step sign-in reset; every session ended")


@click.command("referral-follow-ups")
def referral_follow_ups_command() -> None:
    """Give each open referral whose follow-up date has passed one follow-up task (cron)."""
    made = referrals.follow_up_overdue(agency_today())
    db.session.commit()
    click.echo(f"{made} follow-up task(s) created")


@click.command("prune-sessions")
@click.option(
    "--days",
    type=click.IntRange(min=1),
    default=sessions.KEEP_DAYS,
    show_default=True,
    help="Keep what stopped working fewer days ago than this.",
)
def prune_sessions_command(days: int) -> None:
    """Remove sign-in sessions and emailed tokens that stopped working DAYS ago (cron)."""
    before = utcnow() - timedelta(days=days)
    gone_sessions, gone_tokens = sessions.prune(before), tokens.prune(before)
    db.session.commit()
    click.echo(
        f"{gone_sessions} session(s) and {gone_tokens} token(s) removed "
        f"(stopped working more than {days} days ago)"
    )


@click.command("send-reminders")
@click.option("--hours", type=int, default=None, help="Look this far ahead (REMINDER_HOURS).")
def send_reminders_command(hours: int | None) -> None:
    """Email a reminder for each appointment starting soon, once per recipient (cron)."""
    base = str(current_app.config["PUBLIC_URL"]).rstrip("/")
    sent = failed = 0
    for reminder in list(reminders.due(hours=hours)):
        endpoint = "family.appointments" if reminder.for_family else "client.appointments"
        with current_app.test_request_context(base_url=base):
            link = url_for(endpoint, _external=True)
        if reminders.send(reminder, link=link):
            db.session.commit()  # each reminder recorded as soon as it is sent
            sent += 1
        else:
            failed += 1
    click.echo(
        f"{sent} reminder(s) sent" + (f", {failed} failed (retried next run)" if failed else "")
    )
    if failed:
        sys.exit(1)


@click.command("backup")
@click.argument("path", type=click.Path(path_type=Path))
def backup_command(path: Path) -> None:
    """Write one .tar.gz: a consistent copy of the database, the documents and a manifest.

    PATH is the archive's name, or an existing folder to put waypoint-<UTC time>.tar.gz in.
    Safe while the app is serving.
    """
    try:
        result = backup.create_backup(path)
    except backup.BackupError as error:
        raise click.ClickException(f"backup failed: {error}") from error
    click.echo(f"database ({result.database}) copied with {result.method}")
    click.echo(
        f"backup written to {result.path} ({result.size} bytes): revision {result.revision}, "
        f"{len(result.counts)} tables, {sum(result.counts.values())} rows, "
        f"{result.documents} document file(s)"
    )
    if result.missing_documents:
        click.echo(
            f"warning: {len(result.missing_documents)} document(s) the database refers to are "
            f"missing or changed on disk (first: {result.missing_documents[0]}); "
            "listed in the manifest",
            err=True,
        )


@click.command("restore")
@click.argument("path", type=click.Path(path_type=Path))
@click.option(
    "--force",
    is_flag=True,
    help="Replace a database that is not empty, and overwrite document files that differ.",
)
def restore_command(path: Path, force: bool) -> None:
    """Restore a backup into an empty database; exit 1 with the reason when it refuses.

    The archive is checked against its manifest before anything is written. Without --force
    the database must have no tables at all (create it, do not run db upgrade) and no file in
    the document folder may differ from the backup's. With --force the database's contents
    are replaced (PostgreSQL: the backup's objects are dropped and recreated) and differing
    documents are overwritten. A backup from an older revision is upgraded to this code's.
    """
    try:
        result = backup.restore_backup(path, force=force)
    except backup.BackupError as error:
        raise click.ClickException(f"restore refused: {error}") from error
    click.echo(f"archive verified: {result.verified_members} member(s) match the manifest")
    click.echo(f"database ({result.database}) restored with {result.method}")
    if result.upgraded_to:
        click.echo(f"upgraded from revision {result.revision} to {result.upgraded_to}")
    else:
        click.echo(f"revision {result.revision} matches the code")
    click.echo(
        f"documents: {result.documents_written} restored, "
        f"{result.documents_present} already in place"
    )
    for table, rows in result.counts.items():
        click.echo(f"  {table}: {rows}")
    chain = result.chain
    if not chain.ok:
        click.echo(
            f"audit chain BROKEN at event {chain.broken_id}: {chain.reason} "
            f"({chain.checked} events verified before it)",
            err=True,
        )
        sys.exit(1)
    click.echo(f"audit chain intact: {chain.checked} events")


@click.command("generate-data")
@click.option("--clients", type=click.IntRange(min=1), required=True, help="How many clients.")
@click.option("--seed", type=int, default=1, show_default=True, help="Same seed, same agency.")
@click.option("--force", is_flag=True, help="Generate into a production database anyway.")
def generate_data_command(clients: int, seed: int, force: bool) -> None:
    """Fill the database with a synthetic agency of CLIENTS clients, with the demo accounts."""
    if current_app.config["ENV_NAME"] == "production" and not force:
        raise click.ClickException(
            "refusing to add generated clients and demo accounts to a production database"
        )
    try:
        report = generate_data.generate(clients, seed=seed, echo=click.echo)
    except generate_data.AlreadyGenerated as error:
        raise click.ClickException(str(error)) from error
    db.session.commit()
    generate_data.refresh_statistics()
    db.session.commit()
    click.echo(
        f"generated {report.clients} client{'s' if report.clients != 1 else ''}: "
        f"{report.total_rows:,} rows in "
        f"{report.seconds:.1f} s; every demo and generated password is "
        f"{current_app.config['DEMO_PASSWORD']}"
    )


def init_app(app: Flask) -> None:
    """Register the commands."""
    for command in (
        create_user_command,
        demo_command,
        audit_verify_command,
        unlock_command,
        reset_mfa_command,
        referral_follow_ups_command,
        send_reminders_command,
        prune_sessions_command,
        backup_command,
        restore_command,
        generate_data_command,
    ):
        app.cli.add_command(command)
