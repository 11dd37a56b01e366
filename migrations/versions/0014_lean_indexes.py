"""co-signature queue from an index; drop audit indexes the (column, id) ones duplicate

Revision ID: 0014_lean_indexes
Revises: 0013_performance_indexes
Create Date: 2026-12-06
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0014_lean_indexes'
down_revision = '0013_performance_indexes'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('progress_note', schema=None) as batch_op:
        batch_op.drop_index('ix_progress_note_author_status')
        batch_op.create_index(
            'ix_progress_note_author_status_cosign',
            ['author_id', 'status', 'needs_cosign', 'client_id'], unique=False,
        )

    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.drop_index('ix_audit_event_action')
        batch_op.drop_index('ix_audit_event_actor_id')
        batch_op.drop_index('ix_audit_event_client_id')


def downgrade():
    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.create_index('ix_audit_event_client_id', ['client_id'], unique=False)
        batch_op.create_index('ix_audit_event_actor_id', ['actor_id'], unique=False)
        batch_op.create_index('ix_audit_event_action', ['action'], unique=False)

    with op.batch_alter_table('progress_note', schema=None) as batch_op:
        batch_op.drop_index('ix_progress_note_author_status_cosign')
        batch_op.create_index(
            'ix_progress_note_author_status', ['author_id', 'status'], unique=False
        )
