"""certificates: partial index of the revoked, which the report's counts read whole

Revision ID: 0026_report_pg
Revises: 0025_counts_source
Create Date: 2026-12-06 07:20:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0026_report_pg"
down_revision: str | Sequence[str] | None = "0025_counts_source"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

REVOKED = "revoked_at IS NOT NULL"


def upgrade() -> None:
    op.create_index(
        "ix_certificates_revoked",
        "certificates",
        ["assessment_id"],
        unique=False,
        sqlite_where=sa.text(REVOKED),
        postgresql_where=sa.text(REVOKED),
    )


def downgrade() -> None:
    op.drop_index("ix_certificates_revoked", table_name="certificates")
