"""the counts by source read from the index alone: ix_assessments_person covers `source`

Revision ID: 0025_counts_source
Revises: 0022_console_perf
Create Date: 2026-12-06 06:00:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0025_counts_source"
down_revision: str | Sequence[str] | None = "0022_console_perf"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_index("ix_assessments_person", table_name="assessments")
    op.create_index(
        "ix_assessments_person",
        "assessments",
        ["user_id", "year", "status", "target_group", "source"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_assessments_person", table_name="assessments")
    op.create_index(
        "ix_assessments_person",
        "assessments",
        ["user_id", "year", "status", "target_group"],
        unique=False,
    )
