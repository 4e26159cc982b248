"""customer_predictions: the latest CLV / churn / value predictions per customer (issue 8)

Revision ID: 0008_models
Revises: 0007_one_event_table
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008_models"
down_revision = "0007_one_event_table"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "customer_predictions",
        sa.Column("customer_id", sa.String(length=40), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("models", sa.JSON(), nullable=False),
        sa.Column("p_alive", sa.Float(), nullable=True),
        sa.Column("expected_orders", sa.Float(), nullable=True),
        sa.Column("expected_spend", sa.Float(), nullable=True),
        sa.Column("clv", sa.Float(), nullable=True),
        sa.Column("churn_probability", sa.Float(), nullable=True),
        sa.Column("predicted_spend", sa.Float(), nullable=True),
        sa.Column("refreshed_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("customer_id"),
    )


def downgrade() -> None:
    op.drop_table("customer_predictions")
