"""recommendations: a customer's buy-again and new-to-you lists (R-OPS-7)

Revision ID: 0010_recs_recommendations
Revises: 0009_retention_tasks
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010_recs_recommendations"
down_revision = "0009_retention_tasks"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "recommendations",
        sa.Column("customer_id", sa.String(length=40), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("run_id", sa.String(length=120), nullable=True),
        sa.Column("model", sa.String(length=40), nullable=False),
        sa.Column("cold_start", sa.Integer(), nullable=False),
        sa.Column("buy_again", sa.JSON(), nullable=False),
        sa.Column("new_items", sa.JSON(), nullable=False),
        sa.Column("stats", sa.JSON(), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("refreshed_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("customer_id"),
    )


def downgrade() -> None:
    op.drop_table("recommendations")
