"""inbox: partial index of the waiting updates by chat, from which a claim finds each chat's
first waiting update in one probe instead of ranking the whole backlog

Revision ID: 0027_claim_indexes
Revises: 0026_report_pg
Create Date: 2026-12-06 08:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0027_claim_indexes"
down_revision: str | Sequence[str] | None = "0026_report_pg"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

WAITING = "processed_at IS NULL AND dead_at IS NULL"


def upgrade() -> None:
    op.create_index(
        "ix_inbox_waiting",
        "inbox",
        ["id"],
        unique=False,
        sqlite_where=sa.text(WAITING),
        postgresql_where=sa.text(WAITING),
    )
    op.create_index(
        "ix_inbox_waiting_chat",
        "inbox",
        ["channel", "chat_key", "seq"],
        unique=False,
        sqlite_where=sa.text(WAITING),
        postgresql_where=sa.text(WAITING),
    )


def downgrade() -> None:
    op.drop_index("ix_inbox_waiting_chat", table_name="inbox")
    op.drop_index("ix_inbox_waiting", table_name="inbox")
