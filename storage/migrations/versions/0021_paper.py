"""paper and assisted entry: where an assessment came from, who entered it, how consent was given

Revision ID: 0021_paper
Revises: 0020_workers
Create Date: 2026-12-06 04:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0021_paper"
down_revision: str | Sequence[str] | None = "0020_workers"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("profiles", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("consent_how", sa.String(length=12), server_default="chat", nullable=False)
        )
        batch_op.add_column(sa.Column("consent_witness", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_profiles_consent_witness_users"),
            "users",
            ["consent_witness"],
            ["id"],
            ondelete="SET NULL",
        )
    with op.batch_alter_table("assessments", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("source", sa.String(length=8), server_default="chat", nullable=False)
        )
        batch_op.add_column(sa.Column("entered_by", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("form_date", sa.Date(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_assessments_entered_by_users"),
            "users",
            ["entered_by"],
            ["id"],
            ondelete="SET NULL",
        )
    with op.batch_alter_table("answers", schema=None) as batch_op:
        batch_op.add_column(sa.Column("entered_by", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_answers_entered_by_users"),
            "users",
            ["entered_by"],
            ["id"],
            ondelete="SET NULL",
        )


def downgrade() -> None:
    with op.batch_alter_table("answers", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_answers_entered_by_users"), type_="foreignkey")
        batch_op.drop_column("entered_by")
    with op.batch_alter_table("assessments", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_assessments_entered_by_users"), type_="foreignkey")
        batch_op.drop_column("form_date")
        batch_op.drop_column("entered_by")
        batch_op.drop_column("source")
    with op.batch_alter_table("profiles", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_profiles_consent_witness_users"), type_="foreignkey"
        )
        batch_op.drop_column("consent_witness")
        batch_op.drop_column("consent_how")
