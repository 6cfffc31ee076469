"""inbox, outbox (PostgreSQL): autovacuum analyzes and vacuums the two queue tables after a
fixed number of changed rows instead of a fraction of the table

A queue swings between empty and a burst of a hundred thousand (a broadcast, the day's
reminders) faster than the default (10-20 % of the rows) notices: the claims were planned
with statistics that called the queue empty or tiny, probed the wrong index for each message
claimed (1.3 s a claim at 10,000 waiting), and walked the index entries of rows already sent
that no vacuum had yet removed.

Revision ID: 0028_queue_autovacuum
Revises: 0027_claim_indexes
Create Date: 2026-12-06 11:00:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0028_queue_autovacuum"
down_revision: str | Sequence[str] | None = "0027_claim_indexes"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

QUEUES = ("inbox", "outbox")
# Rows changed before autovacuum's next pass (it looks every autovacuum_naptime, a minute
# by default): a few seconds of a burst.
SETTINGS = {
    "autovacuum_analyze_scale_factor": 0,
    "autovacuum_analyze_threshold": 2000,
    "autovacuum_vacuum_scale_factor": 0,
    "autovacuum_vacuum_threshold": 2000,
}


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return  # SQLite keeps no statistics unless asked, and frees index entries at once
    settings = ", ".join(f"{name} = {value}" for name, value in SETTINGS.items())
    for table in QUEUES:
        op.execute(f"ALTER TABLE {table} SET ({settings})")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table in QUEUES:
        op.execute(f"ALTER TABLE {table} RESET ({', '.join(SETTINGS)})")
