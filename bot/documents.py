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
from handlers.events import Reply


@dataclass(frozen=True, slots=True)
class Document:
    content: bytes
    filename: str


# (a read-only session, the argument) -> the document, or None when it no longer exists.
Maker = Callable[[AsyncSession, str], Awaitable[Document | None]]


class Documents:
    def __init__(
        self, sessions: async_sessionmaker[AsyncSession], makers: Mapping[str, Maker]
    ) -> None:
        self.sessions = sessions
        self.makers = dict(makers)

    async def attach(self, reply: Reply) -> Reply:
        """``reply`` with its document's bytes filled in; Rejected (never retried) when the
        document cannot be made any more."""
        att = reply.attachment
        if att is None or not att.document:
            return reply
        name, _, argument = att.document.partition(":")
        maker = self.makers.get(name)
        if maker is None:
            raise Rejected(f"no maker for document {name!r}")
        async with self.sessions() as session:
            document = await maker(session, argument)
        if document is None:
            raise Rejected(f"document {name!r} no longer exists")
        return replace(
            reply,
            attachment=replace(att, content=document.content, name=att.name or document.filename),
        )
