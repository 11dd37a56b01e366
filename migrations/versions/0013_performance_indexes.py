"""indexes for the pages' filters and sorts at agency scale

Revision ID: 0013_performance_indexes
Revises: 0012_audit_indexes
Create Date: 2026-12-06
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0013_performance_indexes'
down_revision = '0012_audit_indexes'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_user_supervisor_id'), ['supervisor_id'], unique=False)


def downgrade():
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_user_supervisor_id'))
