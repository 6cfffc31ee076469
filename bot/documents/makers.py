"""Documents made when the message carrying them is sent, not when it is queued.

A reply names its document as ``"<maker>:<argument>"`` (``Attachment.document``); delivery
asks the maker for the bytes just before sending. So a certificate or report shows the
database as it is then, nothing waits on disk, and a document whose subject was erased or
revoked meanwhile is not sent at all. A maker that does heavy work keeps the event loop free
(``asyncio.to_thread``): the delivery worker sends everyone else's messages meanwhile.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, replace

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.delivery.errors import Rejected
from bot.documents.document_links import DocumentLinks
from handlers.events import Reply


@dataclass(frozen=True, slots=True)
class Document:
    content: bytes
    filename: str


# (a read-only session, the argument) -> the document, or None when it no longer exists.
Maker = Callable[[AsyncSession, str], Awaitable[Document | None]]


class Documents:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        makers: Mapping[str, Maker],
        links: DocumentLinks | None = None,
    ) -> None:
        self.sessions = sessions
        self.makers = dict(makers)
        self.links = links  # for channels that cannot carry files

    async def make(self, document: str) -> Document | None:
        """The document a reply names, or None when there is no such maker or it no longer
        exists."""
        name, _, argument = document.partition(":")
        maker = self.makers.get(name)
        if maker is None:
            return None
        async with self.sessions() as session:
            return await maker(session, argument)

    async def attach(self, reply: Reply) -> Reply:
        """``reply`` with its document's bytes filled in; Rejected (never retried) when the
        document cannot be made any more."""
        att = reply.attachment
        if att is None or not att.document:
            return reply
        document = await self.make(att.document)
        if document is None:
            raise Rejected(f"document {att.document.partition(':')[0]!r} no longer exists")
        return replace(
            reply,
            attachment=replace(att, content=document.content, name=att.name or document.filename),
        )

    def linked(self, reply: Reply) -> Reply:
        """``reply`` for a channel that cannot carry files: its document as a download link,
        when links are served."""
        return self.links.instead_of_file(reply) if self.links is not None else reply
