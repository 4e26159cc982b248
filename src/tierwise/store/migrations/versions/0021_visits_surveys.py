"""visit_cadences, visit_stops (issue 26; NPS survey tables not yet)

Revision ID: 0021_visits_surveys
Revises: 0019_rebate_ledger
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0021_visits_surveys"
down_revision = "0019_rebate_ledger"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "visit_cadences",
        sa.Column("customer_id", sa.String(length=40), nullable=False),
        sa.Column("tier", sa.String(length=40), nullable=True),
        sa.Column("channel", sa.String(length=8), nullable=False),
        sa.Column("every_days", sa.Integer(), nullable=False),
        sa.Column("next_due", sa.Date(), nullable=False),
        sa.Column("reason", sa.String(length=16), nullable=False),
        sa.Column("last_visit", sa.Date(), nullable=True),
        sa.Column("policy", sa.String(length=80), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("customer_id"),
    )
    op.create_index("ix_visit_cadences_due", "visit_cadences", ["channel", "next_due"])
    op.create_table(
        "visit_stops",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("manager_id", sa.String(length=40), nullable=False),
        sa.Column("customer_id", sa.String(length=40), nullable=False),
        sa.Column("tier", sa.String(length=40), nullable=True),
        sa.Column("reason", sa.String(length=16), nullable=False),
        sa.Column("value_at_risk", sa.Float(), nullable=False),
        sa.Column("rank", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=True),
        sa.Column("eta_minute", sa.Integer(), nullable=True),
        sa.Column("late_minutes", sa.Integer(), nullable=True),
        sa.Column("lat", sa.Float(), nullable=True),
        sa.Column("lon", sa.Float(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("rolled_from", sa.Date(), nullable=True),
        sa.Column("checkin_at", sa.DateTime(), nullable=True),
        sa.Column("checkin_lat", sa.Float(), nullable=True),
        sa.Column("checkin_lon", sa.Float(), nullable=True),
        sa.Column("checkin_distance_m", sa.Float(), nullable=True),
        sa.Column("far", sa.Integer(), nullable=False),
        sa.Column("checkout_at", sa.DateTime(), nullable=True),
        sa.Column("outcome", sa.String(length=16), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("actor", sa.String(length=120), nullable=True),
        sa.Column("planned_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_visit_stops_customer_id", "visit_stops", ["customer_id"])
    op.create_index("uq_visit_stops_day_customer", "visit_stops", ["day", "customer_id"],
                    unique=True)  # fmt: skip
    op.create_index("ix_visit_stops_manager_day", "visit_stops", ["manager_id", "day"])


def downgrade() -> None:
    op.drop_table("visit_stops")
    op.drop_table("visit_cadences")
