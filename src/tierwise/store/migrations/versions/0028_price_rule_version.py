"""price_rule_version: one row counting changes to the price rules, so a quote checks in one
primary-key read whether its rule index is current; an index on the active grants' end day
for the grant sync's ended-grace scan (issue 21, the quote p99 and regrade figures)

Revision ID: 0028_price_rule_version
Revises: 0027_service_tickets
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0028_price_rule_version"
down_revision = "0027_service_tickets"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "price_rule_version",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("changed_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_benefit_grants_active_until",
        "benefit_grants",
        ["valid_until"],
        sqlite_where=sa.text("status = 'active'"),
        postgresql_where=sa.text("status = 'active'"),
    )


def downgrade() -> None:
    op.drop_index("ix_benefit_grants_active_until", table_name="benefit_grants")
    op.drop_table("price_rule_version")
