"""a client's notes by status and co-signature; drop the indexes wider ones lead with

Revision ID: 0015_note_client_cosign
Revises: 0014_lean_indexes
Create Date: 2026-12-06
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0015_note_client_cosign'
down_revision = '0014_lean_indexes'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('progress_note', schema=None) as batch_op:
        batch_op.drop_index('ix_progress_note_client_id')
        batch_op.drop_index('ix_progress_note_author_id')
        batch_op.create_index(
            'ix_progress_note_client_status_cosign',
            ['client_id', 'status', 'needs_cosign'], unique=False,
        )


def downgrade():
    with op.batch_alter_table('progress_note', schema=None) as batch_op:
        batch_op.drop_index('ix_progress_note_client_status_cosign')
        batch_op.create_index('ix_progress_note_author_id', ['author_id'], unique=False)
        batch_op.create_index('ix_progress_note_client_id', ['client_id'], unique=False)
