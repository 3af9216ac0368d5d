"""Money columns are 64-bit: a price or total of ¥21,474,836.48 or more overflowed `integer`

Revision ID: 5e8a1c07b3d2
Revises: 7b2e5d81c3a4
Create Date: 2026-12-03 10:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '5e8a1c07b3d2'
down_revision = '7b2e5d81c3a4'
branch_labels = None
depends_on = None

#: (table, column, nullable) of every amount in fen.
MONEY_COLUMNS = [
    ('shop', 'shipping_fee_fen', False),
    ('shop', 'free_shipping_over_fen', True),
    ('variant', 'price_fen', False),
    ('discount', 'fixed_price_fen', True),
    ('cart_line', 'price_seen_fen', False),
    ('customer_order', 'items_fen', False),
    ('customer_order', 'shipping_fen', False),
    ('customer_order', 'total_fen', False),
    ('customer_order', 'refunded_fen', False),
    ('order_line', 'unit_price_fen', False),
    ('payment', 'amount_fen', False),
    ('payment', 'refunded_fen', False),
]


def _change(old_type, new_type):
    # SQLite's INTEGER is 64-bit already (the models keep INTEGER there): nothing to rebuild.
    if op.get_bind().dialect.name == 'sqlite':
        return
    for table, column, nullable in MONEY_COLUMNS:
        op.alter_column(
            table, column, type_=new_type, existing_type=old_type, existing_nullable=nullable
        )


def upgrade():
    _change(sa.Integer(), sa.BigInteger())


def downgrade():
    # Fails if an amount no longer fits 32 bits: such rows must be dealt with by hand first.
    _change(sa.BigInteger(), sa.Integer())
