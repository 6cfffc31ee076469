"""A Zalo Bot user for the end-to-end tests: options come as numbered lines ("[2] Nữ") and
are chosen by typing their number, or their label."""

from __future__ import annotations

import asyncio
import re
from typing import Any

from tests.e2e.telegram_stack import Deliver
from tests.fakes.zalo_bot import FakeZaloBot

OPTION = re.compile(r"^\[(\d+)\] (.+)$", re.MULTILINE)
WORD = re.compile(r"^\[(\D[^\]]*)\]$", re.MULTILINE)  # typed as its words, never a number


class ZaloUser:
    def __init__(
        self, fake: FakeZaloBot, user_id: str, deliver: Deliver, *, by_number: bool = True
    ) -> None:
        self.fake = fake
        self.id = user_id
        self.deliver = deliver
        self.by_number = by_number
        self.seen = 0

    async def say(self, text: str, expect: str) -> None:
        await self.deliver(self.fake.user_text(self.id, text))
        await self.wait_for(expect)

    async def press(self, label: str, expect: str) -> None:
        """Choose the option starting with `label` in the latest message offering it."""
        number, full = self.option(label)
        await self.say(number if self.by_number else full, expect)

    def option(self, label: str) -> tuple[str, str]:
        """The option's number (or, for a word option "[Bỏ qua]", its words) and label."""
        for message in reversed(self.fake.sent(self.id)):
            for number, text in OPTION.findall(_text(message)):
                if text.startswith(label):
                    return number, text
            for text in WORD.findall(_text(message)):
                if text.startswith(label):
                    return text, text
        raise AssertionError(f"no option {label!r} in chat {self.id}: {self.texts()[-3:]!r}")

    async def wait_for(self, expect: str, seconds: float = 30) -> None:
        try:
            async with asyncio.timeout(seconds):
                while True:
                    new = self.fake.sent(self.id)[self.seen :]
                    if any(expect in _text(m) for m in new):
                        self.seen = len(self.fake.sent(self.id))
                        return
                    await asyncio.sleep(0.01)
        except TimeoutError:
            raise AssertionError(
                f"{expect!r} never came; chat {self.id}: {[t[:80] for t in self.texts()]}"
            ) from None

    def texts(self) -> list[str]:
        return [_text(m) for m in self.fake.sent(self.id)]


def _text(message: dict[str, Any]) -> str:
    return message.get("text") or message.get("caption") or ""


def queue_to(fake: FakeZaloBot) -> Deliver:
    async def deliver(update: dict[str, Any]) -> None:
        fake.queue(update)

    return deliver


def post_to(fake: FakeZaloBot, *, envelope: bool = False) -> Deliver:
    async def deliver(update: dict[str, Any]) -> None:
        assert await fake.post_webhook(update, envelope=envelope) == 200

    return deliver
