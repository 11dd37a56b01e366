"""resource.sort_name: a directory entry's name folded, for the directory to sort by

Revision ID: 0020_resource_sort_name
Revises: 0019_user_sort_name
Create Date: 2026-12-07

The resource directory and a referral's list of resources sorted by ``lower(name)``, which
folds ASCII only on SQLite: there "Ámbar House" came after "Zinnia Center". The app now keeps
the folded name in a column (``Resource.sort_name``), as it does for clients and staff; this
fills it for the entries there are (a directory holds hundreds, so one batch).
"""
import unicodedata

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0020_resource_sort_name'
down_revision = '0019_user_sort_name'
branch_labels = None
depends_on = None


def _folded(text):
    """portal.models.folded as it is at this revision."""
    decomposed = unicodedata.normalize("NFKD", text or "")
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(plain.casefold().split())


def upgrade():
    with op.batch_alter_table('resource', schema=None) as batch_op:
        batch_op.add_column(sa.Column('sort_name', sa.Text(), server_default='', nullable=False))

    resource = sa.table(
        'resource',
        sa.column('id', sa.Integer),
        sa.column('name', sa.String),
        sa.column('sort_name', sa.Text),
    )
    connection = op.get_bind()
    rows = connection.execute(sa.select(resource.c.id, resource.c.name)).all()
    if rows:
        connection.execute(
            sa.update(resource)
            .where(resource.c.id == sa.bindparam('resource_id'))
            .values(sort_name=sa.bindparam('name_folded')),
            [{'resource_id': row.id, 'name_folded': _folded(row.name)} for row in rows],
        )


def downgrade():
    with op.batch_alter_table('resource', schema=None) as batch_op:
        batch_op.drop_column('sort_name')
