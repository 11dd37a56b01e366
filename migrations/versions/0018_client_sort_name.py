"""client.sort_name: the name shown, folded, for lists of clients to sort by

Revision ID: 0018_client_sort_name
Revises: 0017_client_search_text
Create Date: 2026-12-07

Lists of clients sorted by ``lower(coalesce(preferred_name, legal_name))``, which folds ASCII
only on SQLite: there "Ángela" came after "Zoe", while PostgreSQL put her among the A's. The
app now keeps the folded name shown in a column (``Client.sort_name``); this fills it for the
clients there are.
"""
import unicodedata

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0018_client_sort_name'
down_revision = '0017_client_search_text'
branch_labels = None
depends_on = None

BATCH = 5000


def _folded(text):
    """portal.models.folded as it is at this revision."""
    decomposed = unicodedata.normalize("NFKD", text or "")
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(plain.casefold().split())


def upgrade():
    with op.batch_alter_table('client', schema=None) as batch_op:
        batch_op.add_column(sa.Column('sort_name', sa.Text(), server_default='', nullable=False))

    client = sa.table(
        'client',
        sa.column('id', sa.Integer),
        sa.column('legal_name', sa.String),
        sa.column('preferred_name', sa.String),
        sa.column('sort_name', sa.Text),
    )
    connection = op.get_bind()
    update = (
        sa.update(client)
        .where(client.c.id == sa.bindparam('client_id'))
        .values(sort_name=sa.bindparam('name'))
    )
    last = 0
    while True:
        rows = connection.execute(
            sa.select(client.c.id, client.c.legal_name, client.c.preferred_name)
            .where(client.c.id > last)
            .order_by(client.c.id)
            .limit(BATCH)
        ).all()
        if not rows:
            break
        connection.execute(
            update,
            [
                {'client_id': row.id, 'name': _folded(row.preferred_name or row.legal_name)}
                for row in rows
            ],
        )
        last = rows[-1].id


def downgrade():
    with op.batch_alter_table('client', schema=None) as batch_op:
        batch_op.drop_column('sort_name')
