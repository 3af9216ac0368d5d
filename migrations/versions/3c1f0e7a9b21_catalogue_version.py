"""Catalogue version row for cached storefront pages

Revision ID: 3c1f0e7a9b21
Revises: f5e3fbab92ff
Create Date: 2026-11-28 13:05:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '3c1f0e7a9b21'
down_revision = 'f5e3fbab92ff'
branch_labels = None
depends_on = None


def upgrade():
    table = op.create_table('catalogue_version',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_catalogue_version'))
    )
    # The one row every catalogue write bumps (products.cache).
    op.bulk_insert(table, [{'id': 1, 'version': 1}])


def downgrade():
    op.drop_table('catalogue_version')
