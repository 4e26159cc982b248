"""survey_followups (a follow-up wave of a subsample of a wave's non-respondents) and
survey_answers.reasons (the reason codes ticked on the answer page) (issue 26)

Revision ID: 0026_survey_followups
Revises: 0025_campaigns
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0026_survey_followups"
down_revision = "0025_campaigns"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "survey_followups",
        sa.Column("wave_id", sa.Integer(), nullable=False),
        sa.Column("parent_wave_id", sa.Integer(), nullable=False),
        sa.Column("fraction", sa.Float(), nullable=False),
        sa.Column("channel", sa.String(length=12), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["wave_id"], ["survey_waves.id"]),
        sa.ForeignKeyConstraint(["parent_wave_id"], ["survey_waves.id"]),
        sa.PrimaryKeyConstraint("wave_id"),
        sa.UniqueConstraint("parent_wave_id"),
    )
    op.add_column("survey_answers", sa.Column("reasons", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("survey_answers") as batch:
        batch.drop_column("reasons")
    op.drop_table("survey_followups")
