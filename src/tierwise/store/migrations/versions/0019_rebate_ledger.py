"""rebate_payouts, rebate_ledger: rebate accruals, statements and payouts (issue 21, R-OPS-3)

Revision ID: 0019_rebate_ledger
Revises: 0018_held_counts
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0019_rebate_ledger"
down_revision = "0018_held_counts"
branch_labels = None
depends_on = None

_MONEY = sa.Numeric(precision=14, scale=2)


def upgrade() -> None:
    op.create_table(
        "rebate_payouts",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("period", sa.String(length=8), nullable=True),
        sa.Column("lines", sa.Integer(), nullable=False),
        sa.Column("total", _MONEY, nullable=False),
        sa.Column("actor", sa.String(length=120), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "rebate_ledger",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("customer_id", sa.String(length=40), nullable=False),
        sa.Column("period", sa.String(length=8), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("entry", sa.String(length=12), nullable=False),
        sa.Column("tier", sa.String(length=40), nullable=True),
        sa.Column("grant_id", sa.Integer(), nullable=True),
        sa.Column("pct", sa.Numeric(precision=7, scale=3), nullable=False),
        sa.Column("gross", _MONEY, nullable=False),
        sa.Column("refunds", _MONEY, nullable=False),
        sa.Column("net", _MONEY, nullable=False),
        sa.Column("amount", _MONEY, nullable=False),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("payout_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["payout_id"], ["rebate_payouts.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_rebate_ledger_period", "rebate_ledger", ["period", "customer_id"])
    op.create_index("ix_rebate_ledger_customer", "rebate_ledger", ["customer_id", "period_start"])
    op.create_index("ix_rebate_ledger_payout_id", "rebate_ledger", ["payout_id"])
    op.create_index(
        "uq_rebate_ledger_one_open",
        "rebate_ledger",
        ["customer_id", "period"],
        unique=True,
        sqlite_where=sa.text("status = 'accrued'"),
        postgresql_where=sa.text("status = 'accrued'"),
    )


def downgrade() -> None:
    op.drop_table("rebate_ledger")
    op.drop_table("rebate_payouts")
