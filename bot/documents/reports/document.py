"""The "report" document: the annual report an officer asked for with /report, made when its
message is sent.

Who asked is checked again first (a role revoked meanwhile gets nothing). The report itself
runs in a worker thread with its own event loop and its own read-only connection: the bot's
loop goes on serving everyone else, and on SQLite the bot's single pooled connection is not
held while the report reads (a reader's snapshot does not stop the bot's writers either).
"""

from __future__ import annotations

import asyncio
import tempfile
from collections.abc import Mapping
from pathlib import Path

from babel.support import NullTranslations
from sqlalchemy.ext.asyncio import AsyncSession

from bot.documents.makers import Document, Maker
from bot.documents.reports.annual import AnnualReport, UnknownScope, write_annual
from content import Content
from handlers.flows.reports import parse, scope_codes
from handlers.i18n import Translator
from storage.models import utcnow
from storage.repositories import reviews


def _write(database_url: str, report: AnnualReport, code: str, suffix: str) -> bytes | None:
    with tempfile.TemporaryDirectory(prefix="cdht-report-") as folder:
        path = Path(folder) / f"report.{suffix}"
        try:
            asyncio.run(write_annual(database_url, report, code or None, path))
        except UnknownScope:  # the unit was removed since
            return None
        return path.read_bytes()


def report_maker(
    database_url: str,
    content: Content,
    catalogs: Mapping[str, NullTranslations],
    *,
    association: str,
) -> Maker:
    async def make(session: AsyncSession, argument: str) -> Document | None:
        parsed = parse(argument)
        if parsed is None:
            return None
        year, code, user_id, suffix = parsed
        allowed = scope_codes(await reviews.scopes(session, user_id, content.routing))
        if code not in allowed and allowed != [""]:
            return None
        await session.rollback()  # give the bot its connection back before the long part
        report = AnnualReport(content, Translator(catalogs, "vi"), year, utcnow(), association)
        data = await asyncio.to_thread(_write, database_url, report, code, suffix)
        if data is None:
            return None
        return Document(data, f"bao-cao-cdht-{year}-{code or 'toan-tinh'}.{suffix}")

    return make
