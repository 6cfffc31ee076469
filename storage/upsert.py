"""INSERT ... ON CONFLICT, which each dialect spells in its own module."""

from __future__ import annotations

from importlib import import_module
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession


def dialect_insert(session: AsyncSession) -> Any:
    """The ``insert`` construct of the session's database (sqlite or postgresql), from its
    dialect's package: loaded already by the engine, where importing both up front would load
    PostgreSQL's, about 2 MB of modules, into every SQLite process."""
    return import_module(f"sqlalchemy.dialects.{session.get_bind().dialect.name}").insert
