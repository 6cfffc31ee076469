"""outbox: drop the index by (channel, status, lane, next attempt), which only misled the claim

The claim reads the partial index of unfinished messages in order, and finds "an earlier
unfinished message of this chat" in the index by (channel, chat, status). A plan made while
the outbox looked empty (a fresh deployment, or statistics not yet taken after a burst)
could probe this index instead, by channel alone, and so read every waiting message for each
one claimed. No other query needs it.

Revision ID: 0029_outbox_claim_index
Revises: 0028_queue_autovacuum
Create Date: 2026-12-06 13:00:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0029_outbox_claim_index"
down_revision: str | Sequence[str] | None = "0028_queue_autovacuum"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_index("ix_outbox_channel_status_lane_next_attempt_at", table_name="outbox")


def downgrade() -> None:
    op.create_index(
        "ix_outbox_channel_status_lane_next_attempt_at",
        "outbox",
        ["channel", "status", "lane", "next_attempt_at"],
        unique=False,
    )
