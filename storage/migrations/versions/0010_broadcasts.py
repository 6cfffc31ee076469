"""broadcasts, and outbox messages that belong to one

Revision ID: 0010_broadcasts
Revises: 0009_perf
Create Date: 2026-11-24 14:20:49.160049
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010_broadcasts"
down_revision: str | Sequence[str] | None = "0009_perf"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BROADCAST_ROWS = sa.text("broadcast_id IS NOT NULL")


def upgrade() -> None:
    op.create_table(
        "broadcasts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("author_user_id", sa.Integer(), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("segment", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("send_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("cursor", sa.BigInteger(), nullable=False),
        sa.Column("total", sa.Integer(), nullable=True),
        sa.Column("enqueued_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("progress_channel", sa.String(length=16), nullable=True),
        sa.Column("progress_chat_id", sa.String(length=64), nullable=True),
        sa.Column("progress_outbox_id", sa.BigInteger(), nullable=True),
        sa.Column("progress_edit_id", sa.BigInteger(), nullable=True),
        sa.Column("progress_message_id", sa.String(length=64), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["author_user_id"],
            ["users.id"],
            name=op.f("fk_broadcasts_author_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_broadcasts")),
    )
    with op.batch_alter_table("broadcasts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_broadcasts_status"), ["status"], unique=False)

    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.add_column(sa.Column("broadcast_id", sa.Integer(), nullable=True))
        batch_op.create_index(
            "ix_outbox_broadcast_id_status",
            ["broadcast_id", "status"],
            unique=False,
            sqlite_where=BROADCAST_ROWS,
            postgresql_where=BROADCAST_ROWS,
        )
        batch_op.create_index(
            "uq_outbox_broadcast_id_user_id",
            ["broadcast_id", "user_id"],
            unique=True,
            sqlite_where=BROADCAST_ROWS,
            postgresql_where=BROADCAST_ROWS,
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_outbox_broadcast_id_broadcasts"),
            "broadcasts",
            ["broadcast_id"],
            ["id"],
            ondelete="CASCADE",
        )


def downgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_outbox_broadcast_id_broadcasts"), type_="foreignkey"
        )
        batch_op.drop_index("uq_outbox_broadcast_id_user_id")
        batch_op.drop_index("ix_outbox_broadcast_id_status")
        batch_op.drop_column("broadcast_id")

    with op.batch_alter_table("broadcasts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_broadcasts_status"))

    op.drop_table("broadcasts")
