"""privacy: the people an outbox message names besides its subject (erased with them), and
certificates re-issued after a correction, audit rows by the command line's operator, and a
guardian's consent for a child under 16 (who, how, when; the code the child passes on)

Revision ID: 0017_privacy
Revises: 0016_trust
Create Date: 2026-12-06 01:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017_privacy"
down_revision: str | Sequence[str] | None = "0016_trust"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "outbox_mentions",
        sa.Column(
            "outbox_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["outbox_id"],
            ["outbox.id"],
            name=op.f("fk_outbox_mentions_outbox_id_outbox"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_outbox_mentions_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("outbox_id", "user_id", name=op.f("pk_outbox_mentions")),
    )
    with op.batch_alter_table("outbox_mentions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_outbox_mentions_user_id"), ["user_id"], unique=False)
    with op.batch_alter_table("certificates", schema=None) as batch_op:
        batch_op.add_column(sa.Column("version", sa.Integer(), server_default="1", nullable=False))
        batch_op.add_column(sa.Column("reissued_at", sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.add_column(sa.Column("actor_name", sa.String(length=64), nullable=True))
        batch_op.create_index(batch_op.f("ix_audit_log_actor_name"), ["actor_name"], unique=False)
        batch_op.create_index(batch_op.f("ix_audit_log_subject"), ["subject"], unique=False)
        batch_op.create_index(batch_op.f("ix_audit_log_created_at"), ["created_at"], unique=False)
    with op.batch_alter_table("profiles", schema=None) as batch_op:
        batch_op.add_column(sa.Column("guardian_consent_by", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("guardian_consent_how", sa.String(length=8), nullable=True))
        batch_op.add_column(
            sa.Column("guardian_consent_at", sa.DateTime(timezone=True), nullable=True)
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_profiles_guardian_consent_by_users"),
            "users",
            ["guardian_consent_by"],
            ["id"],
            ondelete="SET NULL",
        )
    op.create_table(
        "guardian_codes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_guardian_codes_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_guardian_codes")),
        sa.UniqueConstraint("code_hash", name=op.f("uq_guardian_codes_code_hash")),
        sa.UniqueConstraint("user_id", name=op.f("uq_guardian_codes_user_id")),
    )


def downgrade() -> None:
    op.drop_table("guardian_codes")
    with op.batch_alter_table("profiles", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_profiles_guardian_consent_by_users"), type_="foreignkey"
        )
        batch_op.drop_column("guardian_consent_at")
        batch_op.drop_column("guardian_consent_how")
        batch_op.drop_column("guardian_consent_by")
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_log_created_at"))
        batch_op.drop_index(batch_op.f("ix_audit_log_subject"))
        batch_op.drop_index(batch_op.f("ix_audit_log_actor_name"))
        batch_op.drop_column("actor_name")
    with op.batch_alter_table("certificates", schema=None) as batch_op:
        batch_op.drop_column("reissued_at")
        batch_op.drop_column("version")
    with op.batch_alter_table("outbox_mentions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_outbox_mentions_user_id"))
    op.drop_table("outbox_mentions")
