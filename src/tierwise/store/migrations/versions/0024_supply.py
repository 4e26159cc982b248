"""supply_runs, supply_forecasts, supply_levels, supply_order_lines, supply_allocations,
supply_exclusions (issue 27, supply chain by tier)

Revision ID: 0024_supply
Revises: 0022_nps_surveys
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0024_supply"
down_revision = "0022_nps_surveys"
branch_labels = None
depends_on = None


def _run_fk() -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(["run_id"], ["supply_runs.id"])


def upgrade() -> None:
    op.create_table(
        "supply_runs",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("policy", sa.String(length=80), nullable=False),
        sa.Column("skus", sa.Integer(), nullable=False),
        sa.Column("series", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("created_by", sa.String(length=120), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_supply_runs_as_of", "supply_runs", ["as_of"])
    op.create_table(
        "supply_forecasts",
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("level", sa.String(length=40), nullable=False),
        sa.Column("series", sa.String(length=200), nullable=False),
        sa.Column("week", sa.Date(), nullable=False),
        sa.Column("actual", sa.Float(), nullable=True),
        sa.Column("forecast", sa.Float(), nullable=True),
        _run_fk(),
        sa.PrimaryKeyConstraint("run_id", "level", "series", "week"),
    )
    op.create_table(
        "supply_levels",
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("sku", sa.String(length=40), nullable=False),
        sa.Column("warehouse_id", sa.String(length=20), nullable=False),
        sa.Column("category", sa.String(length=40), nullable=False),
        sa.Column("on_hand", sa.Float(), nullable=True),
        sa.Column("position", sa.Float(), nullable=True),
        sa.Column("mean_daily", sa.Float(), nullable=False),
        sa.Column("cover_days", sa.Float(), nullable=True),
        sa.Column("safety_stock", sa.Float(), nullable=False),
        sa.Column("reorder_point", sa.Float(), nullable=False),
        sa.Column("order_up_to", sa.Float(), nullable=False),
        sa.Column("binding_tier", sa.String(length=40), nullable=False),
        _run_fk(),
        sa.PrimaryKeyConstraint("run_id", "sku", "warehouse_id"),
    )
    op.create_table(
        "supply_order_lines",
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("po_id", sa.String(length=40), nullable=False),
        sa.Column("sku", sa.String(length=40), nullable=False),
        sa.Column("supplier", sa.String(length=120), nullable=False),
        sa.Column("warehouse_id", sa.String(length=20), nullable=False),
        sa.Column("quantity", sa.Float(), nullable=False),
        sa.Column("unit_cost", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("amount", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("expected_date", sa.Date(), nullable=False),
        sa.Column("reason", sa.String(length=200), nullable=False),
        _run_fk(),
        sa.PrimaryKeyConstraint("run_id", "po_id", "sku"),
    )
    op.create_table(
        "supply_allocations",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.String(length=40), nullable=False),
        sa.Column("customer_id", sa.String(length=40), nullable=False),
        sa.Column("tier", sa.String(length=40), nullable=False),
        sa.Column("sku", sa.String(length=40), nullable=False),
        sa.Column("warehouse_id", sa.String(length=20), nullable=False),
        sa.Column("quantity", sa.Float(), nullable=False),
        sa.Column("allocated", sa.Float(), nullable=False),
        sa.Column("reason", sa.String(length=200), nullable=False),
        _run_fk(),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_supply_allocations_run_id", "supply_allocations", ["run_id"])
    op.create_table(
        "supply_exclusions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("sku", sa.String(length=40), nullable=False),
        sa.Column("warehouse_id", sa.String(length=20), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("reason", sa.String(length=200), nullable=False),
        _run_fk(),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_supply_exclusions_run_id", "supply_exclusions", ["run_id"])


def downgrade() -> None:
    op.drop_index("ix_supply_exclusions_run_id", table_name="supply_exclusions")
    op.drop_table("supply_exclusions")
    op.drop_index("ix_supply_allocations_run_id", table_name="supply_allocations")
    op.drop_table("supply_allocations")
    op.drop_table("supply_order_lines")
    op.drop_table("supply_levels")
    op.drop_table("supply_forecasts")
    op.drop_index("ix_supply_runs_as_of", table_name="supply_runs")
    op.drop_table("supply_runs")
