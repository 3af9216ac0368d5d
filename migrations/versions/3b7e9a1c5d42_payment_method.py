"""A payment records how the buyer pays: card, WeChat Pay or Alipay

Revision ID: 3b7e9a1c5d42
Revises: c4a7e2d9b6f3
Create Date: 2026-12-03 09:40:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "3b7e9a1c5d42"
down_revision = "c4a7e2d9b6f3"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("payment", schema=None) as batch_op:
        batch_op.add_column(sa.Column("method", sa.String(length=20), nullable=True))


def downgrade():
    with op.batch_alter_table("payment", schema=None) as batch_op:
        batch_op.drop_column("method")
