"""appointments, appointment requests, reminders sent, calendar feeds

Revision ID: 0009_appointments
Revises: 0008_resources
Create Date: 2026-11-23
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0009_appointments'
down_revision = '0008_resources'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('calendar_feed',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_used_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_calendar_feed_user_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_calendar_feed')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_calendar_feed_token_hash'))
    )
    with op.batch_alter_table('calendar_feed', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_calendar_feed_user_id'), ['user_id'], unique=False)

    op.create_table('appointment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), server_default='1', nullable=False),
    sa.Column('client_id', sa.Integer(), nullable=False),
    sa.Column('staff_id', sa.Integer(), nullable=False),
    sa.Column('starts_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ends_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('location', sa.String(length=300), nullable=True),
    sa.Column('video_link', sa.String(length=500), nullable=True),
    sa.Column('client_note', sa.Text(), nullable=True),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('overlap_reason', sa.String(length=300), nullable=True),
    sa.Column('cancelled_by', sa.String(length=10), nullable=True),
    sa.Column('outcome_reason', sa.String(length=500), nullable=True),
    sa.Column('outcome_by_id', sa.Integer(), nullable=True),
    sa.Column('outcome_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('follow_up_task_id', sa.Integer(), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("kind IN ('office', 'home_visit', 'telehealth', 'phone', 'group')", name=op.f('ck_appointment_kind_known')),
    sa.CheckConstraint("status IN ('scheduled', 'attended', 'no_show', 'cancelled')", name=op.f('ck_appointment_status_known')),
    sa.CheckConstraint('ends_at > starts_at', name=op.f('ck_appointment_ends_after_start')),
    sa.ForeignKeyConstraint(['client_id'], ['client.id'], name=op.f('fk_appointment_client_id_client')),
    sa.ForeignKeyConstraint(['created_by_id'], ['user.id'], name=op.f('fk_appointment_created_by_id_user')),
    sa.ForeignKeyConstraint(['follow_up_task_id'], ['task.id'], name=op.f('fk_appointment_follow_up_task_id_task')),
    sa.ForeignKeyConstraint(['outcome_by_id'], ['user.id'], name=op.f('fk_appointment_outcome_by_id_user')),
    sa.ForeignKeyConstraint(['staff_id'], ['user.id'], name=op.f('fk_appointment_staff_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_appointment'))
    )
    with op.batch_alter_table('appointment', schema=None) as batch_op:
        batch_op.create_index('ix_appointment_client_start', ['client_id', 'starts_at'], unique=False)
        batch_op.create_index('ix_appointment_staff_start', ['staff_id', 'starts_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_appointment_starts_at'), ['starts_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_appointment_status'), ['status'], unique=False)

    op.create_table('appointment_reminder',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('appointment_id', sa.Integer(), nullable=False),
    sa.Column('recipient', sa.String(length=254), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('locale', sa.String(length=10), nullable=False),
    sa.Column('starts_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['appointment_id'], ['appointment.id'], name=op.f('fk_appointment_reminder_appointment_id_appointment')),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_appointment_reminder_user_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_appointment_reminder')),
    sa.UniqueConstraint('appointment_id', 'recipient', 'starts_at', name=op.f('uq_appointment_reminder_appointment_id'))
    )
    with op.batch_alter_table('appointment_reminder', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_appointment_reminder_appointment_id'), ['appointment_id'], unique=False)

    op.create_table('appointment_request',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), server_default='1', nullable=False),
    sa.Column('client_id', sa.Integer(), nullable=False),
    sa.Column('requested_by_id', sa.Integer(), nullable=False),
    sa.Column('purpose', sa.String(length=12), nullable=False),
    sa.Column('appointment_id', sa.Integer(), nullable=True),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('preferred_1', sa.DateTime(timezone=True), nullable=False),
    sa.Column('preferred_2', sa.DateTime(timezone=True), nullable=True),
    sa.Column('preferred_3', sa.DateTime(timezone=True), nullable=True),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('proposed_start', sa.DateTime(timezone=True), nullable=True),
    sa.Column('proposed_end', sa.DateTime(timezone=True), nullable=True),
    sa.Column('proposed_by_id', sa.Integer(), nullable=True),
    sa.Column('response_message', sa.Text(), nullable=True),
    sa.Column('client_message', sa.Text(), nullable=True),
    sa.Column('responded_by_id', sa.Integer(), nullable=True),
    sa.Column('responded_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("purpose IN ('new', 'reschedule')", name=op.f('ck_appointment_request_purpose_known')),
    sa.CheckConstraint("status IN ('pending', 'proposed', 'accepted', 'declined', 'withdrawn')", name=op.f('ck_appointment_request_status_known')),
    sa.ForeignKeyConstraint(['appointment_id'], ['appointment.id'], name=op.f('fk_appointment_request_appointment_id_appointment')),
    sa.ForeignKeyConstraint(['client_id'], ['client.id'], name=op.f('fk_appointment_request_client_id_client')),
    sa.ForeignKeyConstraint(['proposed_by_id'], ['user.id'], name=op.f('fk_appointment_request_proposed_by_id_user')),
    sa.ForeignKeyConstraint(['requested_by_id'], ['user.id'], name=op.f('fk_appointment_request_requested_by_id_user')),
    sa.ForeignKeyConstraint(['responded_by_id'], ['user.id'], name=op.f('fk_appointment_request_responded_by_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_appointment_request'))
    )
    with op.batch_alter_table('appointment_request', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_appointment_request_client_id'), ['client_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_appointment_request_status'), ['status'], unique=False)



def downgrade():
    with op.batch_alter_table('appointment_request', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_appointment_request_status'))
        batch_op.drop_index(batch_op.f('ix_appointment_request_client_id'))

    op.drop_table('appointment_request')
    with op.batch_alter_table('appointment_reminder', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_appointment_reminder_appointment_id'))

    op.drop_table('appointment_reminder')
    with op.batch_alter_table('appointment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_appointment_status'))
        batch_op.drop_index(batch_op.f('ix_appointment_starts_at'))
        batch_op.drop_index('ix_appointment_staff_start')
        batch_op.drop_index('ix_appointment_client_start')

    op.drop_table('appointment')
    with op.batch_alter_table('calendar_feed', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_calendar_feed_user_id'))

    op.drop_table('calendar_feed')
