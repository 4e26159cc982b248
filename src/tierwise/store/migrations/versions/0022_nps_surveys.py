"""survey_waves, survey_recipients, survey_answers, survey_rejects (issue 26, NPS surveys)

Revision ID: 0022_nps_surveys
Revises: 0021_visits_surveys
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0022_nps_surveys"
down_revision = "0021_visits_surveys"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "survey_waves",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("survey", sa.String(length=40), nullable=False),
        sa.Column("sent_on", sa.Date(), nullable=False),
        sa.Column("policy", sa.String(length=80), nullable=False),
        sa.Column("seed", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("created_by", sa.String(length=120), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "survey_recipients",
        sa.Column("wave_id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.String(length=40), nullable=False),
        sa.Column("tier", sa.String(length=40), nullable=True),
        sa.Column("cell", sa.String(length=40), nullable=False),
        sa.Column("account_manager", sa.String(length=40), nullable=True),
        sa.ForeignKeyConstraint(["wave_id"], ["survey_waves.id"]),
        sa.PrimaryKeyConstraint("wave_id", "customer_id"),
    )
    op.create_index("ix_survey_recipients_customer", "survey_recipients", ["customer_id"])
    op.create_table(
        "survey_answers",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("wave_id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.String(length=40), nullable=False),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("answered_at", sa.DateTime(), nullable=False),
        sa.Column("source", sa.String(length=200), nullable=False),
        sa.Column("loaded_at", sa.DateTime(), nullable=False),
        sa.Column("followup_task_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["wave_id"], ["survey_waves.id"]),
        sa.ForeignKeyConstraint(["followup_task_id"], ["retention_tasks.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "uq_survey_answers_wave_customer",
        "survey_answers",
        ["wave_id", "customer_id"],
        unique=True,
    )
    op.create_table(
        "survey_rejects",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("wave_id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=200), nullable=False),
        sa.Column("row", sa.Integer(), nullable=False),
        sa.Column("column", sa.String(length=40), nullable=False),
        sa.Column("value", sa.Text(), nullable=True),
        sa.Column("reason", sa.String(length=200), nullable=False),
        sa.Column("loaded_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["wave_id"], ["survey_waves.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_survey_rejects_wave_id", "survey_rejects", ["wave_id"])


def downgrade() -> None:
    op.drop_index("ix_survey_rejects_wave_id", table_name="survey_rejects")
    op.drop_table("survey_rejects")
    op.drop_index("uq_survey_answers_wave_customer", table_name="survey_answers")
    op.drop_table("survey_answers")
    op.drop_index("ix_survey_recipients_customer", table_name="survey_recipients")
    op.drop_table("survey_recipients")
    op.drop_table("survey_waves")
