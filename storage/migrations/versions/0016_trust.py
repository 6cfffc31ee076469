"""trust: who revoked a certificate

Revision ID: 0016_trust
Revises: 0014_dead_letters
Create Date: 2026-12-06 01:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016_trust"
down_revision: str | Sequence[str] | None = "0014_dead_letters"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("certificates", schema=None) as batch_op:
        batch_op.add_column(sa.Column("revoked_by", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_certificates_revoked_by_users"),
            "users",
            ["revoked_by"],
            ["id"],
            ondelete="SET NULL",
        )


def downgrade() -> None:
    with op.batch_alter_table("certificates", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_certificates_revoked_by_users"), type_="foreignkey")
        batch_op.drop_column("revoked_by")
