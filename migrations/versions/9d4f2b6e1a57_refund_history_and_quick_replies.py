"""Refund history (whole or partial refunds, with their lines) and sellers' quick replies

Revision ID: 9d4f2b6e1a57
Revises: 9d3f6b2a4c15
Create Date: 2026-12-03 12:00:00.000000

"""
from alembic import op
import sqlalchemy as sa

from shop.models_base import FEN


# revision identifiers, used by Alembic.
revision = '9d4f2b6e1a57'
down_revision = '9d3f6b2a4c15'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'order_refund',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('order_id', sa.Integer(), nullable=False),
        sa.Column('sequence', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('amount_fen', FEN, nullable=False),
        sa.Column('actor_kind', sa.String(length=20), nullable=False),
        sa.Column('actor_id', sa.Integer(), nullable=True),
        sa.Column('reason', sa.Text(), nullable=False),
        sa.Column('restocked', sa.Boolean(), nullable=False),
        sa.Column('gateway_refund_id', sa.String(length=255), nullable=False),
        sa.CheckConstraint('amount_fen > 0', name=op.f('ck_order_refund_amount_positive')),
        sa.ForeignKeyConstraint(
            ['actor_id'], ['user_account.id'],
            name=op.f('fk_order_refund_actor_id_user_account'), ondelete='SET NULL',
        ),
        sa.ForeignKeyConstraint(
            ['order_id'], ['customer_order.id'],
            name=op.f('fk_order_refund_order_id_customer_order'), ondelete='CASCADE',
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_order_refund')),
        sa.UniqueConstraint('order_id', 'sequence', name=op.f('uq_order_refund_order_id')),
    )
    with op.batch_alter_table('order_refund', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_order_refund_order_id'), ['order_id'], unique=False)

    op.create_table(
        'order_refund_line',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('refund_id', sa.Integer(), nullable=False),
        sa.Column('order_line_id', sa.Integer(), nullable=False),
        sa.Column('quantity', sa.Integer(), nullable=False),
        sa.CheckConstraint('quantity > 0', name=op.f('ck_order_refund_line_quantity_positive')),
        sa.ForeignKeyConstraint(
            ['order_line_id'], ['order_line.id'],
            name=op.f('fk_order_refund_line_order_line_id_order_line'), ondelete='CASCADE',
        ),
        sa.ForeignKeyConstraint(
            ['refund_id'], ['order_refund.id'],
            name=op.f('fk_order_refund_line_refund_id_order_refund'), ondelete='CASCADE',
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_order_refund_line')),
    )
    with op.batch_alter_table('order_refund_line', schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f('ix_order_refund_line_order_line_id'), ['order_line_id'], unique=False
        )
        batch_op.create_index(
            batch_op.f('ix_order_refund_line_refund_id'), ['refund_id'], unique=False
        )

    op.create_table(
        'quick_reply',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('body', sa.String(length=300), nullable=False),
        sa.Column('position', sa.Integer(), nullable=False),
        sa.Column('deleted', sa.Boolean(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ['user_id'], ['user_account.id'],
            name=op.f('fk_quick_reply_user_id_user_account'), ondelete='CASCADE',
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_quick_reply')),
    )
    with op.batch_alter_table('quick_reply', schema=None) as batch_op:
        batch_op.create_index('ix_quick_reply_user_position', ['user_id', 'position'], unique=False)


def downgrade():
    with op.batch_alter_table('quick_reply', schema=None) as batch_op:
        batch_op.drop_index('ix_quick_reply_user_position')
    op.drop_table('quick_reply')
    with op.batch_alter_table('order_refund_line', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_order_refund_line_refund_id'))
        batch_op.drop_index(batch_op.f('ix_order_refund_line_order_line_id'))
    op.drop_table('order_refund_line')
    with op.batch_alter_table('order_refund', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_order_refund_order_id'))
    op.drop_table('order_refund')
