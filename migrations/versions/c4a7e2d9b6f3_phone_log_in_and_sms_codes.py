"""Accounts with a mobile number, one-time SMS codes, and SMS in the outbox

Revision ID: c4a7e2d9b6f3
Revises: e3a9c5d71b20
Create Date: 2026-12-03 09:30:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "c4a7e2d9b6f3"
down_revision = "e3a9c5d71b20"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("user_account", schema=None) as batch_op:
        batch_op.alter_column("email", existing_type=sa.String(length=254), nullable=True)
        batch_op.add_column(sa.Column("phone", sa.String(length=20), nullable=True))
        batch_op.add_column(
            sa.Column("phone_confirmed_at", sa.DateTime(timezone=True), nullable=True)
        )
        batch_op.create_unique_constraint(batch_op.f("uq_user_account_phone"), ["phone"])

    with op.batch_alter_table("outbox_message", schema=None) as batch_op:
        batch_op.alter_column("to_email", existing_type=sa.String(length=254), nullable=True)
        batch_op.add_column(sa.Column("to_phone", sa.String(length=20), nullable=True))
        batch_op.create_index(batch_op.f("ix_outbox_message_to_phone"), ["to_phone"], unique=False)
        batch_op.create_check_constraint(
            "one_recipient", "(to_email IS NULL) <> (to_phone IS NULL)"
        )

    op.create_table(
        "phone_code",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("phone", sa.String(length=20), nullable=False),
        sa.Column("purpose", sa.String(length=10), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("attempts >= 0", name=op.f("ck_phone_code_attempts")),
        sa.CheckConstraint(
            "purpose IN ('signup', 'login', 'reset')", name=op.f("ck_phone_code_purpose")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user_account.id"], name=op.f("fk_phone_code_user_id_user_account")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_phone_code")),
    )
    with op.batch_alter_table("phone_code", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_phone_code_phone"), ["phone"], unique=False)
        batch_op.create_index(batch_op.f("ix_phone_code_user_id"), ["user_id"], unique=False)


def downgrade():
    # SMS messages have no place in the older schema; an account made with a mobile number
    # only stops the downgrade (email NOT NULL) rather than being deleted here.
    op.drop_table("phone_code")
    op.execute("DELETE FROM outbox_message WHERE to_email IS NULL")
    with op.batch_alter_table("outbox_message", schema=None) as batch_op:
        batch_op.drop_constraint("one_recipient", type_="check")
        batch_op.drop_index(batch_op.f("ix_outbox_message_to_phone"))
        batch_op.drop_column("to_phone")
        batch_op.alter_column("to_email", existing_type=sa.String(length=254), nullable=False)

    with op.batch_alter_table("user_account", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_user_account_phone"), type_="unique")
        batch_op.drop_column("phone_confirmed_at")
        batch_op.drop_column("phone")
        batch_op.alter_column("email", existing_type=sa.String(length=254), nullable=False)
