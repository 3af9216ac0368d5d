"""Exhibitor shops wait for the organizers' approval and can be suspended; listings can wait for review

Revision ID: 9d3f6b2a4c15
Revises: c7d4a2e9b813
Create Date: 2026-12-03 06:20:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '9d3f6b2a4c15'
down_revision = 'c7d4a2e9b813'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('shop', schema=None) as batch_op:
        batch_op.add_column(sa.Column('approved_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('suspended_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(
            sa.Column('suspension_reason', sa.Text(), server_default='', nullable=False)
        )
    with op.batch_alter_table('product', schema=None) as batch_op:
        batch_op.add_column(sa.Column('review_reason', sa.String(length=20), nullable=True))
        batch_op.create_check_constraint(
            op.f('ck_product_review_reason'),
            "review_reason IS NULL OR review_reason IN ('first_listing', 'price_outlier')",
        )
    # Shops already selling stay public: every existing exhibitor shop counts as approved.
    op.execute(
        "UPDATE shop SET approved_at = CURRENT_TIMESTAMP WHERE kind = 'exhibitor'"
    )


def downgrade():
    with op.batch_alter_table('product', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_product_review_reason'), type_='check')
        batch_op.drop_column('review_reason')
    with op.batch_alter_table('shop', schema=None) as batch_op:
        batch_op.drop_column('suspension_reason')
        batch_op.drop_column('suspended_at')
        batch_op.drop_column('approved_at')
