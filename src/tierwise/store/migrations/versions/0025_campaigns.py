"""campaigns, campaign_sends, campaign_coupons, campaign_optouts (issue 24, campaigns)

Revision ID: 0025_campaigns
Revises: 0024_supply
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0025_campaigns"
down_revision = "0024_supply"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "campaigns",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("title", sa.String(length=120), nullable=False),
        sa.Column("audience", sa.String(length=80), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("spec", sa.JSON(), nullable=False),
        sa.Column("salt", sa.String(length=32), nullable=False),
        sa.Column("budget_fen", sa.Integer(), nullable=False),
        sa.Column("holdout_share", sa.Float(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("created_by", sa.String(length=120), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name"),
    )
    op.create_table(
        "campaign_sends",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("wave", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.String(length=40), nullable=False),
        sa.Column("account_id", sa.String(length=40), nullable=False),
        sa.Column("tier", sa.String(length=40), nullable=True),
        sa.Column("arm", sa.String(length=8), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("channel", sa.String(length=8), nullable=True),
        sa.Column("variant", sa.String(length=40), nullable=True),
        sa.Column("not_before", sa.DateTime(), nullable=True),
        sa.Column("cost_fen", sa.Integer(), nullable=False),
        sa.Column("coupon_code", sa.String(length=16), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("delivered_at", sa.DateTime(), nullable=True),
        sa.Column("opened_at", sa.DateTime(), nullable=True),
        sa.Column("clicked_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["campaign_id"], ["campaigns.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "uq_campaign_sends_wave_customer",
        "campaign_sends",
        ["campaign_id", "wave", "customer_id"],
        unique=True,
    )
    op.create_index(
        "ix_campaign_sends_customer_time", "campaign_sends", ["customer_id", "not_before"]
    )
    op.create_table(
        "campaign_coupons",
        sa.Column("code", sa.String(length=16), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.String(length=40), nullable=False),
        sa.Column("tier", sa.String(length=40), nullable=True),
        sa.Column("template", sa.JSON(), nullable=False),
        sa.Column("face_fen", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("issued_at", sa.DateTime(), nullable=False),
        sa.Column("valid_from", sa.DateTime(), nullable=False),
        sa.Column("valid_until", sa.DateTime(), nullable=False),
        sa.Column("order_id", sa.String(length=64), nullable=True),
        sa.Column("discount_fen", sa.Integer(), nullable=True),
        sa.Column("redeemed_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["campaign_id"], ["campaigns.id"]),
        sa.PrimaryKeyConstraint("code"),
    )
    op.create_index("ix_campaign_coupons_campaign_id", "campaign_coupons", ["campaign_id"])
    op.create_index("ix_campaign_coupons_customer_id", "campaign_coupons", ["customer_id"])
    op.create_table(
        "campaign_optouts",
        sa.Column("customer_id", sa.String(length=40), nullable=False),
        sa.Column("channel", sa.String(length=8), nullable=False),
        sa.Column("source", sa.String(length=40), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("customer_id", "channel"),
    )


def downgrade() -> None:
    op.drop_table("campaign_optouts")
    op.drop_index("ix_campaign_coupons_customer_id", table_name="campaign_coupons")
    op.drop_index("ix_campaign_coupons_campaign_id", table_name="campaign_coupons")
    op.drop_table("campaign_coupons")
    op.drop_index("ix_campaign_sends_customer_time", table_name="campaign_sends")
    op.drop_index("uq_campaign_sends_wave_customer", table_name="campaign_sends")
    op.drop_table("campaign_sends")
    op.drop_table("campaigns")
