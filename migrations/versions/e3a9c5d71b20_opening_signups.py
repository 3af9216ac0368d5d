"""Sign-ups to hear when a partner country opens

Revision ID: e3a9c5d71b20
Revises: e8b1f4c2a930
Create Date: 2026-12-03 09:00:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "e3a9c5d71b20"
down_revision = "e8b1f4c2a930"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "opening_signup",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("region_id", sa.Integer(), nullable=False),
        sa.Column("contact", sa.String(length=254), nullable=False),
        sa.Column("contact_kind", sa.String(length=10), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("language", sa.String(length=5), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "contact_kind IN ('email', 'phone')", name=op.f("ck_opening_signup_contact_kind")
        ),
        sa.CheckConstraint("language IN ('zh', 'en')", name=op.f("ck_opening_signup_language")),
        sa.ForeignKeyConstraint(
            ["region_id"],
            ["region.id"],
            name=op.f("fk_opening_signup_region_id_region"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_opening_signup")),
        sa.UniqueConstraint("region_id", "contact", name=op.f("uq_opening_signup_region_id")),
    )
    with op.batch_alter_table("opening_signup", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_opening_signup_region_id"), ["region_id"], unique=False
        )


def downgrade():
    with op.batch_alter_table("opening_signup", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_opening_signup_region_id"))
    op.drop_table("opening_signup")
