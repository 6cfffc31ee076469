"""What the console needs from the composition root, and what a request knows about who
is signed in."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from aiohttp import web
from babel.support import NullTranslations
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.channels.files import Reader, local
from bot.documents.makers import Documents
from content import Content
from handlers.actions import Actor, Work
from handlers.i18n import Translator
from storage.repositories.figures import Figures
from storage.repositories.reviews import Scope


@dataclass(frozen=True)
class ConsoleConfig:
    sessions: async_sessionmaker[AsyncSession]
    content: Content
    catalogs: Mapping[str, NullTranslations]
    clock: Callable[[], datetime]
    session_idle: timedelta = timedelta(hours=8)
    # Cookies only over HTTPS: set when the public address is https.
    secure_cookies: bool = False
    # Makes the annual report for the dashboard's download (the chat's `/report` document).
    documents: Documents | None = None
    # The Telegram bot's username, for invite links (t.me/<bot>?start=o_CODE); "" for none.
    telegram_bot: str = ""
    # Serve the public progress page (/web/progress): figures per commune, no names.
    public_stats: bool = False
    # The association the figures are of (the report's header).
    association: str = ""
    # Where the photo or scan of a paper form is kept, in its person's folder (erased with
    # them: bot/documents/personal_files.py); None keeps none.
    scans: Path | None = None
    # How to read a file a citizen sent, by channel: evidence is shown through the bot.
    files: Mapping[str, Reader] = field(default_factory=lambda: {"console": local()})
    # Counts over whole scopes, kept while nothing they count has changed.
    figures: Figures = field(default_factory=Figures)
    # The key of claim codes' hashes, as the chat's (bot/documents/document_links.py:
    # link_code_key).
    link_code_key: bytes = b""


CONFIG = web.AppKey("console_config", ConsoleConfig)


@dataclass(frozen=True)
class Viewer:
    """The signed-in staff member of this request, with their roles as the database has
    them now (a revoked role is gone on the very next request)."""

    user_id: int
    name: str
    roles: list[Scope]
    csrf_token: str
    t: Translator

    @property
    def province(self) -> bool:
        return any(role.province for role in self.roles)

    @property
    def admin(self) -> bool:
        return any(role.admin for role in self.roles)

    @property
    def actor(self) -> Actor:
        return Actor(self.user_id, "web")


VIEWER = web.RequestKey("console_viewer", Viewer)


def viewer(request: web.Request) -> Viewer:
    return request[VIEWER]


def config(request: web.Request) -> ConsoleConfig:
    return request.config_dict[CONFIG]


def work(request: web.Request, session: AsyncSession) -> Work:
    """This request's unit of work, as the actions take it (the request owns the
    transaction)."""
    cfg = config(request)
    return Work(session, cfg.content, cfg.catalogs, cfg.clock())
