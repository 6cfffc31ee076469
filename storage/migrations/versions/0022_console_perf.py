"""console at scale: the queue sorted by name from an index, the duplicate rule's name kept
for a probe per row, a scope's assessments counted from an index, and a counter of changes
to what the console's figures count, moved by triggers, so that counts over whole scopes are
cached while it stands still (its triggers: storage.change_counter, put in place after
every migration run)

Revision ID: 0022_console_perf
Revises: 0024_claims
Create Date: 2026-12-06 05:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from storage import change_counter

revision: str = "0022_console_perf"
down_revision: str | Sequence[str] | None = "0024_claims"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("profiles", schema=None) as batch_op:
        batch_op.add_column(sa.Column("person_key", sa.String(length=120), nullable=True))
    # The name sort reads the index in order: no name is NULL (sorted apart on each
    # database); the duplicate rule's name is the folded name without its spaces.
    op.execute("UPDATE profiles SET name_key = '' WHERE name_key IS NULL")
    op.execute("UPDATE profiles SET person_key = replace(name_key, ' ', '')")
    op.create_index("ix_profiles_name", "profiles", ["name_key", "user_id"], unique=False)
    op.create_index(
        "ix_profiles_person", "profiles", ["commune_code", "birth_year", "person_key"], unique=False
    )
    op.create_index(
        "ix_assessments_person",
        "assessments",
        ["user_id", "year", "status", "target_group"],
        unique=False,
    )
    op.create_table(
        "change_counters",
        sa.Column("name", sa.String(length=32), nullable=False),
        sa.Column("n", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_change_counters")),
    )
    # Its row and triggers are put in place after every migration run (storage.change_counter).


def downgrade() -> None:
    # The triggers first: on SQLite they would fail once their counter is gone.
    change_counter.remove(op.get_bind())
    op.drop_table("change_counters")
    op.drop_index("ix_assessments_person", table_name="assessments")
    op.drop_index("ix_profiles_person", table_name="profiles")
    op.drop_index("ix_profiles_name", table_name="profiles")
    with op.batch_alter_table("profiles", schema=None) as batch_op:
        batch_op.drop_column("person_key")
