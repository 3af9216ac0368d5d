"""A message thread may be about a product before buying (联系卖家): one per product and buyer

Revision ID: e8b1f4c2a930
Revises: 9d4f2b6e1a57
Create Date: 2026-12-03 09:00:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "e8b1f4c2a930"
down_revision = "9d4f2b6e1a57"
branch_labels = None
depends_on = None


def upgrade():
    # batch_alter_table: SQLite cannot drop NOT NULL or add constraints in place.
    with op.batch_alter_table("message_thread", schema=None) as batch_op:
        batch_op.alter_column("order_id", existing_type=sa.Integer(), nullable=True)
        batch_op.add_column(sa.Column("product_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("buyer_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            op.f("fk_message_thread_product_id_product"),
            "product",
            ["product_id"],
            ["id"],
            ondelete="CASCADE",
        )
        batch_op.create_foreign_key(
            op.f("fk_message_thread_buyer_id_user_account"),
            "user_account",
            ["buyer_id"],
            ["id"],
            ondelete="CASCADE",
        )
        batch_op.create_unique_constraint(
            op.f("uq_message_thread_product_id"), ["product_id", "buyer_id"]
        )
        batch_op.create_check_constraint(
            op.f("ck_message_thread_order_or_product_buyer"),
            "order_id IS NOT NULL OR (product_id IS NOT NULL AND buyer_id IS NOT NULL)",
        )
        batch_op.create_index(batch_op.f("ix_message_thread_buyer_id"), ["buyer_id"], unique=False)


def downgrade():
    # Pre-sale threads have no order: they cannot survive the old schema.
    op.execute("DELETE FROM message_thread WHERE order_id IS NULL")
    with op.batch_alter_table("message_thread", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_message_thread_buyer_id"))
        batch_op.drop_constraint(op.f("ck_message_thread_order_or_product_buyer"), type_="check")
        batch_op.drop_constraint(op.f("uq_message_thread_product_id"), type_="unique")
        batch_op.drop_constraint(
            op.f("fk_message_thread_buyer_id_user_account"), type_="foreignkey"
        )
        batch_op.drop_constraint(op.f("fk_message_thread_product_id_product"), type_="foreignkey")
        batch_op.drop_column("buyer_id")
        batch_op.drop_column("product_id")
        batch_op.alter_column("order_id", existing_type=sa.Integer(), nullable=False)
