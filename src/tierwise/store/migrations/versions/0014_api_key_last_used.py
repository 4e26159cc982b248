"""api_keys.last_used_at: when a key was last used (the admin page shows it, issue 17 #8)

Revision ID: 0014_api_key_last_used
Revises: 0013_tags_audiences
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014_api_key_last_used"
down_revision = "0013_tags_audiences"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("api_keys") as batch:
        batch.add_column(sa.Column("last_used_at", sa.DateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("api_keys") as batch:
        batch.drop_column("last_used_at")
