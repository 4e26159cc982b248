"""benefit_plans, benefit_grants, benefit_redemptions: the benefits ledger (issue 21, R-OPS-2)

Revision ID: 0015_benefits_ledger
Revises: 0014_api_key_last_used
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015_benefits_ledger"
down_revision = "0014_api_key_last_used"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "benefit_plans",
        sa.Column("policy_hash", sa.String(length=64), nullable=False),
        sa.Column("policy_name", sa.String(length=200), nullable=False),
        sa.Column("plan", sa.JSON(), nullable=False),
        sa.Column("saved_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("policy_hash"),
    )
    op.create_table(
        "benefit_grants",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("customer_id", sa.String(length=40), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("params", sa.JSON(), nullable=False),
        sa.Column("tier", sa.String(length=40), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_until", sa.Date(), nullable=True),
        sa.Column("cause", sa.String(length=140), nullable=False),
        sa.Column("reason", sa.JSON(), nullable=False),
        sa.Column("ended_reason", sa.JSON(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_benefit_grants_customer", "benefit_grants", ["customer_id", "status"], unique=False
    )
    op.create_index(
        "uq_benefit_grants_one_active",
        "benefit_grants",
        ["customer_id", "code"],
        unique=True,
        sqlite_where=sa.text("status = 'active'"),
        postgresql_where=sa.text("status = 'active'"),
    )
    op.create_table(
        "benefit_redemptions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("customer_id", sa.String(length=40), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("grant_id", sa.Integer(), nullable=True),
        sa.Column("tier", sa.String(length=40), nullable=True),
        sa.Column("used_on", sa.Date(), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("cost", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("ref", sa.String(length=80), nullable=True),
        sa.Column("source", sa.String(length=200), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("actor", sa.String(length=120), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_benefit_redemptions_customer",
        "benefit_redemptions",
        ["customer_id", "used_on"],
        unique=False,
    )
    op.create_index(
        "uq_benefit_redemptions_ref",
        "benefit_redemptions",
        ["ref"],
        unique=True,
        sqlite_where=sa.text("ref IS NOT NULL"),
        postgresql_where=sa.text("ref IS NOT NULL"),
    )


def downgrade() -> None:
    op.drop_index("uq_benefit_redemptions_ref", table_name="benefit_redemptions")
    op.drop_index("ix_benefit_redemptions_customer", table_name="benefit_redemptions")
    op.drop_table("benefit_redemptions")
    op.drop_index("uq_benefit_grants_one_active", table_name="benefit_grants")
    op.drop_index("ix_benefit_grants_customer", table_name="benefit_grants")
    op.drop_table("benefit_grants")
    op.drop_table("benefit_plans")
