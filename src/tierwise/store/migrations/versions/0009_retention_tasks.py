"""retention_tasks + retention_task_log: churn retention call-back tasks (R-OPS-5)

Revision ID: 0009_retention_tasks
Revises: 0008_models
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009_retention_tasks"
down_revision = "0008_models"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "retention_tasks",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("customer_id", sa.String(length=40), nullable=False),
        sa.Column("account_manager", sa.String(length=40), nullable=True),
        sa.Column("tier", sa.String(length=40), nullable=True),
        sa.Column("tag", sa.String(length=40), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("run_id", sa.String(length=120), nullable=True),
        sa.Column("opened_at", sa.DateTime(), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=False),
        sa.Column("steps", sa.JSON(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("updated_by", sa.String(length=120), nullable=False),
        sa.Column("closed_at", sa.DateTime(), nullable=True),
        sa.Column("tag_cleared_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_retention_tasks_customer_id", "retention_tasks", ["customer_id"])
    op.create_index("ix_retention_tasks_status", "retention_tasks", ["status", "due_date"])
    op.create_index("ix_retention_tasks_manager", "retention_tasks", ["account_manager", "status"])
    # one active task per customer: the database itself refuses a second one
    op.create_index(
        "uq_retention_tasks_one_active",
        "retention_tasks",
        ["customer_id"],
        unique=True,
        sqlite_where=sa.text("tag_cleared_at IS NULL"),
        postgresql_where=sa.text("tag_cleared_at IS NULL"),
    )
    op.create_table(
        "retention_task_log",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("task_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("actor", sa.String(length=120), nullable=False),
        sa.Column("from_status", sa.String(length=16), nullable=True),
        sa.Column("to_status", sa.String(length=16), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["task_id"], ["retention_tasks.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_retention_task_log_task_id", "retention_task_log", ["task_id"])


def downgrade() -> None:
    op.drop_index("ix_retention_task_log_task_id", table_name="retention_task_log")
    op.drop_table("retention_task_log")
    op.drop_index("uq_retention_tasks_one_active", table_name="retention_tasks")
    op.drop_index("ix_retention_tasks_manager", table_name="retention_tasks")
    op.drop_index("ix_retention_tasks_status", table_name="retention_tasks")
    op.drop_index("ix_retention_tasks_customer_id", table_name="retention_tasks")
    op.drop_table("retention_tasks")
