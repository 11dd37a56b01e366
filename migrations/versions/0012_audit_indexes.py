"""audit log indexes for paging by person, client, action and kind

Revision ID: 0012_audit_indexes
Revises: 0011_portal
Create Date: 2026-11-23
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0012_audit_indexes'
down_revision = '0011_portal'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.create_index('ix_audit_event_action_id', ['action', 'id'], unique=False)
        batch_op.create_index('ix_audit_event_actor_id_id', ['actor_id', 'id'], unique=False)
        batch_op.create_index('ix_audit_event_client_id_id', ['client_id', 'id'], unique=False)
        batch_op.create_index('ix_audit_event_object_type_id', ['object_type', 'id'], unique=False)



def downgrade():
    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.drop_index('ix_audit_event_object_type_id')
        batch_op.drop_index('ix_audit_event_client_id_id')
        batch_op.drop_index('ix_audit_event_actor_id_id')
        batch_op.drop_index('ix_audit_event_action_id')

