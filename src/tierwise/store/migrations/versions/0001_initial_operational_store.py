"""initial operational store

Revision ID: 0001
Revises:
Create Date: 2026-11-22 14:50:57.126485
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "customer_tiers",
        sa.Column("customer_id", sa.String(length=40), nullable=False),
        sa.Column("tier", sa.String(length=40), nullable=True),
        sa.Column("score", sa.Float(), nullable=True),
        sa.Column("run_id", sa.String(length=40), nullable=False),
        sa.Column("since", sa.Date(), nullable=False),
        sa.Column("runs_below", sa.Integer(), nullable=False),
        sa.Column("below_since", sa.Date(), nullable=True),
        sa.Column("downgrade_warning", sa.Boolean(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("customer_id"),
    )
    with op.batch_alter_table("customer_tiers", schema=None) as batch_op:
        batch_op.create_index("ix_customer_tiers_tier", ["tier"], unique=False)

    op.create_table(
        "overrides",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("customer_id", sa.String(length=40), nullable=False),
        sa.Column("tier", sa.String(length=40), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("author", sa.String(length=120), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.Column("revoked_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("overrides", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_overrides_customer_id"), ["customer_id"], unique=False)

    op.create_table(
        "run_assignments",
        sa.Column("run_id", sa.String(length=40), nullable=False),
        sa.Column("customer_id", sa.String(length=40), nullable=False),
        sa.Column("tier", sa.String(length=40), nullable=True),
        sa.Column("score", sa.Float(), nullable=True),
        sa.Column("status", sa.String(length=24), nullable=False),
        sa.PrimaryKeyConstraint("run_id", "customer_id"),
    )
    op.create_table(
        "runs",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("policy_name", sa.String(length=200), nullable=False),
        sa.Column("policy_hash", sa.String(length=64), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("data_fingerprint", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("trigger", sa.String(length=32), nullable=False),
        sa.Column("started_at", sa.DateTime(), nullable=False),
        sa.Column("finished_at", sa.DateTime(), nullable=True),
        sa.Column("published_at", sa.DateTime(), nullable=True),
        sa.Column("counts", sa.JSON(), nullable=False),
        sa.Column("timings", sa.JSON(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("runs", schema=None) as batch_op:
        batch_op.create_index("ix_runs_status_published", ["status", "published_at"], unique=False)

    op.create_table(
        "tier_changes",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("customer_id", sa.String(length=40), nullable=False),
        sa.Column("run_id", sa.String(length=40), nullable=True),
        sa.Column("from_tier", sa.String(length=40), nullable=True),
        sa.Column("to_tier", sa.String(length=40), nullable=True),
        sa.Column("changed_at", sa.DateTime(), nullable=False),
        sa.Column("effective", sa.Date(), nullable=False),
        sa.Column("reason_code", sa.String(length=40), nullable=False),
        sa.Column("reason", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("tier_changes", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_tier_changes_customer_id"), ["customer_id"], unique=False
        )

    op.create_table(
        "run_cutoffs",
        sa.Column("run_id", sa.String(length=40), nullable=False),
        sa.Column("tier", sa.String(length=40), nullable=False),
        sa.Column("rank", sa.Integer(), nullable=False),
        sa.Column("min_score", sa.Float(), nullable=True),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["runs.id"],
        ),
        sa.PrimaryKeyConstraint("run_id", "tier"),
    )


def downgrade() -> None:
    op.drop_table("run_cutoffs")
    with op.batch_alter_table("tier_changes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_tier_changes_customer_id"))

    op.drop_table("tier_changes")
    with op.batch_alter_table("runs", schema=None) as batch_op:
        batch_op.drop_index("ix_runs_status_published")

    op.drop_table("runs")
    op.drop_table("run_assignments")
    with op.batch_alter_table("overrides", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_overrides_customer_id"))

    op.drop_table("overrides")
    with op.batch_alter_table("customer_tiers", schema=None) as batch_op:
        batch_op.drop_index("ix_customer_tiers_tier")

    op.drop_table("customer_tiers")
