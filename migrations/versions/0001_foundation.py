"""users, clients, care teams, family access, audit log

Revision ID: 0001_foundation
Revises:
Create Date: 2026-11-23

The audit log is append-only in the database itself: triggers refuse UPDATE
and DELETE of its rows (and TRUNCATE on PostgreSQL), refuse deleting the chain
head and refuse winding the head back.

"""
from alembic import op
import sqlalchemy as sa


GENESIS_HASH = "0" * 64

SQLITE_TRIGGER_NAMES = (
    "audit_event_no_update",
    "audit_event_no_delete",
    "audit_head_no_delete",
    "audit_head_no_rewind",
)
SQLITE_TRIGGERS = (
    """CREATE TRIGGER audit_event_no_update BEFORE UPDATE ON audit_event
    BEGIN SELECT RAISE(ABORT, 'audit_event is append-only'); END""",
    """CREATE TRIGGER audit_event_no_delete BEFORE DELETE ON audit_event
    BEGIN SELECT RAISE(ABORT, 'audit_event is append-only'); END""",
    """CREATE TRIGGER audit_head_no_delete BEFORE DELETE ON audit_head
    BEGIN SELECT RAISE(ABORT, 'audit_head cannot be deleted'); END""",
    """CREATE TRIGGER audit_head_no_rewind BEFORE UPDATE ON audit_head
    WHEN NEW.event_count < OLD.event_count OR NEW.id <> OLD.id
    BEGIN SELECT RAISE(ABORT, 'audit_head cannot be wound back'); END""",
)
POSTGRES_TRIGGERS = (
    """CREATE FUNCTION audit_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        RAISE EXCEPTION '% is append-only', TG_TABLE_NAME;
    END $$""",
    """CREATE TRIGGER audit_event_no_change BEFORE UPDATE OR DELETE ON audit_event
    FOR EACH ROW EXECUTE FUNCTION audit_refuse_change()""",
    """CREATE TRIGGER audit_event_no_truncate BEFORE TRUNCATE ON audit_event
    FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_change()""",
    """CREATE TRIGGER audit_head_no_delete BEFORE DELETE ON audit_head
    FOR EACH ROW EXECUTE FUNCTION audit_refuse_change()""",
    """CREATE TRIGGER audit_head_no_truncate BEFORE TRUNCATE ON audit_head
    FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_change()""",
    """CREATE FUNCTION audit_head_refuse_rewind() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF NEW.event_count < OLD.event_count OR NEW.id <> OLD.id THEN
            RAISE EXCEPTION 'audit_head cannot be wound back';
        END IF;
        RETURN NEW;
    END $$""",
    """CREATE TRIGGER audit_head_no_rewind BEFORE UPDATE ON audit_head
    FOR EACH ROW EXECUTE FUNCTION audit_head_refuse_rewind()""",
)

# revision identifiers, used by Alembic.
revision = '0001_foundation'
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('audit_event',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=False, nullable=False),
    sa.Column('occurred_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('actor_role', sa.String(length=20), nullable=True),
    sa.Column('action', sa.String(length=40), nullable=False),
    sa.Column('object_type', sa.String(length=40), nullable=True),
    sa.Column('object_id', sa.String(length=64), nullable=True),
    sa.Column('client_id', sa.Integer(), nullable=True),
    sa.Column('ip', sa.String(length=45), nullable=True),
    sa.Column('outcome', sa.String(length=20), nullable=False),
    sa.Column('detail', sa.String(length=255), nullable=True),
    sa.Column('prev_hash', sa.String(length=64), nullable=False),
    sa.Column('hash', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_event')),
    sa.UniqueConstraint('hash', name=op.f('uq_audit_event_hash'))
    )
    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_event_action'), ['action'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_event_actor_id'), ['actor_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_event_client_id'), ['client_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_event_occurred_at'), ['occurred_at'], unique=False)

    op.create_table('audit_head',
    sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('last_event_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('last_hash', sa.String(length=64), nullable=False),
    sa.Column('event_count', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_head'))
    )
    op.create_table('user',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('display_name', sa.String(length=120), nullable=False),
    sa.Column('role', sa.String(length=20), nullable=False),
    sa.Column('locale', sa.String(length=10), nullable=True),
    sa.Column('password_hash', sa.String(length=255), nullable=False),
    sa.Column('active', sa.Boolean(), server_default=sa.true(), nullable=False),
    sa.Column('supervisor_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.func.current_timestamp(), nullable=False),
    sa.Column('last_login_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("role IN ('admin', 'supervisor', 'case_manager', 'care_team', 'client', 'family')", name=op.f('ck_user_role_known')),
    sa.ForeignKeyConstraint(['supervisor_id'], ['user.id'], name=op.f('fk_user_supervisor_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_user')),
    sa.UniqueConstraint('email', name=op.f('uq_user_email'))
    )
    op.create_table('client',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('legal_name', sa.String(length=200), nullable=False),
    sa.Column('preferred_name', sa.String(length=120), nullable=True),
    sa.Column('pronouns', sa.String(length=40), nullable=True),
    sa.Column('preferred_language', sa.String(length=10), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('primary_case_manager_id', sa.Integer(), nullable=True),
    sa.Column('portal_user_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.func.current_timestamp(), nullable=False),
    sa.CheckConstraint("status IN ('referred', 'intake', 'active', 'on_hold', 'discharged')", name=op.f('ck_client_status_known')),
    sa.ForeignKeyConstraint(['portal_user_id'], ['user.id'], name=op.f('fk_client_portal_user_id_user')),
    sa.ForeignKeyConstraint(['primary_case_manager_id'], ['user.id'], name=op.f('fk_client_primary_case_manager_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_client')),
    sa.UniqueConstraint('portal_user_id', name=op.f('uq_client_portal_user_id'))
    )
    with op.batch_alter_table('client', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_client_primary_case_manager_id'), ['primary_case_manager_id'], unique=False)

    op.create_table('care_team_member',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('client_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('role_label', sa.String(length=80), nullable=False),
    sa.ForeignKeyConstraint(['client_id'], ['client.id'], name=op.f('fk_care_team_member_client_id_client')),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_care_team_member_user_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_care_team_member')),
    sa.UniqueConstraint('client_id', 'user_id', name=op.f('uq_care_team_member_client_id'))
    )
    with op.batch_alter_table('care_team_member', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_care_team_member_client_id'), ['client_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_care_team_member_user_id'), ['user_id'], unique=False)

    op.create_table('family_access',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('client_id', sa.Integer(), nullable=False),
    sa.Column('family_user_id', sa.Integer(), nullable=False),
    sa.Column('relationship_label', sa.String(length=80), nullable=False),
    sa.Column('purpose', sa.String(length=200), nullable=True),
    sa.Column('scope_materials', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.Column('scope_appointments', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.Column('scope_goals', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.Column('scope_safety_plan', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.Column('granted_by_id', sa.Integer(), nullable=True),
    sa.Column('granted_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('revoked_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['client_id'], ['client.id'], name=op.f('fk_family_access_client_id_client')),
    sa.ForeignKeyConstraint(['family_user_id'], ['user.id'], name=op.f('fk_family_access_family_user_id_user')),
    sa.ForeignKeyConstraint(['granted_by_id'], ['user.id'], name=op.f('fk_family_access_granted_by_id_user')),
    sa.ForeignKeyConstraint(['revoked_by_id'], ['user.id'], name=op.f('fk_family_access_revoked_by_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_family_access'))
    )
    with op.batch_alter_table('family_access', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_family_access_client_id'), ['client_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_family_access_family_user_id'), ['family_user_id'], unique=False)

    op.execute(
        "INSERT INTO audit_head (id, last_event_id, last_hash, event_count) "
        f"VALUES (1, NULL, '{GENESIS_HASH}', 0)"
    )
    if op.get_bind().dialect.name == "postgresql":
        for statement in POSTGRES_TRIGGERS:
            op.execute(statement)
    else:
        for statement in SQLITE_TRIGGERS:
            op.execute(statement)


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS audit_refuse_change() CASCADE")
        op.execute("DROP FUNCTION IF EXISTS audit_head_refuse_rewind() CASCADE")
    else:
        for name in SQLITE_TRIGGER_NAMES:
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
    with op.batch_alter_table('family_access', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_family_access_family_user_id'))
        batch_op.drop_index(batch_op.f('ix_family_access_client_id'))

    op.drop_table('family_access')
    with op.batch_alter_table('care_team_member', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_care_team_member_user_id'))
        batch_op.drop_index(batch_op.f('ix_care_team_member_client_id'))

    op.drop_table('care_team_member')
    with op.batch_alter_table('client', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_client_primary_case_manager_id'))

    op.drop_table('client')
    op.drop_table('user')
    op.drop_table('audit_head')
    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_event_occurred_at'))
        batch_op.drop_index(batch_op.f('ix_audit_event_client_id'))
        batch_op.drop_index(batch_op.f('ix_audit_event_actor_id'))
        batch_op.drop_index(batch_op.f('ix_audit_event_action'))

    op.drop_table('audit_event')
