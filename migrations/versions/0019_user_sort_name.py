"""user.sort_name: a staff member's name folded, for lists of staff to sort and search by

Revision ID: 0019_user_sort_name
Revises: 0018_client_sort_name
Create Date: 2026-12-07

Lists of staff sorted by ``lower(display_name)`` (or by the name as written) and the searches
for a colleague compared ``lower(display_name)``, which folds ASCII only on SQLite: there
"Álvaro" came after "Zoe" and "alvaro" did not find him. The app now keeps the folded name in
a column (``User.sort_name``); this fills it for the accounts there are.
"""
import unicodedata

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0019_user_sort_name'
down_revision = '0018_client_sort_name'
branch_labels = None
depends_on = None

BATCH = 5000


def _folded(text):
    """portal.models.folded as it is at this revision."""
    decomposed = unicodedata.normalize("NFKD", text or "")
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(plain.casefold().split())


def upgrade():
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('sort_name', sa.Text(), server_default='', nullable=False))

    user = sa.table(
        'user',
        sa.column('id', sa.Integer),
        sa.column('display_name', sa.String),
        sa.column('sort_name', sa.Text),
    )
    connection = op.get_bind()
    update = (
        sa.update(user)
        .where(user.c.id == sa.bindparam('user_id'))
        .values(sort_name=sa.bindparam('name'))
    )
    last = 0
    while True:
        rows = connection.execute(
            sa.select(user.c.id, user.c.display_name)
            .where(user.c.id > last)
            .order_by(user.c.id)
            .limit(BATCH)
        ).all()
        if not rows:
            break
        connection.execute(
            update, [{'user_id': row.id, 'name': _folded(row.display_name)} for row in rows]
        )
        last = rows[-1].id


def downgrade():
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.drop_column('sort_name')
