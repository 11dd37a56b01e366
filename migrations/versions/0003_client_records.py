"""client records: demographics, risk, episodes, status history, emergency access, tasks

Revision ID: 0003_client_records
Revises: 0002_account_security
Create Date: 2026-11-23
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0003_client_records'
down_revision = '0002_account_security'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('emergency_access',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('client_id', sa.Integer(), nullable=False),
    sa.Column('reason', sa.String(length=500), nullable=False),
    sa.Column('granted_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('reviewed_by_id', sa.Integer(), nullable=True),
    sa.Column('reviewed_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['client_id'], ['client.id'], name=op.f('fk_emergency_access_client_id_client')),
    sa.ForeignKeyConstraint(['reviewed_by_id'], ['user.id'], name=op.f('fk_emergency_access_reviewed_by_id_user')),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_emergency_access_user_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_emergency_access'))
    )
    with op.batch_alter_table('emergency_access', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_emergency_access_client_id'), ['client_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_emergency_access_user_id'), ['user_id'], unique=False)

    op.create_table('emergency_contact',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('client_id', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), server_default='1', nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('relationship_label', sa.String(length=80), nullable=True),
    sa.Column('phone', sa.String(length=40), nullable=True),
    sa.Column('notes', sa.String(length=300), nullable=True),
    sa.ForeignKeyConstraint(['client_id'], ['client.id'], name=op.f('fk_emergency_contact_client_id_client')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_emergency_contact'))
    )
    with op.batch_alter_table('emergency_contact', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_emergency_contact_client_id'), ['client_id'], unique=False)

    op.create_table('episode',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('client_id', sa.Integer(), nullable=False),
    sa.Column('admitted_on', sa.Date(), nullable=False),
    sa.Column('discharged_on', sa.Date(), nullable=True),
    sa.Column('discharge_reason', sa.String(length=300), nullable=True),
    sa.Column('aftercare_followups', sa.Text(), nullable=True),
    sa.Column('aftercare_resources', sa.Text(), nullable=True),
    sa.Column('aftercare_crisis_contact', sa.String(length=300), nullable=True),
    sa.ForeignKeyConstraint(['client_id'], ['client.id'], name=op.f('fk_episode_client_id_client')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_episode'))
    )
    with op.batch_alter_table('episode', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_episode_client_id'), ['client_id'], unique=False)

    op.create_table('risk_change',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('client_id', sa.Integer(), nullable=False),
    sa.Column('level', sa.String(length=10), nullable=False),
    sa.Column('reason', sa.String(length=500), nullable=False),
    sa.Column('set_by_id', sa.Integer(), nullable=True),
    sa.Column('set_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['client_id'], ['client.id'], name=op.f('fk_risk_change_client_id_client')),
    sa.ForeignKeyConstraint(['set_by_id'], ['user.id'], name=op.f('fk_risk_change_set_by_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_risk_change'))
    )
    with op.batch_alter_table('risk_change', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_risk_change_client_id'), ['client_id'], unique=False)

    op.create_table('status_change',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('client_id', sa.Integer(), nullable=False),
    sa.Column('from_status', sa.String(length=20), nullable=True),
    sa.Column('to_status', sa.String(length=20), nullable=False),
    sa.Column('effective_on', sa.Date(), nullable=False),
    sa.Column('reason', sa.String(length=500), nullable=True),
    sa.Column('changed_by_id', sa.Integer(), nullable=True),
    sa.Column('changed_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['changed_by_id'], ['user.id'], name=op.f('fk_status_change_changed_by_id_user')),
    sa.ForeignKeyConstraint(['client_id'], ['client.id'], name=op.f('fk_status_change_client_id_client')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_status_change'))
    )
    with op.batch_alter_table('status_change', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_status_change_client_id'), ['client_id'], unique=False)

    op.create_table('task',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), server_default='1', nullable=False),
    sa.Column('client_id', sa.Integer(), nullable=True),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=True),
    sa.Column('assignee_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.String(length=20), server_default='open', nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('completed_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("status IN ('open', 'done', 'cancelled')", name=op.f('ck_task_status_known')),
    sa.ForeignKeyConstraint(['assignee_id'], ['user.id'], name=op.f('fk_task_assignee_id_user')),
    sa.ForeignKeyConstraint(['client_id'], ['client.id'], name=op.f('fk_task_client_id_client')),
    sa.ForeignKeyConstraint(['created_by_id'], ['user.id'], name=op.f('fk_task_created_by_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_task'))
    )
    with op.batch_alter_table('task', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_task_assignee_id'), ['assignee_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_task_client_id'), ['client_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_task_due_on'), ['due_on'], unique=False)

    with op.batch_alter_table('client', schema=None) as batch_op:
        batch_op.add_column(sa.Column('version', sa.Integer(), server_default='1', nullable=False))
        batch_op.add_column(sa.Column('record_number', sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column('date_of_birth', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('phone', sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column('email', sa.String(length=254), nullable=True))
        batch_op.add_column(sa.Column('address', sa.String(length=300), nullable=True))
        batch_op.add_column(sa.Column('referral_source', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('presenting_needs', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('risk_level', sa.String(length=10), server_default='low', nullable=False))
        batch_op.add_column(sa.Column('risk_reason', sa.String(length=500), nullable=True))
        batch_op.add_column(sa.Column('risk_set_by_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('risk_set_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index(batch_op.f('ix_client_date_of_birth'), ['date_of_birth'], unique=False)
        batch_op.create_unique_constraint(batch_op.f('uq_client_record_number'), ['record_number'])
        batch_op.create_foreign_key(batch_op.f('fk_client_risk_set_by_id_user'), 'user', ['risk_set_by_id'], ['id'])
        batch_op.create_check_constraint('risk_known', "risk_level IN ('low', 'moderate', 'high')")



def downgrade():
    with op.batch_alter_table('client', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_client_risk_set_by_id_user'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('uq_client_record_number'), type_='unique')
        batch_op.drop_index(batch_op.f('ix_client_date_of_birth'))
        batch_op.drop_column('risk_set_at')
        batch_op.drop_column('risk_set_by_id')
        batch_op.drop_column('risk_reason')
        batch_op.drop_column('risk_level')
        batch_op.drop_column('presenting_needs')
        batch_op.drop_column('referral_source')
        batch_op.drop_column('address')
        batch_op.drop_column('email')
        batch_op.drop_column('phone')
        batch_op.drop_column('date_of_birth')
        batch_op.drop_column('record_number')
        batch_op.drop_column('version')

    with op.batch_alter_table('task', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_task_due_on'))
        batch_op.drop_index(batch_op.f('ix_task_client_id'))
        batch_op.drop_index(batch_op.f('ix_task_assignee_id'))

    op.drop_table('task')
    with op.batch_alter_table('status_change', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_status_change_client_id'))

    op.drop_table('status_change')
    with op.batch_alter_table('risk_change', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_risk_change_client_id'))

    op.drop_table('risk_change')
    with op.batch_alter_table('episode', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_episode_client_id'))

    op.drop_table('episode')
    with op.batch_alter_table('emergency_contact', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_emergency_contact_client_id'))

    op.drop_table('emergency_contact')
    with op.batch_alter_table('emergency_access', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_emergency_access_user_id'))
        batch_op.drop_index(batch_op.f('ix_emergency_access_client_id'))

    op.drop_table('emergency_access')
