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

# A record's timeline without the views and draft saves (portal.models.audit.NEWS_CONDITION).
NEWS_CONDITION = (
    "action NOT IN ('view', 'access_denied', 'print', 'export') AND NOT "
    "(coalesce(object_type, '') = 'progress_note' AND "
    "(action = 'update' OR coalesce(detail, '') = 'draft'))"
)


def upgrade():
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_user_supervisor_id'), ['supervisor_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_user_role'), ['role'], unique=False)

    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.create_index(
            'ix_audit_event_news', ['client_id', 'id'], unique=False,
            sqlite_where=sa.text(NEWS_CONDITION), postgresql_where=sa.text(NEWS_CONDITION),
        )

    with op.batch_alter_table('goal_progress', schema=None) as batch_op:
        batch_op.create_index(
            'ix_goal_progress_latest', ['client_id', 'goal_key', 'recorded_on', 'id'], unique=False
        )

    with op.batch_alter_table('appointment', schema=None) as batch_op:
        batch_op.drop_index('ix_appointment_client_start')
        batch_op.create_index(
            'ix_appointment_client_start_status', ['client_id', 'starts_at', 'status'], unique=False
        )

    with op.batch_alter_table('assessment', schema=None) as batch_op:
        batch_op.create_index(
            'ix_assessment_client_time',
            ['client_id', 'administered_at', 'instrument_code', 'total', 'id'], unique=False,
        )

    with op.batch_alter_table('goal_progress', schema=None) as batch_op:
        batch_op.create_index(
            'ix_goal_progress_client_recorded', ['client_id', 'recorded_on'], unique=False
        )

    with op.batch_alter_table('progress_note', schema=None) as batch_op:
        batch_op.create_index(
            'ix_progress_note_client_contact',
            ['client_id', 'contact_at', 'status', 'contact_type', 'mileage'], unique=False,
        )
        batch_op.create_index(
            'ix_progress_note_author_status', ['author_id', 'status'], unique=False
        )

    with op.batch_alter_table('referral', schema=None) as batch_op:
        batch_op.create_index(
            'ix_referral_client_created',
            ['client_id', 'created_at', 'status', 'resource_id'], unique=False,
        )

    with op.batch_alter_table('status_change', schema=None) as batch_op:
        batch_op.create_index(
            'ix_status_change_client_effective', ['client_id', 'effective_on'], unique=False
        )

    with op.batch_alter_table('task', schema=None) as batch_op:
        batch_op.create_index(
            'ix_task_client_status_due', ['client_id', 'status', 'due_on'], unique=False
        )


def downgrade():
    with op.batch_alter_table('task', schema=None) as batch_op:
        batch_op.drop_index('ix_task_client_status_due')

    with op.batch_alter_table('status_change', schema=None) as batch_op:
        batch_op.drop_index('ix_status_change_client_effective')

    with op.batch_alter_table('referral', schema=None) as batch_op:
        batch_op.drop_index('ix_referral_client_created')

    with op.batch_alter_table('progress_note', schema=None) as batch_op:
        batch_op.drop_index('ix_progress_note_author_status')
        batch_op.drop_index('ix_progress_note_client_contact')

    with op.batch_alter_table('goal_progress', schema=None) as batch_op:
        batch_op.drop_index('ix_goal_progress_client_recorded')

    with op.batch_alter_table('assessment', schema=None) as batch_op:
        batch_op.drop_index('ix_assessment_client_time')

    with op.batch_alter_table('appointment', schema=None) as batch_op:
        batch_op.drop_index('ix_appointment_client_start_status')
        batch_op.create_index('ix_appointment_client_start', ['client_id', 'starts_at'], unique=False)
    with op.batch_alter_table('goal_progress', schema=None) as batch_op:
        batch_op.drop_index('ix_goal_progress_latest')

    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.drop_index('ix_audit_event_news')

    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_user_role'))
        batch_op.drop_index(batch_op.f('ix_user_supervisor_id'))
