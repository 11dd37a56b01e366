"""audit_event: indexes for a person's changes and for the records they opened

Revision ID: 0021_audit_actor_indexes
Revises: 0020_resource_sort_name
Create Date: 2026-12-07

The dashboard's "my recent activity" and "recently viewed" walked back through the
(actor_id, id) index over every view the person had written since their last change or
record view. Every page view writes one, so a person's dashboard slowed with how much they
had read, and with every reload of the dashboard itself. A partial index holds the changes
(portal.models.audit.CHANGE_CONDITION); the record views are one range of an index on
(actor_id, action, object_type, id).
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0021_audit_actor_indexes'
down_revision = '0020_resource_sort_name'
branch_labels = None
depends_on = None

CHANGE_CONDITION = "client_id IS NOT NULL AND action NOT IN ('view', 'access_denied')"


def upgrade():
    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.create_index(
            'ix_audit_event_actor_changes', ['actor_id', 'id'], unique=False,
            sqlite_where=sa.text(CHANGE_CONDITION), postgresql_where=sa.text(CHANGE_CONDITION),
        )
        batch_op.create_index(
            'ix_audit_event_actor_action_type_id', ['actor_id', 'action', 'object_type', 'id'],
            unique=False,
        )


def downgrade():
    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.drop_index('ix_audit_event_actor_action_type_id')
        batch_op.drop_index('ix_audit_event_actor_changes')
