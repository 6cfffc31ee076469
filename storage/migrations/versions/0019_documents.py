"""certificates keep the holder's village, workplace or school as issued

Revision ID: 0019_documents
Revises: 0016_trust
Create Date: 2026-12-06 01:20:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0019_documents"
down_revision: str | Sequence[str] | None = "0018_console"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("certificates", schema=None) as batch_op:
        batch_op.add_column(sa.Column("place", sa.String(length=120), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("certificates", schema=None) as batch_op:
        batch_op.drop_column("place")
