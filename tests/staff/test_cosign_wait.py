"""The supervisor's co-signature queue is the table of notes that wait, kept by the database.

Signing through the app is covered with the queue's pages in test_notes. These cover the
writers that do not go through the service: a note inserted already signed (the generator,
the demo, an import), a co-signature written in bulk, and the migration that fills the table
from the notes that were already waiting.
"""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from argon2 import PasswordHasher
from sqlalchemy import select

from portal import create_app
from portal.extensions import db
from portal.models import NoteCosignature, NoteCosignWait, ProgressNote, Role, utcnow
from portal.services import generate_data, users

from ..factories import make_client as make_record
from ..factories import make_user
from .support import page, sign_in


def waiting() -> list[int]:
    return list(db.session.scalars(select(NoteCosignWait.note_id).order_by("note_id")))


def inserted(client_id: int, author_id: int, **fields: object) -> int:
    """A note written straight into the table, as a bulk load writes it."""
    values = {
        "client_id": client_id,
        "author_id": author_id,
        "status": "signed",
        "contact_at": utcnow() - timedelta(days=3),
        "contact_type": "office",
        "format": "narrative",
        "sections": {"narrative": "Bulk-loaded visit."},
        "goal_keys": [],
        "signed_at": utcnow() - timedelta(days=2),
        "needs_cosign": True,
    } | fields
    return int(
        db.session.execute(
            sa.insert(ProgressNote).values(**values).returning(ProgressNote.id)
        ).scalar_one()
    )


def test_a_note_inserted_signed_waits_until_a_cosignature_is_written(make_client, agency):
    waits = inserted(agency.own.id, agency.cm.id)
    inserted(agency.own.id, agency.cm.id, needs_cosign=False)
    inserted(agency.own.id, agency.cm.id, status="draft", signed_at=None)
    db.session.commit()
    assert waiting() == [waits]

    sam = sign_in(make_client(), agency.supervisor)
    assert "1 note waits for your co-signature" in page(sam.get("/staff/"))
    assert f'id="cosign-{waits}"' in page(sam.get("/staff/notes/cosign"))
    # The other team's supervisor has nothing to co-sign.
    tess = sign_in(make_client(), agency.other_supervisor)
    assert "waits for your co-signature" not in page(tess.get("/staff/"))

    db.session.execute(
        sa.insert(NoteCosignature).values(
            note_id=waits, user_id=agency.supervisor.id, signed_at=utcnow()
        )
    )
    db.session.commit()
    assert waiting() == []
    assert "waits for your co-signature" not in page(sam.get("/staff/"))
    assert "No notes are waiting for your co-signature." in page(sam.get("/staff/notes/cosign"))


def test_a_draft_waits_from_the_moment_it_is_signed(agency):
    draft = inserted(agency.own.id, agency.cm.id, status="draft", signed_at=None)
    db.session.commit()
    assert waiting() == []
    db.session.execute(
        sa.update(ProgressNote)
        .where(ProgressNote.id == draft)
        .values(status="signed", signed_at=utcnow())
    )
    db.session.commit()
    assert waiting() == [draft]


def test_the_migration_fills_the_queue_from_the_notes_already_waiting(fresh_database_url):
    from flask_migrate import downgrade, upgrade

    app = create_app({"SQLALCHEMY_DATABASE_URI": fresh_database_url})
    with app.app_context():
        upgrade(revision="0021_audit_actor_indexes")
        supervisor = make_user(Role.SUPERVISOR, display_name="Sam Supervisor")
        cm = make_user(Role.CASE_MANAGER, display_name="Casey Manager", supervisor=supervisor)
        person = make_record(legal_name="Olivia Quince", primary_case_manager=cm)
        db.session.commit()
        waits = inserted(person.id, cm.id)
        cosigned = inserted(person.id, cm.id)
        inserted(person.id, cm.id, needs_cosign=False)
        inserted(person.id, cm.id, status="draft", signed_at=None)
        db.session.execute(
            sa.insert(NoteCosignature).values(
                note_id=cosigned, user_id=supervisor.id, signed_at=utcnow()
            )
        )
        db.session.commit()

        upgrade()
        assert waiting() == [waits]
        later = inserted(person.id, cm.id)
        db.session.commit()
        assert waiting() == [waits, later]
        db.session.rollback()  # the migration takes its own connection

        downgrade(revision="0021_audit_actor_indexes")
        assert "note_cosign_wait" not in sa.inspect(db.engine).get_table_names()
        # Without the table its triggers are gone too: notes are signed as before.
        inserted(person.id, cm.id)
        db.session.commit()
        db.session.remove()
        db.engine.dispose()


def test_the_generator_leaves_the_queue_as_its_notes_are(app, monkeypatch):
    """Every generated note that wants a co-signature and has none waits, and only those."""
    monkeypatch.setattr(users, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024))
    generate_data.generate(12, seed=7)
    db.session.commit()
    expected = list(
        db.session.scalars(
            select(ProgressNote.id)
            .where(
                ProgressNote.status == "signed",
                ProgressNote.needs_cosign.is_(True),
                ~ProgressNote.cosignature.has(),
            )
            .order_by(ProgressNote.id)
        )
    )
    assert expected and waiting() == expected
