"""profile unit; outbox messages about a person

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-24 13:18:16.145494
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("profiles", schema=None) as batch_op:
        batch_op.add_column(sa.Column("unit_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_profiles_unit_id_units"),
            "units",
            ["unit_id"],
            ["id"],
            ondelete="SET NULL",
        )

    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.add_column(sa.Column("about_user_id", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_outbox_about_user_id"), ["about_user_id"])
        batch_op.create_foreign_key(
            batch_op.f("fk_outbox_about_user_id_users"),
            "users",
            ["about_user_id"],
            ["id"],
            ondelete="CASCADE",
        )


def downgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_outbox_about_user_id_users"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_outbox_about_user_id"))
        batch_op.drop_column("about_user_id")

    with op.batch_alter_table("profiles", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_profiles_unit_id_units"), type_="foreignkey")
        batch_op.drop_column("unit_id")
