"""INSERT ... ON CONFLICT, which each dialect spells in its own module."""

from __future__ import annotations

from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession


def dialect_insert(session: AsyncSession) -> Any:
    """The ``insert`` construct of the session's database (sqlite or postgresql)."""
    return postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
