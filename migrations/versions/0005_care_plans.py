"""care plans: numbered versions of goals, objectives and interventions; goal progress

Revision ID: 0005_care_plans
Revises: 0004_assessments
Create Date: 2026-11-23
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0005_care_plans'
down_revision = '0004_assessments'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('care_plan',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), server_default='1', nullable=False),
    sa.Column('client_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=20), server_default='draft', nullable=False),
    sa.Column('based_on_id', sa.Integer(), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('signed_by_id', sa.Integer(), nullable=True),
    sa.Column('signed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('review_due_on', sa.Date(), nullable=True),
    sa.Column('review_task_id', sa.Integer(), nullable=True),
    sa.Column('approved_by_id', sa.Integer(), nullable=True),
    sa.Column('approved_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('acknowledged_by_id', sa.Integer(), nullable=True),
    sa.Column('acknowledged_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('superseded_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("status IN ('draft', 'awaiting_approval', 'active', 'superseded')", name=op.f('ck_care_plan_status_known')),
    sa.ForeignKeyConstraint(['acknowledged_by_id'], ['user.id'], name=op.f('fk_care_plan_acknowledged_by_id_user')),
    sa.ForeignKeyConstraint(['approved_by_id'], ['user.id'], name=op.f('fk_care_plan_approved_by_id_user')),
    sa.ForeignKeyConstraint(['based_on_id'], ['care_plan.id'], name=op.f('fk_care_plan_based_on_id_care_plan')),
    sa.ForeignKeyConstraint(['client_id'], ['client.id'], name=op.f('fk_care_plan_client_id_client')),
    sa.ForeignKeyConstraint(['created_by_id'], ['user.id'], name=op.f('fk_care_plan_created_by_id_user')),
    sa.ForeignKeyConstraint(['review_task_id'], ['task.id'], name=op.f('fk_care_plan_review_task_id_task')),
    sa.ForeignKeyConstraint(['signed_by_id'], ['user.id'], name=op.f('fk_care_plan_signed_by_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_care_plan')),
    sa.UniqueConstraint('client_id', 'number', name='uq_care_plan_client_number')
    )
    with op.batch_alter_table('care_plan', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_care_plan_client_id'), ['client_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_care_plan_review_due_on'), ['review_due_on'], unique=False)

    op.create_table('care_plan_goal',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('plan_id', sa.Integer(), nullable=False),
    sa.Column('client_id', sa.Integer(), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('domain', sa.String(length=30), nullable=False),
    sa.Column('target_date', sa.Date(), nullable=True),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('progress', sa.Integer(), nullable=False),
    sa.Column('source_assessment_id', sa.Integer(), nullable=True),
    sa.Column('key', sa.String(length=32), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), server_default='1', nullable=False),
    sa.CheckConstraint("status IN ('not_started', 'in_progress', 'achieved', 'discontinued')", name=op.f('ck_care_plan_goal_status_known')),
    sa.CheckConstraint('progress BETWEEN 0 AND 100', name=op.f('ck_care_plan_goal_progress_range')),
    sa.ForeignKeyConstraint(['client_id'], ['client.id'], name=op.f('fk_care_plan_goal_client_id_client')),
    sa.ForeignKeyConstraint(['plan_id'], ['care_plan.id'], name=op.f('fk_care_plan_goal_plan_id_care_plan')),
    sa.ForeignKeyConstraint(['source_assessment_id'], ['assessment.id'], name=op.f('fk_care_plan_goal_source_assessment_id_assessment')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_care_plan_goal'))
    )
    with op.batch_alter_table('care_plan_goal', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_care_plan_goal_client_id'), ['client_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_care_plan_goal_key'), ['key'], unique=False)
        batch_op.create_index(batch_op.f('ix_care_plan_goal_plan_id'), ['plan_id'], unique=False)

    op.create_table('care_plan_intervention',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('goal_id', sa.Integer(), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('responsible', sa.String(length=200), nullable=True),
    sa.Column('frequency', sa.String(length=200), nullable=True),
    sa.Column('key', sa.String(length=32), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), server_default='1', nullable=False),
    sa.ForeignKeyConstraint(['goal_id'], ['care_plan_goal.id'], name=op.f('fk_care_plan_intervention_goal_id_care_plan_goal')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_care_plan_intervention'))
    )
    with op.batch_alter_table('care_plan_intervention', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_care_plan_intervention_goal_id'), ['goal_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_care_plan_intervention_key'), ['key'], unique=False)

    op.create_table('care_plan_objective',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('goal_id', sa.Integer(), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('target_date', sa.Date(), nullable=True),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('key', sa.String(length=32), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), server_default='1', nullable=False),
    sa.CheckConstraint("status IN ('not_started', 'in_progress', 'achieved', 'discontinued')", name=op.f('ck_care_plan_objective_status_known')),
    sa.ForeignKeyConstraint(['goal_id'], ['care_plan_goal.id'], name=op.f('fk_care_plan_objective_goal_id_care_plan_goal')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_care_plan_objective'))
    )
    with op.batch_alter_table('care_plan_objective', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_care_plan_objective_goal_id'), ['goal_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_care_plan_objective_key'), ['key'], unique=False)

    op.create_table('goal_progress',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('client_id', sa.Integer(), nullable=False),
    sa.Column('goal_key', sa.String(length=32), nullable=False),
    sa.Column('goal_id', sa.Integer(), nullable=False),
    sa.Column('recorded_on', sa.Date(), nullable=False),
    sa.Column('rating', sa.Integer(), nullable=False),
    sa.Column('comment', sa.Text(), nullable=True),
    sa.Column('by_client', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('rating BETWEEN 0 AND 100', name=op.f('ck_goal_progress_rating_range')),
    sa.ForeignKeyConstraint(['author_id'], ['user.id'], name=op.f('fk_goal_progress_author_id_user')),
    sa.ForeignKeyConstraint(['client_id'], ['client.id'], name=op.f('fk_goal_progress_client_id_client')),
    sa.ForeignKeyConstraint(['goal_id'], ['care_plan_goal.id'], name=op.f('fk_goal_progress_goal_id_care_plan_goal')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_goal_progress'))
    )
    with op.batch_alter_table('goal_progress', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_goal_progress_client_id'), ['client_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_goal_progress_goal_key'), ['goal_key'], unique=False)



def downgrade():
    with op.batch_alter_table('goal_progress', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_goal_progress_goal_key'))
        batch_op.drop_index(batch_op.f('ix_goal_progress_client_id'))

    op.drop_table('goal_progress')
    with op.batch_alter_table('care_plan_objective', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_care_plan_objective_key'))
        batch_op.drop_index(batch_op.f('ix_care_plan_objective_goal_id'))

    op.drop_table('care_plan_objective')
    with op.batch_alter_table('care_plan_intervention', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_care_plan_intervention_key'))
        batch_op.drop_index(batch_op.f('ix_care_plan_intervention_goal_id'))

    op.drop_table('care_plan_intervention')
    with op.batch_alter_table('care_plan_goal', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_care_plan_goal_plan_id'))
        batch_op.drop_index(batch_op.f('ix_care_plan_goal_key'))
        batch_op.drop_index(batch_op.f('ix_care_plan_goal_client_id'))

    op.drop_table('care_plan_goal')
    with op.batch_alter_table('care_plan', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_care_plan_review_due_on'))
        batch_op.drop_index(batch_op.f('ix_care_plan_client_id'))

    op.drop_table('care_plan')
