"""Administering instruments: store the answers, compute the result, act on critical answers."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select

from ..extensions import db
from ..i18n import current_language, force_locale
from ..instruments import RISK_ORDER, Instrument, Result, registry
from ..models import Assessment, Client, User, utcnow
from . import audit, clients, tasks


def instruments() -> dict[str, Instrument]:
    """The app's instruments: the shipped files plus ``INSTRUMENT_DIRS`` (loaded once per app)."""
    cached = current_app.extensions.get("portal_instruments")
    if cached is None:
        cached = registry(tuple(current_app.config.get("INSTRUMENT_DIRS", ())))
        current_app.extensions["portal_instruments"] = cached
    return dict(cached)


def record(
    client: Client,
    instrument: Instrument,
    answers: Mapping[str, int | None],
    notes: Mapping[str, str],
    *,
    actor: User,
    ip: str | None,
    today: date,
    self_report: bool = False,
) -> tuple[Assessment, Result]:
    """Store a complete administration; a critical answer raises the risk flag and a task."""
    result = instrument.score(answers)
    kept = {i.id: answers[i.id] for i in instrument.applicable_items(answers)}
    assessment = Assessment(
        client_id=client.id,
        instrument_code=instrument.code,
        instrument_version=instrument.version,
        administered_by_id=actor.id,
        administered_at=utcnow(),
        self_report=self_report,
        answers=kept,
        notes={k: v.strip() for k, v in notes.items() if v and v.strip() and k in kept},
        total=result.total,
        band=result.band.code if result.band else None,
        risk_level=result.risk_level,
        critical_items=result.critical_items,
    )
    db.session.add(assessment)
    db.session.flush()
    audit.record(
        "create",
        actor=actor,
        ip=ip,
        object_type="assessment",
        object_id=assessment.id,
        client_id=client.id,
        detail=instrument.code,
    )
    if result.critical_items or result.risk_level in ("moderate", "high"):
        _raise_flag(client, instrument, result, actor=actor, ip=ip, today=today)
    return assessment, result


def _raise_flag(
    client: Client,
    instrument: Instrument,
    result: Result,
    *,
    actor: User,
    ip: str | None,
    today: date,
) -> None:
    """At least "moderate" pending review (or the instrument's own risk level if higher)."""
    wanted = result.risk_level if result.risk_level in ("moderate", "high") else "moderate"
    if RISK_ORDER.index(wanted) > RISK_ORDER.index(client.risk_level):
        clients.set_risk(
            client,
            wanted,
            _(
                "Critical answer on %(instrument)s: review needed.",
                instrument=instrument.code.upper(),
            ),
            actor=actor,
            ip=ip,
        )
    # A self-report has no staff author: with no case manager the task waits unassigned
    # (on the client's record) rather than going to the client.
    assignee = client.primary_case_manager or (actor if actor.is_staff else None)
    # The task is read by its assignee: in their saved language, else the agency's default
    # (never the language of a client who answered).
    locale = (assignee.locale if assignee else None) or str(
        current_app.config["BABEL_DEFAULT_LOCALE"]
    )
    with force_locale(locale):
        title = _("Review the critical answer on %(instrument)s", instrument=_title(instrument))
    tasks.create_task(
        title=title, client=client, due_on=today, assignee=assignee, actor=actor, ip=ip
    )


def _title(instrument: Instrument) -> str:
    return instrument.title(current_language())


def previous(assessment: Assessment) -> Assessment | None:
    """The same instrument's administration just before this one, for "change since last"."""
    return db.session.scalars(
        select(Assessment)
        .where(
            Assessment.client_id == assessment.client_id,
            Assessment.instrument_code == assessment.instrument_code,
            Assessment.id < assessment.id,
        )
        .order_by(Assessment.id.desc())
        .limit(1)
    ).first()


def history(client: Client, code: str | None = None) -> list[Assessment]:
    query = select(Assessment).where(Assessment.client_id == client.id)
    if code is not None:
        query = query.where(Assessment.instrument_code == code)
    return list(db.session.scalars(query.order_by(Assessment.administered_at, Assessment.id)))
