"""tag_definitions, audiences, audience_deliveries: user-defined tags and audiences (issue 20)

Revision ID: 0013_tags_audiences
Revises: 0012_experiments_tables
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013_tags_audiences"
down_revision = "0012_experiments_tables"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "tag_definitions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("name_zh", sa.String(length=80), nullable=False),
        sa.Column("name_en", sa.String(length=80), nullable=False),
        sa.Column("rule", sa.Text(), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("author", sa.String(length=120), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("deleted_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "uq_tag_definitions_code_version", "tag_definitions", ["code", "version"], unique=True
    )
    op.create_table(
        "audiences",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("title_zh", sa.String(length=120), nullable=False),
        sa.Column("title_en", sa.String(length=120), nullable=False),
        sa.Column("expression", sa.Text(), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("author", sa.String(length=120), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("deleted_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("uq_audiences_name_version", "audiences", ["name", "version"], unique=True)
    op.create_table(
        "audience_deliveries",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("audience", sa.String(length=80), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("snapshot_as_of", sa.Date(), nullable=False),
        sa.Column("run_id", sa.String(length=120), nullable=True),
        sa.Column("members", sa.Integer(), nullable=False),
        sa.Column("target", sa.String(length=16), nullable=False),
        sa.Column("actor", sa.String(length=120), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_audience_deliveries_audience", "audience_deliveries", ["audience"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_audience_deliveries_audience", table_name="audience_deliveries")
    op.drop_table("audience_deliveries")
    op.drop_index("uq_audiences_name_version", table_name="audiences")
    op.drop_table("audiences")
    op.drop_index("uq_tag_definitions_code_version", table_name="tag_definitions")
    op.drop_table("tag_definitions")
