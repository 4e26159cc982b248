"""credit_accounts, credit_terms, credit_terms_history, credit_holds, credit_overrides (issue 22)

Revision ID: 0017_credit_terms
Revises: 0016_price_rules
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0017_credit_terms"
down_revision = "0016_price_rules"
branch_labels = None
depends_on = None

_MONEY = sa.Numeric(precision=14, scale=2)


def upgrade() -> None:
    op.create_table(
        "credit_accounts",
        sa.Column("customer_id", sa.String(length=40), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("pd", sa.Float(), nullable=True),
        sa.Column("reasons", sa.JSON(), nullable=False),
        sa.Column("model", sa.String(length=40), nullable=False),
        *[
            sa.Column(name, _MONEY, nullable=False)
            for name in (
                "spend_90d",
                "unsettled",
                "prepaid_balance",
                "overdue_amount",
                "overdue_1_30",
                "overdue_31_60",
                "overdue_61_90",
                "overdue_over_90",
            )
        ],
        sa.Column("max_days_overdue", sa.Integer(), nullable=False),
        sa.Column("frozen", _MONEY, nullable=False),
        sa.Column("paid_since", _MONEY, nullable=False),
        sa.Column("scored_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("customer_id"),
    )
    op.create_table(
        "credit_terms",
        sa.Column("customer_id", sa.String(length=40), nullable=False),
        sa.Column("tier", sa.String(length=40), nullable=True),
        sa.Column("band", sa.String(length=20), nullable=False),
        sa.Column("pd", sa.Float(), nullable=True),
        sa.Column("terms", sa.String(length=16), nullable=False),
        sa.Column("deposit_pct", sa.Float(), nullable=False),
        sa.Column("credit_limit", _MONEY, nullable=False),
        sa.Column("pending_terms", sa.String(length=16), nullable=True),
        sa.Column("pending_from", sa.Date(), nullable=True),
        sa.Column("since", sa.Date(), nullable=False),
        sa.Column("reasons", sa.JSON(), nullable=False),
        sa.Column("policy", sa.String(length=80), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("customer_id"),
    )
    op.create_index("ix_credit_terms_pending", "credit_terms", ["pending_from"])
    op.create_table(
        "credit_terms_history",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("customer_id", sa.String(length=40), nullable=False),
        sa.Column("from_terms", sa.String(length=16), nullable=True),
        sa.Column("to_terms", sa.String(length=16), nullable=False),
        sa.Column("change", sa.String(length=16), nullable=False),
        sa.Column("deposit_pct", sa.Float(), nullable=False),
        sa.Column("credit_limit", _MONEY, nullable=False),
        sa.Column("effective", sa.Date(), nullable=False),
        sa.Column("decided_at", sa.DateTime(), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("run_id", sa.String(length=120), nullable=True),
        sa.Column("reasons", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_credit_terms_history_customer_id", "credit_terms_history", ["customer_id"])
    op.create_table(
        "credit_holds",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("customer_id", sa.String(length=40), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("amount_over", _MONEY, nullable=False),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.Column("opened_at", sa.DateTime(), nullable=False),
        sa.Column("released_at", sa.DateTime(), nullable=True),
        sa.Column("released_by", sa.String(length=120), nullable=True),
        sa.Column("release_note", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_credit_holds_customer_id", "credit_holds", ["customer_id"])
    op.create_index(
        "uq_credit_holds_one_open",
        "credit_holds",
        ["customer_id", "kind"],
        unique=True,
        sqlite_where=sa.text("released_at IS NULL"),
        postgresql_where=sa.text("released_at IS NULL"),
    )
    op.create_table(
        "credit_overrides",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("customer_id", sa.String(length=40), nullable=False),
        sa.Column("amount", _MONEY, nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("requested_by", sa.String(length=120), nullable=False),
        sa.Column("requested_at", sa.DateTime(), nullable=False),
        sa.Column("approved_by", sa.String(length=120), nullable=True),
        sa.Column("approved_at", sa.DateTime(), nullable=True),
        sa.Column("used_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_credit_overrides_customer_id", "credit_overrides", ["customer_id"])


def downgrade() -> None:
    op.drop_index("ix_credit_overrides_customer_id", table_name="credit_overrides")
    op.drop_table("credit_overrides")
    op.drop_index("uq_credit_holds_one_open", table_name="credit_holds")
    op.drop_index("ix_credit_holds_customer_id", table_name="credit_holds")
    op.drop_table("credit_holds")
    op.drop_index("ix_credit_terms_history_customer_id", table_name="credit_terms_history")
    op.drop_table("credit_terms_history")
    op.drop_index("ix_credit_terms_pending", table_name="credit_terms")
    op.drop_table("credit_terms")
    op.drop_table("credit_accounts")
