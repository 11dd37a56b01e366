"""client.search_text: the names and record number folded, for the caseload search

Revision ID: 0017_client_search_text
Revises: 0016_audit_hash_not_unique
Create Date: 2026-12-07

The caseload searched with the database's ``lower()``, which folds ASCII only on SQLite:
there "alvarez" did not find "Álvarez", while PostgreSQL found it. The app now keeps the
folded text in a column (``Client.search_text``); this fills it for the clients there are.
"""
import unicodedata

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0017_client_search_text'
down_revision = '0016_audit_hash_not_unique'
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
        batch_op.add_column(sa.Column('search_text', sa.Text(), server_default='', nullable=False))

    client = sa.table(
        'client',
        sa.column('id', sa.Integer),
        sa.column('legal_name', sa.String),
        sa.column('preferred_name', sa.String),
        sa.column('record_number', sa.String),
        sa.column('search_text', sa.Text),
    )
    connection = op.get_bind()
    update = (
        sa.update(client)
        .where(client.c.id == sa.bindparam('client_id'))
        .values(search_text=sa.bindparam('text'))
    )
    last = 0
    while True:
        rows = connection.execute(
            sa.select(client.c.id, client.c.legal_name, client.c.preferred_name, client.c.record_number)
            .where(client.c.id > last)
            .order_by(client.c.id)
            .limit(BATCH)
        ).all()
        if not rows:
            break
        connection.execute(
            update,
            [
                {'client_id': row.id, 'text': "\n".join(_folded(part) for part in row[1:])}
                for row in rows
            ],
        )
        last = rows[-1].id


def downgrade():
    with op.batch_alter_table('client', schema=None) as batch_op:
        batch_op.drop_column('search_text')
