"""documentation: progress notes (signed ones refused by triggers), addenda, co-signatures,
team meetings, documents, task kinds and checklists

Revision ID: 0006_documentation
Revises: 0005_care_plans
Create Date: 2026-11-23
"""
from alembic import op
import sqlalchemy as sa

# A signed note and an addendum never change, even from SQL.
SQLITE_TRIGGERS = (
    """CREATE TRIGGER progress_note_signed_no_update BEFORE UPDATE ON progress_note
    WHEN OLD.status = 'signed'
    BEGIN SELECT RAISE(ABORT, 'a signed note cannot change'); END""",
    """CREATE TRIGGER progress_note_signed_no_delete BEFORE DELETE ON progress_note
    WHEN OLD.status = 'signed'
    BEGIN SELECT RAISE(ABORT, 'a signed note cannot be deleted'); END""",
    """CREATE TRIGGER note_addendum_no_update BEFORE UPDATE ON note_addendum
    BEGIN SELECT RAISE(ABORT, 'an addendum cannot change'); END""",
    """CREATE TRIGGER note_addendum_no_delete BEFORE DELETE ON note_addendum
    BEGIN SELECT RAISE(ABORT, 'an addendum cannot be deleted'); END""",
)
SQLITE_TRIGGER_NAMES = (
    "progress_note_signed_no_update",
    "progress_note_signed_no_delete",
    "note_addendum_no_update",
    "note_addendum_no_delete",
)
POSTGRES_TRIGGERS = (
    """CREATE FUNCTION progress_note_refuse_signed_change() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        IF OLD.status = 'signed' THEN
            RAISE EXCEPTION 'a signed note cannot change';
        END IF;
        IF TG_OP = 'DELETE' THEN
            RETURN OLD;
        END IF;
        RETURN NEW;
    END $$""",
    """CREATE TRIGGER progress_note_signed_no_change BEFORE UPDATE OR DELETE ON progress_note
    FOR EACH ROW EXECUTE FUNCTION progress_note_refuse_signed_change()""",
    """CREATE FUNCTION note_addendum_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        RAISE EXCEPTION 'an addendum cannot change';
    END $$""",
    """CREATE TRIGGER note_addendum_no_change BEFORE UPDATE OR DELETE ON note_addendum
    FOR EACH ROW EXECUTE FUNCTION note_addendum_refuse_change()""",
)

# revision identifiers, used by Alembic.
revision = '0006_documentation'
down_revision = '0005_care_plans'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('team_meeting',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('held_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('attendee_ids', sa.JSON(), nullable=False),
    sa.Column('decisions', sa.Text(), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['user.id'], name=op.f('fk_team_meeting_created_by_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_team_meeting'))
    )
    with op.batch_alter_table('team_meeting', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_team_meeting_held_at'), ['held_at'], unique=False)

    op.create_table('document',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('client_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('description', sa.String(length=300), nullable=True),
    sa.Column('original_name', sa.String(length=255), nullable=False),
    sa.Column('content_type', sa.String(length=40), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('storage_name', sa.String(length=120), nullable=False),
    sa.Column('uploaded_by_id', sa.Integer(), nullable=False),
    sa.Column('uploaded_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('deleted_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("content_type IN ('application/pdf', 'image/png', 'image/jpeg')", name=op.f('ck_document_content_type_known')),
    sa.ForeignKeyConstraint(['client_id'], ['client.id'], name=op.f('fk_document_client_id_client')),
    sa.ForeignKeyConstraint(['uploaded_by_id'], ['user.id'], name=op.f('fk_document_uploaded_by_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_document')),
    sa.UniqueConstraint('storage_name', name=op.f('uq_document_storage_name'))
    )
    with op.batch_alter_table('document', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_document_client_id'), ['client_id'], unique=False)

    op.create_table('progress_note',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), server_default='1', nullable=False),
    sa.Column('client_id', sa.Integer(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=10), server_default='draft', nullable=False),
    sa.Column('contact_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('duration_minutes', sa.Integer(), nullable=True),
    sa.Column('contact_type', sa.String(length=20), nullable=False),
    sa.Column('format', sa.String(length=12), nullable=False),
    sa.Column('sections', sa.JSON(), nullable=False),
    sa.Column('location', sa.String(length=300), nullable=True),
    sa.Column('mileage', sa.Numeric(precision=7, scale=1, asdecimal=False), nullable=True),
    sa.Column('goal_keys', sa.JSON(), nullable=False),
    sa.Column('search_text', sa.Text(), server_default='', nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('signed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('content_hash', sa.String(length=64), nullable=True),
    sa.Column('late_entry', sa.Boolean(), nullable=False),
    sa.Column('needs_cosign', sa.Boolean(), nullable=False),
    sa.Column('meeting_id', sa.Integer(), nullable=True),
    sa.CheckConstraint("contact_type IN ('office', 'phone', 'video', 'home_visit', 'collateral', 'team_meeting', 'crisis')", name=op.f('ck_progress_note_contact_type_known')),
    sa.CheckConstraint("format IN ('dap', 'soap', 'birp', 'narrative')", name=op.f('ck_progress_note_format_known')),
    sa.CheckConstraint("status IN ('draft', 'signed')", name=op.f('ck_progress_note_status_known')),
    sa.ForeignKeyConstraint(['author_id'], ['user.id'], name=op.f('fk_progress_note_author_id_user')),
    sa.ForeignKeyConstraint(['client_id'], ['client.id'], name=op.f('fk_progress_note_client_id_client')),
    sa.ForeignKeyConstraint(['meeting_id'], ['team_meeting.id'], name=op.f('fk_progress_note_meeting_id_team_meeting')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_progress_note'))
    )
    with op.batch_alter_table('progress_note', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_progress_note_author_id'), ['author_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_progress_note_client_id'), ['client_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_progress_note_contact_at'), ['contact_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_progress_note_signed_at'), ['signed_at'], unique=False)

    op.create_table('note_addendum',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('note_id', sa.Integer(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('content_hash', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['author_id'], ['user.id'], name=op.f('fk_note_addendum_author_id_user')),
    sa.ForeignKeyConstraint(['note_id'], ['progress_note.id'], name=op.f('fk_note_addendum_note_id_progress_note')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_note_addendum'))
    )
    with op.batch_alter_table('note_addendum', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_note_addendum_note_id'), ['note_id'], unique=False)

    op.create_table('note_cosignature',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('note_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('signed_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['note_id'], ['progress_note.id'], name=op.f('fk_note_cosignature_note_id_progress_note')),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_note_cosignature_user_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_note_cosignature')),
    sa.UniqueConstraint('note_id', name=op.f('uq_note_cosignature_note_id'))
    )
    op.create_table('task_item',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('task_id', sa.Integer(), nullable=False),
    sa.Column('text', sa.String(length=300), nullable=False),
    sa.Column('done', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['task_id'], ['task.id'], name=op.f('fk_task_item_task_id_task')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_task_item'))
    )
    with op.batch_alter_table('task_item', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_task_item_task_id'), ['task_id'], unique=False)

    with op.batch_alter_table('task', schema=None) as batch_op:
        batch_op.add_column(sa.Column('kind', sa.String(length=20), server_default='follow_up', nullable=False))
        batch_op.add_column(sa.Column('notes', sa.Text(), nullable=True))

    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('requires_cosign', sa.Boolean(), server_default=sa.false(), nullable=False))

    if op.get_bind().dialect.name == "postgresql":
        for statement in POSTGRES_TRIGGERS:
            op.execute(statement)
    else:
        for statement in SQLITE_TRIGGERS:
            op.execute(statement)


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER note_addendum_no_change ON note_addendum")
        op.execute("DROP TRIGGER progress_note_signed_no_change ON progress_note")
        op.execute("DROP FUNCTION note_addendum_refuse_change()")
        op.execute("DROP FUNCTION progress_note_refuse_signed_change()")
    else:
        for name in SQLITE_TRIGGER_NAMES:
            op.execute(f"DROP TRIGGER {name}")
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.drop_column('requires_cosign')

    with op.batch_alter_table('task', schema=None) as batch_op:
        batch_op.drop_column('notes')
        batch_op.drop_column('kind')

    with op.batch_alter_table('task_item', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_task_item_task_id'))

    op.drop_table('task_item')
    op.drop_table('note_cosignature')
    with op.batch_alter_table('note_addendum', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_note_addendum_note_id'))

    op.drop_table('note_addendum')
    with op.batch_alter_table('progress_note', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_progress_note_signed_at'))
        batch_op.drop_index(batch_op.f('ix_progress_note_contact_at'))
        batch_op.drop_index(batch_op.f('ix_progress_note_client_id'))
        batch_op.drop_index(batch_op.f('ix_progress_note_author_id'))

    op.drop_table('progress_note')
    with op.batch_alter_table('document', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_document_client_id'))

    op.drop_table('document')
    with op.batch_alter_table('team_meeting', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_team_meeting_held_at'))

    op.drop_table('team_meeting')
