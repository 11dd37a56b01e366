"""secure messages, education materials, check-ins, notification choices

Revision ID: 0011_portal
Revises: 0010_goal_proposals
Create Date: 2026-11-23
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0011_portal'
down_revision = '0010_goal_proposals'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('material',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), server_default='1', nullable=False),
    sa.Column('slug', sa.String(length=80), nullable=False),
    sa.Column('topic', sa.String(length=20), nullable=False),
    sa.Column('audience', sa.String(length=10), nullable=False),
    sa.Column('general', sa.Boolean(), server_default=sa.true(), nullable=False),
    sa.Column('active', sa.Boolean(), server_default=sa.true(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("audience IN ('client', 'family', 'both')", name=op.f('ck_material_audience_known')),
    sa.ForeignKeyConstraint(['created_by_id'], ['user.id'], name=op.f('fk_material_created_by_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_material')),
    sa.UniqueConstraint('slug', name=op.f('uq_material_slug'))
    )
    op.create_table('material_assignment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('material_id', sa.Integer(), nullable=False),
    sa.Column('client_id', sa.Integer(), nullable=False),
    sa.Column('assigned_by_id', sa.Integer(), nullable=True),
    sa.Column('assigned_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('note', sa.String(length=300), nullable=True),
    sa.ForeignKeyConstraint(['assigned_by_id'], ['user.id'], name=op.f('fk_material_assignment_assigned_by_id_user')),
    sa.ForeignKeyConstraint(['client_id'], ['client.id'], name=op.f('fk_material_assignment_client_id_client')),
    sa.ForeignKeyConstraint(['material_id'], ['material.id'], name=op.f('fk_material_assignment_material_id_material')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_material_assignment')),
    sa.UniqueConstraint('material_id', 'client_id', name=op.f('uq_material_assignment_material_id'))
    )
    with op.batch_alter_table('material_assignment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_material_assignment_client_id'), ['client_id'], unique=False)

    op.create_table('material_read',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('material_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('read_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('helpful', sa.Boolean(), nullable=True),
    sa.Column('reviewed', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.ForeignKeyConstraint(['material_id'], ['material.id'], name=op.f('fk_material_read_material_id_material')),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_material_read_user_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_material_read')),
    sa.UniqueConstraint('material_id', 'user_id', name=op.f('uq_material_read_material_id'))
    )
    with op.batch_alter_table('material_read', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_material_read_user_id'), ['user_id'], unique=False)

    op.create_table('material_translation',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('material_id', sa.Integer(), nullable=False),
    sa.Column('locale', sa.String(length=10), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('summary', sa.String(length=500), nullable=True),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['material_id'], ['material.id'], name=op.f('fk_material_translation_material_id_material')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_material_translation')),
    sa.UniqueConstraint('material_id', 'locale', name=op.f('uq_material_translation_material_id'))
    )
    with op.batch_alter_table('material_translation', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_material_translation_material_id'), ['material_id'], unique=False)

    op.create_table('message_thread',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('client_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=10), server_default='client', nullable=False),
    sa.Column('family_user_id', sa.Integer(), nullable=True),
    sa.Column('subject', sa.String(length=200), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_message_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('awaiting_team', sa.Boolean(), server_default=sa.true(), nullable=False),
    sa.CheckConstraint("kind IN ('client', 'family')", name=op.f('ck_message_thread_kind_known')),
    sa.ForeignKeyConstraint(['client_id'], ['client.id'], name=op.f('fk_message_thread_client_id_client')),
    sa.ForeignKeyConstraint(['created_by_id'], ['user.id'], name=op.f('fk_message_thread_created_by_id_user')),
    sa.ForeignKeyConstraint(['family_user_id'], ['user.id'], name=op.f('fk_message_thread_family_user_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_message_thread'))
    )
    with op.batch_alter_table('message_thread', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_message_thread_awaiting_team'), ['awaiting_team'], unique=False)
        batch_op.create_index('ix_message_thread_client_last', ['client_id', 'last_message_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_message_thread_family_user_id'), ['family_user_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_message_thread_last_message_at'), ['last_message_at'], unique=False)

    op.create_table('check_in',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), server_default='1', nullable=False),
    sa.Column('client_id', sa.Integer(), nullable=False),
    sa.Column('instrument_code', sa.String(length=40), nullable=False),
    sa.Column('every_days', sa.Integer(), nullable=True),
    sa.Column('due_on', sa.Date(), nullable=False),
    sa.Column('active', sa.Boolean(), server_default=sa.true(), nullable=False),
    sa.Column('assigned_by_id', sa.Integer(), nullable=True),
    sa.Column('assigned_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_assessment_id', sa.Integer(), nullable=True),
    sa.Column('last_done_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['assigned_by_id'], ['user.id'], name=op.f('fk_check_in_assigned_by_id_user')),
    sa.ForeignKeyConstraint(['client_id'], ['client.id'], name=op.f('fk_check_in_client_id_client')),
    sa.ForeignKeyConstraint(['last_assessment_id'], ['assessment.id'], name=op.f('fk_check_in_last_assessment_id_assessment')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_check_in'))
    )
    with op.batch_alter_table('check_in', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_check_in_client_id'), ['client_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_check_in_due_on'), ['due_on'], unique=False)

    op.create_table('message',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('thread_id', sa.Integer(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=False),
    sa.Column('from_team', sa.Boolean(), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['author_id'], ['user.id'], name=op.f('fk_message_author_id_user')),
    sa.ForeignKeyConstraint(['thread_id'], ['message_thread.id'], name=op.f('fk_message_thread_id_message_thread')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_message'))
    )
    with op.batch_alter_table('message', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_message_thread_id'), ['thread_id'], unique=False)

    op.create_table('thread_read',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('thread_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('read_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['thread_id'], ['message_thread.id'], name=op.f('fk_thread_read_thread_id_message_thread')),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_thread_read_user_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_thread_read')),
    sa.UniqueConstraint('thread_id', 'user_id', name=op.f('uq_thread_read_thread_id'))
    )
    with op.batch_alter_table('thread_read', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_thread_read_thread_id'), ['thread_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_thread_read_user_id'), ['user_id'], unique=False)

    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('notify_messages', sa.Boolean(), server_default=sa.true(), nullable=False))
        batch_op.add_column(sa.Column('notify_reminders', sa.Boolean(), server_default=sa.true(), nullable=False))



def downgrade():
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.drop_column('notify_reminders')
        batch_op.drop_column('notify_messages')

    with op.batch_alter_table('thread_read', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_thread_read_user_id'))
        batch_op.drop_index(batch_op.f('ix_thread_read_thread_id'))

    op.drop_table('thread_read')
    with op.batch_alter_table('message', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_message_thread_id'))

    op.drop_table('message')
    with op.batch_alter_table('check_in', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_check_in_due_on'))
        batch_op.drop_index(batch_op.f('ix_check_in_client_id'))

    op.drop_table('check_in')
    with op.batch_alter_table('message_thread', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_message_thread_last_message_at'))
        batch_op.drop_index(batch_op.f('ix_message_thread_family_user_id'))
        batch_op.drop_index('ix_message_thread_client_last')
        batch_op.drop_index(batch_op.f('ix_message_thread_awaiting_team'))

    op.drop_table('message_thread')
    with op.batch_alter_table('material_translation', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_material_translation_material_id'))

    op.drop_table('material_translation')
    with op.batch_alter_table('material_read', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_material_read_user_id'))

    op.drop_table('material_read')
    with op.batch_alter_table('material_assignment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_material_assignment_client_id'))

    op.drop_table('material_assignment')
    op.drop_table('material')
