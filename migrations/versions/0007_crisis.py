"""crisis events and safety plan versions

Revision ID: 0007_crisis
Revises: 0006_documentation
Create Date: 2026-11-23
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0007_crisis'
down_revision = '0006_documentation'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('safety_plan_version',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('client_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('sections', sa.JSON(), nullable=False),
    sa.Column('client_sections', sa.JSON(), nullable=False),
    sa.Column('pinned', sa.JSON(), nullable=False),
    sa.Column('saved_by_id', sa.Integer(), nullable=False),
    sa.Column('saved_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('by_client', sa.Boolean(), nullable=False),
    sa.Column('change', sa.String(length=200), nullable=True),
    sa.ForeignKeyConstraint(['client_id'], ['client.id'], name=op.f('fk_safety_plan_version_client_id_client')),
    sa.ForeignKeyConstraint(['saved_by_id'], ['user.id'], name=op.f('fk_safety_plan_version_saved_by_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_safety_plan_version')),
    sa.UniqueConstraint('client_id', 'number', name='uq_safety_plan_version_client_number')
    )
    with op.batch_alter_table('safety_plan_version', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_safety_plan_version_client_id'), ['client_id'], unique=False)

    op.create_table('crisis_event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('client_id', sa.Integer(), nullable=False),
    sa.Column('occurred_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('what_happened', sa.Text(), nullable=False),
    sa.Column('risk_level', sa.String(length=10), nullable=False),
    sa.Column('risk_notes', sa.Text(), nullable=True),
    sa.Column('actions', sa.JSON(), nullable=False),
    sa.Column('actions_other', sa.String(length=300), nullable=True),
    sa.Column('outcome', sa.String(length=30), nullable=False),
    sa.Column('outcome_notes', sa.Text(), nullable=True),
    sa.Column('follow_up_due', sa.Date(), nullable=True),
    sa.Column('follow_up_task_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.String(length=10), server_default='open', nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('resolved_by_id', sa.Integer(), nullable=True),
    sa.Column('resolved_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('resolution', sa.Text(), nullable=True),
    sa.CheckConstraint("risk_level IN ('low', 'moderate', 'high')", name=op.f('ck_crisis_event_risk_known')),
    sa.CheckConstraint("status IN ('open', 'resolved')", name=op.f('ck_crisis_event_status_known')),
    sa.ForeignKeyConstraint(['client_id'], ['client.id'], name=op.f('fk_crisis_event_client_id_client')),
    sa.ForeignKeyConstraint(['created_by_id'], ['user.id'], name=op.f('fk_crisis_event_created_by_id_user')),
    sa.ForeignKeyConstraint(['follow_up_task_id'], ['task.id'], name=op.f('fk_crisis_event_follow_up_task_id_task')),
    sa.ForeignKeyConstraint(['resolved_by_id'], ['user.id'], name=op.f('fk_crisis_event_resolved_by_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_crisis_event'))
    )
    with op.batch_alter_table('crisis_event', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_crisis_event_client_id'), ['client_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_crisis_event_occurred_at'), ['occurred_at'], unique=False)



def downgrade():
    with op.batch_alter_table('crisis_event', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_crisis_event_occurred_at'))
        batch_op.drop_index(batch_op.f('ix_crisis_event_client_id'))

    op.drop_table('crisis_event')
    with op.batch_alter_table('safety_plan_version', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_safety_plan_version_client_id'))

    op.drop_table('safety_plan_version')
