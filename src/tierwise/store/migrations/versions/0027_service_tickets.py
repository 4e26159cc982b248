"""service_tickets (issue 21 item 3, differentiated service)

Revision ID: 0027_service_tickets
Revises: 0026_survey_followups
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0027_service_tickets"
down_revision = "0026_survey_followups"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "service_tickets",
        sa.Column("ticket_id", sa.String(length=60), nullable=False),
        sa.Column("customer_id", sa.String(length=40), nullable=False),
        sa.Column("created_time", sa.DateTime(), nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("severity", sa.Integer(), nullable=False),
        sa.Column("topic", sa.String(length=16), nullable=False),
        sa.Column("resolved_time", sa.DateTime(), nullable=True),
        sa.Column("resolution", sa.String(length=16), nullable=True),
        sa.Column("source", sa.String(length=140), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("ticket_id"),
    )
    op.create_index("ix_service_tickets_customer_id", "service_tickets", ["customer_id"])
    op.create_index("ix_service_tickets_resolved_time", "service_tickets", ["resolved_time"])


def downgrade() -> None:
    op.drop_index("ix_service_tickets_resolved_time", table_name="service_tickets")
    op.drop_index("ix_service_tickets_customer_id", table_name="service_tickets")
    op.drop_table("service_tickets")
