"""assessment decisions

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-24 13:22:43.768020
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("assessments", schema=None) as batch_op:
        batch_op.add_column(sa.Column("decided_by", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("decision_note", sa.Text(), nullable=True))
        # Existing rows: nothing reopened, nothing submitted before.
        batch_op.add_column(
            sa.Column("reopened", sa.JSON(), nullable=False, server_default=sa.text("'[]'"))
        )
        batch_op.add_column(
            sa.Column("submitted_points", sa.JSON(), nullable=False, server_default=sa.text("'{}'"))
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_assessments_decided_by_users"),
            "users",
            ["decided_by"],
            ["id"],
            ondelete="SET NULL",
        )


def downgrade() -> None:
    with op.batch_alter_table("assessments", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_assessments_decided_by_users"), type_="foreignkey")
        batch_op.drop_column("submitted_points")
        batch_op.drop_column("reopened")
        batch_op.drop_column("decision_note")
        batch_op.drop_column("decided_at")
        batch_op.drop_column("decided_by")
