"""A checkout counts its declined attempts; a shop says within how many days it dispatches

Revision ID: c7d4a2e9b813
Revises: 5e8a1c07b3d2
Create Date: 2026-12-03 06:30:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c7d4a2e9b813'
down_revision = '5e8a1c07b3d2'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('payment', schema=None) as batch_op:
        batch_op.add_column(sa.Column('declines', sa.Integer(), server_default='0', nullable=False))
        batch_op.create_check_constraint(
            op.f('ck_payment_declines_not_negative'), 'declines >= 0'
        )
    with op.batch_alter_table('shop', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('dispatch_days', sa.Integer(), server_default='2', nullable=False)
        )
        batch_op.create_check_constraint(
            op.f('ck_shop_dispatch_days_in_range'), 'dispatch_days BETWEEN 1 AND 30'
        )


def downgrade():
    with op.batch_alter_table('shop', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_shop_dispatch_days_in_range'), type_='check')
        batch_op.drop_column('dispatch_days')
    with op.batch_alter_table('payment', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_payment_declines_not_negative'), type_='check')
        batch_op.drop_column('declines')
