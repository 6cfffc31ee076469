"""indexes for the annual report

Revision ID: 0008_report
Revises: 0007_learning
Create Date: 2026-11-24 14:09:58.494967
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0008_report"
down_revision: str | Sequence[str] | None = "0007_learning"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_assessments_report", "assessments", ["year", "status", "user_id", "target_group"]
    )
    op.create_index(
        "ix_profiles_report",
        "profiles",
        ["commune_code", "unit_id", "target_group", "registered_at"],
    )
    op.create_index(op.f("ix_profiles_unit_id"), "profiles", ["unit_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_profiles_unit_id"), table_name="profiles")
    op.drop_index("ix_profiles_report", table_name="profiles")
    op.drop_index("ix_assessments_report", table_name="assessments")
