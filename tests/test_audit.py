"""The audit log: a hash chain that shows any changed or removed row, and refuses changes."""

from __future__ import annotations

import threading

import pytest
import sqlalchemy as sa
from sqlalchemy import select
from sqlalchemy.exc import DBAPIError, IntegrityError

from portal import create_app
from portal.extensions import db
from portal.models import AuditEvent, AuditHead, Role
from portal.services import audit

from .conftest import ON_POSTGRES
from .factories import make_user


def write_events(n: int, actor=None) -> None:
    for i in range(n):
        audit.record("view", actor=actor, ip="10.0.0.1", object_type="thing", object_id=i)
    db.session.commit()


def test_a_fresh_chain_verifies(app):
    user = make_user(Role.CASE_MANAGER)
    write_events(5, user)
    report = audit.verify_chain()
    assert report.ok and report.checked == 5
    events = db.session.scalars(select(AuditEvent).order_by(AuditEvent.id)).all()
    assert [e.id for e in events] == [1, 2, 3, 4, 5]
    assert events[0].prev_hash == "0" * 64
    assert all(b.prev_hash == a.hash for a, b in zip(events, events[1:], strict=False))


def test_unknown_actions_are_refused(app):
    with pytest.raises(ValueError, match="unknown audit action"):
        audit.record("peek", actor=None, ip=None)


@pytest.mark.parametrize(
    "statement", ["UPDATE audit_event SET ip = '1.2.3.4'", "DELETE FROM audit_event"]
)
def test_the_database_refuses_changing_audit_rows(app, statement):
    write_events(2)
    with pytest.raises((IntegrityError, DBAPIError), match="append-only"):
        db.session.execute(sa.text(statement))
    db.session.rollback()
    assert audit.verify_chain().ok


def test_the_database_refuses_winding_the_head_back(app):
    write_events(3)
    with pytest.raises((IntegrityError, DBAPIError), match="wound back"):
        db.session.execute(sa.text("UPDATE audit_head SET event_count = 2"))
    db.session.rollback()
    with pytest.raises((IntegrityError, DBAPIError), match="cannot be deleted|append-only"):
        db.session.execute(sa.text("DELETE FROM audit_head"))
    db.session.rollback()


@pytest.mark.skipif(not ON_POSTGRES, reason="TRUNCATE exists only on PostgreSQL")
def test_postgres_refuses_truncating_the_log(app):
    write_events(1)
    with pytest.raises(DBAPIError, match="append-only"):
        db.session.execute(sa.text("TRUNCATE audit_event"))
    db.session.rollback()


def _without_triggers(sql: str) -> None:
    """What an attacker with database access would do: switch the guard off, then edit."""
    conn = db.session.connection()
    if ON_POSTGRES:
        conn.execute(sa.text("SET LOCAL session_replication_role = replica"))
        conn.execute(sa.text(sql))
        conn.execute(sa.text("SET LOCAL session_replication_role = origin"))
    else:
        for name in ("audit_event_no_update", "audit_event_no_delete"):
            conn.execute(sa.text(f"DROP TRIGGER {name}"))
        conn.execute(sa.text(sql))


def test_verify_names_an_edited_row(app):
    write_events(5)
    _without_triggers("UPDATE audit_event SET ip = '203.0.113.9' WHERE id = 3")
    report = audit.verify_chain()
    assert not report.ok
    assert (report.broken_id, report.reason) == (3, "row content changed")
    db.session.rollback()


def test_verify_names_a_row_removed_from_the_middle(app):
    write_events(5)
    _without_triggers("DELETE FROM audit_event WHERE id = 2")
    report = audit.verify_chain()
    assert (report.ok, report.broken_id) == (False, 2)
    db.session.rollback()


def test_verify_detects_the_newest_rows_removed(app):
    write_events(5)
    _without_triggers("DELETE FROM audit_event WHERE id >= 4")
    report = audit.verify_chain()
    assert not report.ok
    assert report.broken_id == 4
    assert "newest rows removed" in report.reason
    db.session.rollback()


def test_verify_detects_a_rehashed_row(app):
    """Editing a row and recomputing its hash still breaks the link to the next row."""
    write_events(4)
    row = db.session.execute(select(AuditEvent.__table__).where(AuditEvent.id == 2)).one()
    forged = dict(row._mapping, ip="198.51.100.7")
    new_hash = audit.compute_hash(type("Row", (), forged))
    _without_triggers(
        f"UPDATE audit_event SET ip = '198.51.100.7', hash = '{new_hash}' WHERE id = 2"
    )
    report = audit.verify_chain()
    assert (report.ok, report.broken_id, report.reason) == (False, 3, "previous-hash link broken")
    db.session.rollback()


def test_concurrent_writers_keep_one_linear_chain(fresh_database_url):
    """Threads with their own connections write at once; the chain never forks."""
    from flask_migrate import upgrade

    app = create_app({"SQLALCHEMY_DATABASE_URI": fresh_database_url})
    with app.app_context():
        upgrade()
    threads, per_thread, errors = 6, 15, []
    start = threading.Barrier(threads)

    def writer(n: int) -> None:
        try:
            with app.app_context():
                start.wait()
                for i in range(per_thread):
                    audit.record("view", actor=None, ip=f"10.0.{n}.{i}", object_type="t")
                    db.session.commit()
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)

    workers = [threading.Thread(target=writer, args=(n,)) for n in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(timeout=120)
    assert errors == []
    with app.app_context():
        report = audit.verify_chain()
        head = db.session.get(AuditHead, 1)
        ips = db.session.scalars(select(AuditEvent.ip)).all()
        assert report.ok, report
        assert report.checked == head.event_count == threads * per_thread
        assert len(set(ips)) == threads * per_thread
        db.session.remove()
        db.engine.dispose()


def test_audit_verify_command_exit_codes(app):
    write_events(3)
    runner = app.test_cli_runner()
    ok = runner.invoke(args=["audit-verify"])
    assert ok.exit_code == 0 and "intact: 3 events" in ok.output
    _without_triggers("UPDATE audit_event SET detail = 'changed' WHERE id = 2")
    db.session.flush()
    broken = runner.invoke(args=["audit-verify"])
    assert broken.exit_code == 1
    assert "event 2" in broken.output and "row content changed" in broken.output
    db.session.rollback()


def test_the_log_keeps_its_chain_and_guards_across_dropping_the_hash_index(fresh_database_url):
    """Migration 0016 builds audit_event again on SQLite: the rows, their chain and the
    triggers that refuse changes must come through it, both ways."""
    from flask_migrate import downgrade, upgrade

    app = create_app({"SQLALCHEMY_DATABASE_URI": fresh_database_url})
    with app.app_context():
        upgrade(revision="0015_note_client_cosign")
        write_events(3)
        db.session.execute(sa.text("ANALYZE"))  # as the daily job leaves a database
        db.session.commit()
        upgrade()
        write_events(2)
        assert audit.verify_chain() == audit.ChainReport(True, 5)
        if not ON_POSTGRES:  # the rebuilt table has its statistics again
            stats = "SELECT count(*) FROM sqlite_stat1 WHERE tbl = 'audit_event'"
            assert db.session.execute(sa.text(stats)).scalar()
        for statement in ("UPDATE audit_event SET ip = '1.2.3.4'", "DELETE FROM audit_event"):
            with pytest.raises((IntegrityError, DBAPIError), match="append-only"):
                db.session.execute(sa.text(statement))
            db.session.rollback()
        downgrade(revision="0015_note_client_cosign")
        assert audit.verify_chain() == audit.ChainReport(True, 5)
        with pytest.raises((IntegrityError, DBAPIError), match="append-only"):
            db.session.execute(sa.text("DELETE FROM audit_event"))
        db.session.rollback()
        db.session.remove()
        db.engine.dispose()
