"""The counter of changes to what the console's figures count (`models.ChangeCounter`),
moved by database triggers in the transaction that makes a change, whatever code makes it.

The triggers are put in place after every migration run (`ensure`), not by one revision
alone: on SQLite a later revision that copies a table to alter it drops the table's
triggers, and a counter that silently stopped moving would keep stale figures."""

from __future__ import annotations

from sqlalchemy import inspect
from sqlalchemy.engine import Connection

from storage.models import FIGURES

# The tables the figures are counted from, and the columns whose changes move them.
WATCHED: dict[str, tuple[str, ...]] = {
    "assessments": ("status", "year", "target_group", "user_id"),
    "profiles": ("commune_code", "unit_id", "target_group", "registered_at"),
    "certificates": ("revoked_at", "assessment_id"),
    "skill_checks": ("overall", "finished_at", "user_id"),
    "units": ("commune_code", "name", "kind"),
    "unit_populations": ("adults", "staff", "unit_code", "year"),
}
BUMP = f"UPDATE change_counters SET n = n + 1 WHERE name = '{FIGURES}'"
EVENTS = ("insert", "delete", "update")


def ensure(connection: Connection) -> None:
    """The counter's row and triggers, where the schema has the counter (from 0022 on)."""
    if not inspect(connection).has_table("change_counters"):
        return
    connection.exec_driver_sql(
        f"INSERT INTO change_counters (name, n) SELECT '{FIGURES}', 0 WHERE NOT EXISTS "
        f"(SELECT 1 FROM change_counters WHERE name = '{FIGURES}')"
    )
    if connection.dialect.name == "postgresql":
        # Once per statement: a bulk change moves the counter once.
        connection.exec_driver_sql(
            "CREATE OR REPLACE FUNCTION figures_changed() RETURNS trigger LANGUAGE plpgsql "
            f"AS $$ BEGIN {BUMP}; RETURN NULL; END $$"
        )
        for table, columns in WATCHED.items():
            connection.exec_driver_sql(f"DROP TRIGGER IF EXISTS {table}_figures ON {table}")
            connection.exec_driver_sql(
                f"CREATE TRIGGER {table}_figures AFTER INSERT OR DELETE OR UPDATE OF "
                f"{', '.join(columns)} ON {table} "
                "FOR EACH STATEMENT EXECUTE FUNCTION figures_changed()"
            )
        return
    for table, columns in WATCHED.items():  # SQLite has row triggers only
        for event in EVENTS:
            when = f"UPDATE OF {', '.join(columns)}" if event == "update" else event.upper()
            connection.exec_driver_sql(
                f"CREATE TRIGGER IF NOT EXISTS {table}_figures_{event} AFTER {when} ON {table} "
                f"BEGIN {BUMP}; END"
            )


def remove(connection: Connection) -> None:
    """The triggers, before their counter's table goes (a downgrade)."""
    if connection.dialect.name == "postgresql":
        for table in WATCHED:
            connection.exec_driver_sql(f"DROP TRIGGER IF EXISTS {table}_figures ON {table}")
        connection.exec_driver_sql("DROP FUNCTION IF EXISTS figures_changed()")
        return
    for table in WATCHED:
        for event in EVENTS:
            connection.exec_driver_sql(f"DROP TRIGGER IF EXISTS {table}_figures_{event}")
