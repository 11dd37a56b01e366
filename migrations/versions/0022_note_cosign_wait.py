"""note_cosign_wait: the signed notes still waiting for a co-signature, kept by triggers

Revision ID: 0022_note_cosign_wait
Revises: 0021_audit_actor_indexes
Create Date: 2026-12-08

A supervisor's count of notes to co-sign read every signed note of the team that had ever
needed a co-signature and looked each one up in note_cosignature, to find the few still
waiting: 2,204 notes to find 48 at 5,000 clients, and more every week. Clearing needs_cosign
on co-signing would have kept an index exact, but a signed note never changes (0006).

So the waiting notes are a table of their own, written by the database alone: a note that
needs a co-signature adds its row when it is signed (or inserted signed, as the generator and
the demo do), and the co-signature removes it. The rows are filled in from the notes already
waiting.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0022_note_cosign_wait'
down_revision = '0021_audit_actor_indexes'
branch_labels = None
depends_on = None

# Signed now (inserted signed, or a draft signed) and needing a co-signature not yet written.
WAITS = "NEW.status = 'signed' AND NEW.needs_cosign"
ADD = """INSERT INTO note_cosign_wait (note_id, author_id, client_id)
    SELECT NEW.id, NEW.author_id, NEW.client_id
    WHERE NOT EXISTS (SELECT 1 FROM note_cosignature WHERE note_id = NEW.id)"""
REMOVE = "DELETE FROM note_cosign_wait WHERE note_id = NEW.note_id"

SQLITE_TRIGGERS = (
    f"""CREATE TRIGGER note_cosign_wait_on_insert AFTER INSERT ON progress_note
    WHEN {WAITS}
    BEGIN {ADD}; END""",
    f"""CREATE TRIGGER note_cosign_wait_on_sign AFTER UPDATE OF status ON progress_note
    WHEN {WAITS} AND OLD.status <> 'signed'
    BEGIN {ADD}; END""",
    f"""CREATE TRIGGER note_cosign_wait_on_cosign AFTER INSERT ON note_cosignature
    BEGIN {REMOVE}; END""",
)
SQLITE_TRIGGER_NAMES = (
    "note_cosign_wait_on_insert",
    "note_cosign_wait_on_sign",
    "note_cosign_wait_on_cosign",
)
POSTGRES_TRIGGERS = (
    f"""CREATE FUNCTION note_cosign_wait_add() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP = 'INSERT' OR OLD.status <> 'signed' THEN
            {ADD};
        END IF;
        RETURN NULL;
    END $$""",
    f"""CREATE TRIGGER note_cosign_wait_on_sign AFTER INSERT OR UPDATE OF status ON progress_note
    FOR EACH ROW WHEN ({WAITS}) EXECUTE FUNCTION note_cosign_wait_add()""",
    f"""CREATE FUNCTION note_cosign_wait_remove() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        {REMOVE};
        RETURN NULL;
    END $$""",
    """CREATE TRIGGER note_cosign_wait_on_cosign AFTER INSERT ON note_cosignature
    FOR EACH ROW EXECUTE FUNCTION note_cosign_wait_remove()""",
)


def upgrade():
    op.create_table('note_cosign_wait',
    sa.Column('note_id', sa.Integer(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=False),
    sa.Column('client_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['author_id'], ['user.id'], name=op.f('fk_note_cosign_wait_author_id_user')),
    sa.ForeignKeyConstraint(['client_id'], ['client.id'], name=op.f('fk_note_cosign_wait_client_id_client')),
    sa.ForeignKeyConstraint(['note_id'], ['progress_note.id'], name=op.f('fk_note_cosign_wait_note_id_progress_note')),
    sa.PrimaryKeyConstraint('note_id', name=op.f('pk_note_cosign_wait'))
    )
    with op.batch_alter_table('note_cosign_wait', schema=None) as batch_op:
        batch_op.create_index('ix_note_cosign_wait_author_client', ['author_id', 'client_id'], unique=False)
    op.execute(
        """INSERT INTO note_cosign_wait (note_id, author_id, client_id)
        SELECT id, author_id, client_id FROM progress_note
        WHERE status = 'signed' AND needs_cosign
        AND NOT EXISTS (SELECT 1 FROM note_cosignature WHERE note_id = progress_note.id)"""
    )
    postgres = op.get_bind().dialect.name == "postgresql"
    for statement in POSTGRES_TRIGGERS if postgres else SQLITE_TRIGGERS:
        op.execute(statement)


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER note_cosign_wait_on_cosign ON note_cosignature")
        op.execute("DROP TRIGGER note_cosign_wait_on_sign ON progress_note")
        op.execute("DROP FUNCTION note_cosign_wait_remove()")
        op.execute("DROP FUNCTION note_cosign_wait_add()")
    else:
        for name in SQLITE_TRIGGER_NAMES:
            op.execute(f"DROP TRIGGER {name}")
    with op.batch_alter_table('note_cosign_wait', schema=None) as batch_op:
        batch_op.drop_index('ix_note_cosign_wait_author_client')
    op.drop_table('note_cosign_wait')
