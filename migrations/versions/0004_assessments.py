"""assessments: filled-in instruments with their computed results

Revision ID: 0004_assessments
Revises: 0003_client_records
Create Date: 2026-11-23
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0004_assessments'
down_revision = '0003_client_records'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('assessment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('client_id', sa.Integer(), nullable=False),
    sa.Column('instrument_code', sa.String(length=40), nullable=False),
    sa.Column('instrument_version', sa.String(length=20), nullable=False),
    sa.Column('administered_by_id', sa.Integer(), nullable=True),
    sa.Column('administered_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('self_report', sa.Boolean(), nullable=False),
    sa.Column('answers', sa.JSON(), nullable=False),
    sa.Column('notes', sa.JSON(), nullable=False),
    sa.Column('total', sa.Integer(), nullable=True),
    sa.Column('band', sa.String(length=40), nullable=True),
    sa.Column('risk_level', sa.String(length=10), nullable=True),
    sa.Column('critical_items', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['administered_by_id'], ['user.id'], name=op.f('fk_assessment_administered_by_id_user')),
    sa.ForeignKeyConstraint(['client_id'], ['client.id'], name=op.f('fk_assessment_client_id_client')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_assessment'))
    )
    with op.batch_alter_table('assessment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_assessment_administered_at'), ['administered_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_assessment_client_id'), ['client_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_assessment_instrument_code'), ['instrument_code'], unique=False)



def downgrade():
    with op.batch_alter_table('assessment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_assessment_instrument_code'))
        batch_op.drop_index(batch_op.f('ix_assessment_client_id'))
        batch_op.drop_index(batch_op.f('ix_assessment_administered_at'))

    op.drop_table('assessment')
