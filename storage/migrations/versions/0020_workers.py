"""worker identity and heartbeat: who holds each claimed message and long job

Revision ID: 0020_workers
Revises: 0019_documents
Create Date: 2026-12-06 01:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0020_workers"
down_revision: str | Sequence[str] | None = "0019_documents"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# As in storage/models.py at this revision.
SENDING = "status = 'sending'"


def upgrade() -> None:
    op.create_table(
        "workers",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("host", sa.String(length=255), nullable=False),
        sa.Column("pid", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("heartbeat_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_workers")),
    )
    op.add_column("outbox", sa.Column("claimed_by", sa.String(length=32), nullable=True))
    op.create_index(
        "ix_outbox_sending_claimed_by",
        "outbox",
        ["claimed_by"],
        unique=False,
        sqlite_where=sa.text(SENDING),
        postgresql_where=sa.text(SENDING),
    )
    op.add_column("job_runs", sa.Column("claimed_by", sa.String(length=32), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("job_runs", schema=None) as batch_op:
        batch_op.drop_column("claimed_by")
    op.drop_index("ix_outbox_sending_claimed_by", table_name="outbox")
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_column("claimed_by")
    op.drop_table("workers")
