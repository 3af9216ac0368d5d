"""Users carry a session version: log-out, password changes and resets end every other session

Revision ID: 7b2e5d81c3a4
Revises: d41c7e2a9f10
Create Date: 2026-12-02 21:10:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '7b2e5d81c3a4'
down_revision = 'd41c7e2a9f10'
branch_labels = None
depends_on = None


def upgrade():
    # Sessions made before this release name a user without a version and are refused once:
    # everybody logs in again.
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('session_version', sa.Integer(), server_default='1', nullable=False)
        )


def downgrade():
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.drop_column('session_version')
