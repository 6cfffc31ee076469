"""dead letters: inbox updates set aside with the reason they could not be processed

Revision ID: 0014_dead_letters
Revises: 0013_links
Create Date: 2026-12-06 01:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014_dead_letters"
down_revision: str | Sequence[str] | None = "0013_links"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

DEAD = "dead_at IS NOT NULL"


def upgrade() -> None:
    with op.batch_alter_table("inbox", schema=None) as batch_op:
        batch_op.add_column(sa.Column("dead_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("dead_reason", sa.Text(), nullable=True))
    op.create_index(
        "ix_inbox_dead_at",
        "inbox",
        ["dead_at"],
        unique=False,
        sqlite_where=sa.text(DEAD),
        postgresql_where=sa.text(DEAD),
    )


def downgrade() -> None:
    op.drop_index(
        "ix_inbox_dead_at",
        table_name="inbox",
        sqlite_where=sa.text(DEAD),
        postgresql_where=sa.text(DEAD),
    )
    with op.batch_alter_table("inbox", schema=None) as batch_op:
        batch_op.drop_column("dead_reason")
        batch_op.drop_column("dead_at")
