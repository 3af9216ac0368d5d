"""Payments remember their cart, quote and address key: a checkout is placed once per cart state

Revision ID: d41c7e2a9f10
Revises: 2c5cbdbbc587
Create Date: 2026-12-02 19:20:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'd41c7e2a9f10'
down_revision = '2c5cbdbbc587'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('payment', schema=None) as batch_op:
        batch_op.add_column(sa.Column('cart_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('quote', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('address_key', sa.String(length=32), nullable=True))
        batch_op.create_index(batch_op.f('ix_payment_cart_id'), ['cart_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_payment_address_key'), ['address_key'], unique=False)
        batch_op.create_foreign_key(
            batch_op.f('fk_payment_cart_id_cart'), 'cart', ['cart_id'], ['id'], ondelete='SET NULL'
        )


def downgrade():
    with op.batch_alter_table('payment', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_payment_cart_id_cart'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_payment_address_key'))
        batch_op.drop_index(batch_op.f('ix_payment_cart_id'))
        batch_op.drop_column('address_key')
        batch_op.drop_column('quote')
        batch_op.drop_column('cart_id')
