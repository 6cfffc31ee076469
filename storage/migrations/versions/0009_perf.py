"""outbox: partial index for the claim's order among unfinished messages

Revision ID: 0009_perf
Revises: 0008_report
Create Date: 2026-11-24 15:20:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009_perf"
down_revision: str | Sequence[str] | None = "0008_report"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UNFINISHED = "status IN ('pending', 'sending')"


def upgrade() -> None:
    op.create_index(
        "ix_outbox_unfinished_channel_lane_id",
        "outbox",
        ["channel", "lane", "id"],
        unique=False,
        sqlite_where=sa.text(UNFINISHED),
        postgresql_where=sa.text(UNFINISHED),
    )


def downgrade() -> None:
    op.drop_index("ix_outbox_unfinished_channel_lane_id", table_name="outbox")
