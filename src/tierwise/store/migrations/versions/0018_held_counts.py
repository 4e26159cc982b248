"""runs.held_counts / held_from_run / held_migration, two read indexes (issue 18 item 1)

Revision ID: 0018_held_counts
Revises: 0017_credit_terms
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0018_held_counts"
down_revision = "0017_credit_terms"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("runs") as batch:
        batch.add_column(sa.Column("held_counts", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("held_from_run", sa.String(length=120), nullable=True))
        batch.add_column(sa.Column("held_migration", sa.JSON(), nullable=True))
    op.create_index("ix_tier_changes_changed_at", "tier_changes", ["changed_at"])
    op.create_index(
        "ix_customer_profiles_dashboard",
        "customer_profiles",
        ["province", "cuisine", "tier", "spend_365d", "ltv"],
    )


def downgrade() -> None:
    op.drop_index("ix_customer_profiles_dashboard", table_name="customer_profiles")
    op.drop_index("ix_tier_changes_changed_at", table_name="tier_changes")
    with op.batch_alter_table("runs") as batch:
        batch.drop_column("held_migration")
        batch.drop_column("held_from_run")
        batch.drop_column("held_counts")
