"""goals and steps proposed by clients from the portal

Revision ID: 0010_goal_proposals
Revises: 0009_appointments
Create Date: 2026-11-23
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0010_goal_proposals'
down_revision = '0009_appointments'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('goal_proposal',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), server_default='1', nullable=False),
    sa.Column('client_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=8), nullable=False),
    sa.Column('goal_key', sa.String(length=32), nullable=True),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=10), server_default='open', nullable=False),
    sa.Column('response', sa.Text(), nullable=True),
    sa.Column('author_id', sa.Integer(), nullable=False),
    sa.Column('responded_by_id', sa.Integer(), nullable=True),
    sa.Column('responded_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("kind IN ('goal', 'step')", name=op.f('ck_goal_proposal_kind_known')),
    sa.CheckConstraint("status IN ('open', 'accepted', 'answered')", name=op.f('ck_goal_proposal_status_known')),
    sa.ForeignKeyConstraint(['author_id'], ['user.id'], name=op.f('fk_goal_proposal_author_id_user')),
    sa.ForeignKeyConstraint(['client_id'], ['client.id'], name=op.f('fk_goal_proposal_client_id_client')),
    sa.ForeignKeyConstraint(['responded_by_id'], ['user.id'], name=op.f('fk_goal_proposal_responded_by_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_goal_proposal'))
    )
    with op.batch_alter_table('goal_proposal', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_goal_proposal_client_id'), ['client_id'], unique=False)



def downgrade():
    with op.batch_alter_table('goal_proposal', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_goal_proposal_client_id'))

    op.drop_table('goal_proposal')
