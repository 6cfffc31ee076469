"""What the command groups share: errors, the content, the runtime, a database session."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

import typer

from bot.cli.audit import operator
from bot.settings import Settings
from content import Content, ContentError, load_content

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

T = TypeVar("T")


def fail(message: str, code: int = 2) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(code)


def deployment_content(settings: Settings | None = None) -> Content:
    """The deployment's content (its own folder, if set), or exit listing what is wrong."""
    settings = settings or Settings()
    try:
        return load_content(
            Path(settings.content_dir) if settings.content_dir else None,
            province_code=settings.province_code,
        )
    except ContentError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(1) from None


def with_database(action: Callable[[AsyncSession], Awaitable[T]]) -> T:
    """`action` run in one transaction on the deployment's database."""
    from storage.db import create_engine, make_sessionmaker

    async def main() -> T:
        db = create_engine(Settings().database_url)
        try:
            async with make_sessionmaker(db)() as session, session.begin():
                return await action(session)
        finally:
            await db.dispose()

    return asyncio.run(main())


def run_action(action):
    """Run an action as the server's operator, in one transaction: its result, or the
    refusal (already audited, and committed with the rest)."""
    from handlers.actions import Actor, Refused, Work
    from handlers.i18n import load_catalogs
    from storage.models import utcnow

    content, catalogs = deployment_content(), load_catalogs()

    async def run(session):
        try:
            work = Work(session, content, catalogs, utcnow())
            return await action(work, Actor.operator(operator()))
        except Refused as refused:
            return refused

    return with_database(run)
