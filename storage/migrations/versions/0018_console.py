"""web console: one-time sign-in links, browser sessions, names folded for search, the
review queue's index

Revision ID: 0018_console
Revises: 0016_trust
Create Date: 2026-12-06 01:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from content.text import normalize

revision: str = "0018_console"
down_revision: str | Sequence[str] | None = "0017_privacy"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("profiles", schema=None) as batch_op:
        batch_op.add_column(sa.Column("name_key", sa.String(length=120), nullable=True))
    profiles = sa.table(
        "profiles", sa.column("user_id", sa.Integer), sa.column("full_name", sa.String)
    )
    connection = op.get_bind()
    named = connection.execute(
        sa.select(profiles.c.user_id, profiles.c.full_name).where(profiles.c.full_name.is_not(None))
    ).all()
    if named:
        connection.execute(
            sa.text("UPDATE profiles SET name_key = :key WHERE user_id = :id"),
            [{"key": normalize(name), "id": user_id} for user_id, name in named],
        )
    op.create_index(
        "ix_assessments_queue",
        "assessments",
        ["year", "status", "submitted_at", "id", "user_id"],
        unique=False,
    )
    op.create_table(
        "web_signins",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_web_signins_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_web_signins")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_web_signins_token_hash")),
    )
    op.create_index(op.f("ix_web_signins_user_id"), "web_signins", ["user_id"], unique=False)
    op.create_table(
        "web_sessions",
        sa.Column("id_hash", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("csrf_token", sa.String(length=64), nullable=False),
        sa.Column("locale", sa.String(length=8), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_web_sessions_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id_hash", name=op.f("pk_web_sessions")),
    )
    op.create_index(op.f("ix_web_sessions_user_id"), "web_sessions", ["user_id"], unique=False)
    op.create_index(
        op.f("ix_web_sessions_last_seen_at"), "web_sessions", ["last_seen_at"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_web_sessions_last_seen_at"), table_name="web_sessions")
    op.drop_index(op.f("ix_web_sessions_user_id"), table_name="web_sessions")
    op.drop_table("web_sessions")
    op.drop_index(op.f("ix_web_signins_user_id"), table_name="web_signins")
    op.drop_table("web_signins")
    op.drop_index("ix_assessments_queue", table_name="assessments")
    with op.batch_alter_table("profiles", schema=None) as batch_op:
        batch_op.drop_column("name_key")
