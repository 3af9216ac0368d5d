"""Each payment keeps the history of its status moves

Revision ID: 9c4e1b7a2f53
Revises: 6a2d8f0c4e17
Create Date: 2026-12-06 10:00:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "9c4e1b7a2f53"
down_revision = "6a2d8f0c4e17"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "payment_status_change",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("payment_id", sa.Integer(), nullable=False),
        sa.Column("from_status", sa.String(length=20), nullable=False),
        sa.Column("to_status", sa.String(length=20), nullable=False),
        sa.Column("actor_kind", sa.String(length=20), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["payment_id"],
            ["payment.id"],
            name=op.f("fk_payment_status_change_payment_id_payment"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payment_status_change")),
    )
    with op.batch_alter_table("payment_status_change", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_payment_status_change_payment_id"), ["payment_id"], unique=False
        )


def downgrade():
    with op.batch_alter_table("payment_status_change", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_payment_status_change_payment_id"))
    op.drop_table("payment_status_change")
