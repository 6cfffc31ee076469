"""reply windows per chat, proactive spend per channel and month, deferred outbox messages

Revision ID: 0012_reply_windows
Revises: 0011_oa_tokens
Create Date: 2026-11-24 16:50:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012_reply_windows"
down_revision: str | Sequence[str] | None = "0011_oa_tokens"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

DEFERRED = "status = 'deferred'"


def upgrade() -> None:
    op.create_table(
        "reply_windows",
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("chat_id", sa.String(length=64), nullable=False),
        sa.Column("last_inbound_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("quote_id", sa.String(length=64), nullable=False),
        sa.Column("replies_used", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("channel", "chat_id", name=op.f("pk_reply_windows")),
    )
    op.create_index(
        "ix_reply_windows_last_inbound_at", "reply_windows", ["last_inbound_at"], unique=False
    )
    op.create_table(
        "proactive_spend",
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("used", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("channel", "month", name=op.f("pk_proactive_spend")),
    )
    op.create_index(
        "ix_outbox_deferred_lane_created_at",
        "outbox",
        ["lane", "created_at"],
        unique=False,
        sqlite_where=sa.text(DEFERRED),
        postgresql_where=sa.text(DEFERRED),
    )


def downgrade() -> None:
    op.drop_index("ix_outbox_deferred_lane_created_at", table_name="outbox")
    op.drop_table("proactive_spend")
    op.drop_index("ix_reply_windows_last_inbound_at", table_name="reply_windows")
    op.drop_table("reply_windows")
