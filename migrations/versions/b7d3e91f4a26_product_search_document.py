"""A tsvector of each product's words for the PostgreSQL search backend

Revision ID: b7d3e91f4a26
Revises: 9c4e1b7a2f53
Create Date: 2026-12-03 17:50:00.000000

"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision = "b7d3e91f4a26"
down_revision = "9c4e1b7a2f53"
branch_labels = None
depends_on = None


def upgrade():
    postgres = op.get_bind().dialect.name == "postgresql"
    with op.batch_alter_table("product", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "search_document",
                postgresql.TSVECTOR() if postgres else sa.Text(),
                nullable=True,
            )
        )
    # Filled by `flask reindex` (or the next write of each product) when the PostgreSQL search
    # backend is chosen; on SQLite the column stays empty (the models declare the index).
    op.create_index(
        "ix_product_search_document",
        "product",
        ["search_document"],
        unique=False,
        postgresql_using="gin",
    )


def downgrade():
    op.drop_index("ix_product_search_document", table_name="product")
    with op.batch_alter_table("product", schema=None) as batch_op:
        batch_op.drop_column("search_document")
