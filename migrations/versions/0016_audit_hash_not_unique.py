"""audit_event.hash without a unique index: the chain, not an index, checks it

Revision ID: 0016_audit_hash_not_unique
Revises: 0015_note_client_cosign
Create Date: 2026-12-07

Every audited request inserted its SHA-256 into a unique index, at a random place in an
index as large as the log: one more page read and written per request, and about a tenth
of the database. Distinct rows have distinct ids (the primary key) and each hash covers its
id, so the index never refused anything; ``audit-verify`` checks every hash.

SQLite cannot drop a table's constraint, so the table is built again (batch mode): its
triggers and statistics go with the old table and are made again here.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0016_audit_hash_not_unique'
down_revision = '0015_note_client_cosign'
branch_labels = None
depends_on = None

# As 0001_foundation created them.
SQLITE_TRIGGERS = (
    """CREATE TRIGGER audit_event_no_update BEFORE UPDATE ON audit_event
    BEGIN SELECT RAISE(ABORT, 'audit_event is append-only'); END""",
    """CREATE TRIGGER audit_event_no_delete BEFORE DELETE ON audit_event
    BEGIN SELECT RAISE(ABORT, 'audit_event is append-only'); END""",
)


def _rebuild(change):
    sqlite = op.get_bind().dialect.name == "sqlite"
    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        change(batch_op)
    if sqlite:
        for statement in SQLITE_TRIGGERS:
            op.execute(statement)
        # The new table has no statistics (they went with the old one): without them SQLite
        # may search the log by a poor index until the daily ANALYZE.
        op.execute("ANALYZE audit_event")


def upgrade():
    _rebuild(lambda batch_op: batch_op.drop_constraint('uq_audit_event_hash', type_='unique'))


def downgrade():
    _rebuild(lambda batch_op: batch_op.create_unique_constraint('uq_audit_event_hash', ['hash']))
