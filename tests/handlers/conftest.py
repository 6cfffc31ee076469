"""A chat driven through the real engine and database, as a channel would drive it."""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from content import Content, load_content
from handlers.engine import Engine
from handlers.events import Button, Event, EventKind, FileRef, Reply

_ids = itertools.count(1)


class Clock:
    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


class Chat:
    """One person typing and pressing buttons. Each call returns the replies it caused."""

    def __init__(self, engine: Engine, user: str = "an", channel: str = "console") -> None:
        self.engine = engine
        self.user = user
        self.channel = channel
        self.replies: list[Reply] = []

    def event(self, kind: EventKind, **fields: object) -> Event:
        return Event(
            channel=self.channel,
            external_user_id=self.user,
            chat_id=f"chat-{self.user}",
            event_id=f"e{next(_ids)}",
            kind=kind,
            at=self.engine.clock(),
            **fields,  # type: ignore[arg-type]
        )

    async def deliver(self, event: Event) -> list[Reply]:
        outcome = await self.engine.handle(event)
        self.replies = outcome.replies
        return outcome.replies

    async def send(self, text: str) -> list[Reply]:
        return await self.deliver(self.event(EventKind.TEXT, text=text))

    async def command(self, name: str, args: str = "") -> list[Reply]:
        return await self.deliver(self.event(EventKind.COMMAND, command=name, args=args))

    async def file(
        self, name: str = "chung-nhan.jpg", mime: str = "image/jpeg", kind: str = "document"
    ) -> list[Reply]:
        ref = FileRef(ref=f"file-{name}", mime=mime, size=1234, name=name, kind=kind)
        return await self.deliver(self.event(EventKind.FILE, file=ref))

    async def payload(self, payload: str) -> list[Reply]:
        return await self.deliver(self.event(EventKind.BUTTON, payload=payload))

    @property
    def buttons(self) -> tuple[Button, ...]:
        for reply in reversed(self.replies):
            if reply.buttons:
                return reply.buttons
        return ()

    async def press(self, label: str) -> list[Reply]:
        """Press the button of the last question whose label starts with ``label``."""
        found = [b for b in self.buttons if b.label.startswith(label)]
        assert found, f"no button {label!r} among {[b.label for b in self.buttons]}"
        return await self.payload(found[0].payload)

    async def press_nth(self, number: int) -> list[Reply]:
        return await self.payload(self.buttons[number - 1].payload)

    @property
    def text(self) -> str:
        return "\n".join(r.text for r in self.replies)

    async def run(self, steps: Iterable[str]) -> None:
        """Type each line: '#label' presses a button, '/cmd' is a command, else text."""
        for step in steps:
            if step.startswith("#"):
                await self.press(step[1:])
            elif step.startswith("/"):
                await self.command(step[1:])
            else:
                await self.send(step)


@pytest.fixture(scope="session")
def content() -> Content:
    return load_content()


@pytest.fixture
def clock() -> Clock:
    return Clock(datetime(2026, 3, 10, 2, 0, tzinfo=UTC))  # 09:00 in Vietnam


@pytest.fixture
def bot_engine(
    session_factory: async_sessionmaker[AsyncSession], content: Content, clock: Clock
) -> Engine:
    return Engine(session_factory, content, clock=clock)


@pytest.fixture
def chat(bot_engine: Engine) -> Chat:
    return Chat(bot_engine)


REGISTER = [
    "/start",
    "#Đồng ý",
    "Nguyễn Thị Lan",
    "1968",
    "#Người dân",
    "hai chau",
    "#Đúng",
    "Tổ 5",
]


async def register(chat: Chat, steps: list[str] | None = None) -> None:
    await chat.run(steps or REGISTER)
    assert "TRANG CHÍNH" in chat.text, chat.text
