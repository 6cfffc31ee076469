"""The composition root: settings -> content, storage, engine."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.channels import files
from bot.channels.capabilities import numbered_options, reply_windows
from bot.documents import data_export, personal_files
from bot.documents.certificates import Certificates
from bot.documents.document_links import DocumentLinks, link_code_key
from bot.documents.makers import Documents
from bot.documents.reports.document import report_maker
from bot.settings import Settings
from content import Content, load_content
from handlers.context import Settings as ConversationSettings
from handlers.engine import Engine
from storage.db import create_engine, make_sessionmaker
from storage.models import utcnow

if TYPE_CHECKING:  # loaded by the processes that serve pages only (bot/services.py)
    from bot.web.console import ConsoleConfig


@dataclass
class Runtime:
    settings: Settings
    content: Content
    db: AsyncEngine
    engine: Engine

    @cached_property
    def certificates(self) -> Certificates:
        return Certificates.of(self.settings, self.content)

    def documents(self, sessions: async_sessionmaker[AsyncSession]) -> Documents:
        """The documents that replies name, made when they are sent."""
        return Documents(
            sessions,
            {
                "certificate": self.certificates.make,
                "export": data_export.make,
                "report": report_maker(
                    # The engine's own address: the report reads where the bot writes.
                    self.db.url.render_as_string(hide_password=False),
                    self.content,
                    self.engine.catalogs,
                    association=self.settings.issuer,
                ),
            },
            DocumentLinks.of(self.settings),
        )

    def console(
        self,
        sessions: async_sessionmaker[AsyncSession],
        documents: Documents,
        readers: Mapping[str, files.Reader] | None = None,
    ) -> ConsoleConfig:
        """The web console as the settings want it, reading evidence from the console
        channel and the chat channels whose `readers` are given."""
        from bot.web.console import ConsoleConfig

        return ConsoleConfig(
            sessions=sessions,
            content=self.content,
            catalogs=self.engine.catalogs,
            clock=utcnow,
            session_idle=timedelta(hours=self.settings.web_session_hours),
            secure_cookies=self.settings.site_url.startswith("https://"),
            documents=documents,
            telegram_bot=self.settings.telegram_bot_username,
            public_stats=self.settings.public_stats,
            association=self.settings.issuer,
            scans=Path(self.settings.documents_dir),
            files={"console": files.local(), **(readers or {})},
            link_code_key=link_code_key(self.settings),
        )

    async def close(self) -> None:
        await self.db.dispose()


def build(settings: Settings | None = None) -> Runtime:
    """Wire everything once. Invalid content raises ContentError (the CLI prints it)."""
    settings = settings or Settings()
    logging.basicConfig(
        level=settings.log_level.upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    # fontTools reports each table it trims from a certificate's embedded font at INFO.
    logging.getLogger("fontTools").setLevel(logging.WARNING)
    content_root = Path(settings.content_dir) if settings.content_dir else None
    content = load_content(content_root, province_code=settings.province_code)
    db = create_engine(settings.database_url)
    return Runtime(
        settings=settings, content=content, db=db, engine=conversations(settings, content, db)
    )


def conversations(settings: Settings, content: Content, db: AsyncEngine) -> Engine:
    """The conversation engine as the settings and the channels' capabilities want it."""
    return Engine(
        make_sessionmaker(db),
        content,
        settings=ConversationSettings(
            notice_version=settings.notice_version,
            data_controller=settings.data_controller,
            notice_digest_threshold=settings.notice_digest_threshold,
            evidence_types=frozenset(t.lower().lstrip(".") for t in settings.evidence_types),
            evidence_max_bytes=int(settings.evidence_max_mb * 1024 * 1024),
            link_code_key=link_code_key(settings),
            site_url=settings.site_url,
        ),
        reply_windows=reply_windows(),
        numbered_options=numbered_options(),
        deferred_expiry=timedelta(days=settings.deferred_expiry_days),
        after_erasure=personal_files.remover(Path(settings.documents_dir)),
    )
