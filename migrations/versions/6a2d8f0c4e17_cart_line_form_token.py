"""A cart line keeps the one-time token of the add-to-cart form that last added to it

Revision ID: 6a2d8f0c4e17
Revises: 3b7e9a1c5d42
Create Date: 2026-12-05 10:00:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "6a2d8f0c4e17"
down_revision = "3b7e9a1c5d42"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("cart_line", schema=None) as batch_op:
        batch_op.add_column(sa.Column("form_token", sa.String(length=64), nullable=True))


def downgrade():
    with op.batch_alter_table("cart_line", schema=None) as batch_op:
        batch_op.drop_column("form_token")
