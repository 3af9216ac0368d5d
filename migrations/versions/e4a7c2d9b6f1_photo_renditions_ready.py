"""Product photos: a flag for whether the WebP sizes exist yet (renditions made by a job)

Revision ID: e4a7c2d9b6f1
Revises: b7d3e91f4a26
Create Date: 2026-12-03 19:05:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "e4a7c2d9b6f1"
down_revision = "b7d3e91f4a26"
branch_labels = None
depends_on = None


def upgrade():
    # Every photo stored so far was processed in its request: it is ready.
    with op.batch_alter_table("product_image", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("ready", sa.Boolean(), server_default=sa.true(), nullable=False)
        )
        batch_op.add_column(
            sa.Column("failed", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
        batch_op.create_check_constraint(
            op.f("ck_product_image_ready_or_failed"), "NOT (ready AND failed)"
        )


def downgrade():
    with op.batch_alter_table("product_image", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_product_image_ready_or_failed"), type_="check")
        batch_op.drop_column("failed")
        batch_op.drop_column("ready")
