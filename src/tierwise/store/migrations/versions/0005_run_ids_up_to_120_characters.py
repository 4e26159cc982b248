"""run ids up to 120 characters (grading run ids: <as_of>-<policy name>-<UTC time>)

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def _park_cutoffs() -> bool:
    """SQLite rebuilds `runs` (copy, drop, rename), and dropping a table that run_cutoffs
    still references fails with foreign keys on: keep the cutoffs aside meanwhile."""
    if op.get_bind().dialect.name != "sqlite":
        return False
    op.execute("CREATE TEMP TABLE _parked_cutoffs AS SELECT * FROM run_cutoffs")
    op.execute("DELETE FROM run_cutoffs")
    return True


def _restore_cutoffs(parked: bool) -> None:
    if parked:
        op.execute("INSERT INTO run_cutoffs SELECT * FROM _parked_cutoffs")
        op.execute("DROP TABLE _parked_cutoffs")


def upgrade() -> None:
    parked = _park_cutoffs()
    with op.batch_alter_table("customer_profiles", schema=None) as batch_op:
        batch_op.alter_column(
            "run_id",
            existing_type=sa.VARCHAR(length=40),
            type_=sa.String(length=120),
            existing_nullable=True,
        )

    with op.batch_alter_table("customer_tiers", schema=None) as batch_op:
        batch_op.alter_column(
            "run_id",
            existing_type=sa.VARCHAR(length=40),
            type_=sa.String(length=120),
            existing_nullable=False,
        )

    with op.batch_alter_table("run_assignments", schema=None) as batch_op:
        batch_op.alter_column(
            "run_id",
            existing_type=sa.VARCHAR(length=40),
            type_=sa.String(length=120),
            existing_nullable=False,
        )

    with op.batch_alter_table("run_cutoffs", schema=None) as batch_op:
        batch_op.alter_column(
            "run_id",
            existing_type=sa.VARCHAR(length=40),
            type_=sa.String(length=120),
            existing_nullable=False,
        )

    with op.batch_alter_table("runs", schema=None) as batch_op:
        batch_op.alter_column(
            "id",
            existing_type=sa.VARCHAR(length=40),
            type_=sa.String(length=120),
            existing_nullable=False,
        )

    with op.batch_alter_table("tier_changes", schema=None) as batch_op:
        batch_op.alter_column(
            "run_id",
            existing_type=sa.VARCHAR(length=40),
            type_=sa.String(length=120),
            existing_nullable=True,
        )
    _restore_cutoffs(parked)


def downgrade() -> None:
    parked = _park_cutoffs()
    with op.batch_alter_table("tier_changes", schema=None) as batch_op:
        batch_op.alter_column(
            "run_id",
            existing_type=sa.String(length=120),
            type_=sa.VARCHAR(length=40),
            existing_nullable=True,
        )

    with op.batch_alter_table("runs", schema=None) as batch_op:
        batch_op.alter_column(
            "id",
            existing_type=sa.String(length=120),
            type_=sa.VARCHAR(length=40),
            existing_nullable=False,
        )

    with op.batch_alter_table("run_cutoffs", schema=None) as batch_op:
        batch_op.alter_column(
            "run_id",
            existing_type=sa.String(length=120),
            type_=sa.VARCHAR(length=40),
            existing_nullable=False,
        )

    with op.batch_alter_table("run_assignments", schema=None) as batch_op:
        batch_op.alter_column(
            "run_id",
            existing_type=sa.String(length=120),
            type_=sa.VARCHAR(length=40),
            existing_nullable=False,
        )

    with op.batch_alter_table("customer_tiers", schema=None) as batch_op:
        batch_op.alter_column(
            "run_id",
            existing_type=sa.String(length=120),
            type_=sa.VARCHAR(length=40),
            existing_nullable=False,
        )

    with op.batch_alter_table("customer_profiles", schema=None) as batch_op:
        batch_op.alter_column(
            "run_id",
            existing_type=sa.String(length=120),
            type_=sa.VARCHAR(length=40),
            existing_nullable=True,
        )
    _restore_cutoffs(parked)
