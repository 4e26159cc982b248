"""experiments, members, log; city pilots; spot checks (R-ANA-5, R-GRD-11)

Revision ID: 0012_experiments_tables
Revises: 0011_trust_leases
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012_experiments_tables"
down_revision = "0011_trust_leases"
branch_labels = None
depends_on = None


def _who(prefix: str) -> list[sa.Column[object]]:
    return [
        sa.Column(f"{prefix}_at", sa.DateTime(), nullable=True),
        sa.Column(f"{prefix}_by", sa.String(length=120), nullable=True),
    ]


def upgrade() -> None:
    op.create_table(
        "experiments",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("design", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("layer", sa.String(length=40), nullable=True),
        sa.Column("metric", sa.String(length=24), nullable=False),
        sa.Column("salt", sa.String(length=64), nullable=True),
        sa.Column("power", sa.JSON(), nullable=False),
        sa.Column("forced_reason", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("created_by", sa.String(length=120), nullable=False),
        *_who("started"),
        *_who("stopped"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("code"),
    )
    op.create_table(
        "experiment_members",
        sa.Column("experiment_id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.String(length=40), nullable=False),
        sa.Column("account_id", sa.String(length=40), nullable=False),
        sa.Column("arm", sa.String(length=32), nullable=False),
        sa.Column("stratum", sa.String(length=200), nullable=False),
        sa.Column("tier", sa.String(length=40), nullable=True),
        sa.ForeignKeyConstraint(["experiment_id"], ["experiments.id"]),
        sa.PrimaryKeyConstraint("experiment_id", "customer_id"),
    )
    op.create_index("ix_experiment_members_customer", "experiment_members", ["customer_id"])
    op.create_table(
        "experiment_log",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("subject", sa.String(length=80), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("actor", sa.String(length=120), nullable=False),
        sa.Column("action", sa.String(length=24), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_experiment_log_subject", "experiment_log", ["subject"])
    op.create_table(
        "pilots",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("policy", sa.String(length=80), nullable=False),
        sa.Column("pilot_cities", sa.JSON(), nullable=False),
        sa.Column("control_cities", sa.JSON(), nullable=False),
        sa.Column("start", sa.Date(), nullable=False),
        sa.Column("days", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("result", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("created_by", sa.String(length=120), nullable=False),
        *_who("decided"),
        sa.Column("decision_note", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("code"),
    )
    op.create_table(
        "spot_checks",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("run_id", sa.String(length=120), nullable=False),
        sa.Column("policy_name", sa.String(length=80), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("created_by", sa.String(length=120), nullable=False),
        sa.Column("finished_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_spot_checks_run_id", "spot_checks", ["run_id"])
    op.create_table(
        "spot_check_items",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("check_id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.String(length=40), nullable=False),
        sa.Column("stratum", sa.String(length=80), nullable=False),
        sa.Column("from_tier", sa.String(length=40), nullable=True),
        sa.Column("to_tier", sa.String(length=40), nullable=True),
        sa.Column("verdict", sa.String(length=16), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("reviewer", sa.String(length=120), nullable=True),
        sa.Column("reviewed_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["check_id"], ["spot_checks.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_spot_check_items_check_id", "spot_check_items", ["check_id"])


def downgrade() -> None:
    op.drop_index("ix_spot_check_items_check_id", table_name="spot_check_items")
    op.drop_table("spot_check_items")
    op.drop_index("ix_spot_checks_run_id", table_name="spot_checks")
    op.drop_table("spot_checks")
    op.drop_table("pilots")
    op.drop_index("ix_experiment_log_subject", table_name="experiment_log")
    op.drop_table("experiment_log")
    op.drop_index("ix_experiment_members_customer", table_name="experiment_members")
    op.drop_table("experiment_members")
    op.drop_table("experiments")
