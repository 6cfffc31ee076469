"""A Zalo OA follower for the end-to-end tests: writes through the OA's signed webhook and
chooses options by tapping their query buttons."""

from __future__ import annotations

import asyncio
from typing import Any

from tests.fakes.zalo_oa import FakeZaloOA


class OAUser:
    def __init__(self, fake: FakeZaloOA, user_id: str, webhook_url: str) -> None:
        self.fake = fake
        self.id = user_id
        self.url = webhook_url
        self.seen = 0
        self.taps = 0

    async def deliver(self, event: dict[str, Any]) -> None:
        assert await self.fake.post_webhook(event, self.url) == 200

    async def say(self, text: str, expect: str) -> None:
        await self.deliver(self.fake.user_text(self.id, text))
        await self.wait_for(expect)

    async def press(self, label: str, expect: str) -> None:
        """Tap the button starting with `label` in the latest message offering it."""
        await self.deliver(self.fake.press(self.id, self.button(label)))
        self.taps += 1
        await self.wait_for(expect)

    def button(self, label: str) -> dict[str, Any]:
        for message in reversed(self.fake.sent(self.id)):
            for b in message["buttons"]:
                if b["title"].startswith(label):
                    return b
        raise AssertionError(f"no button {label!r} for {self.id}: {self.texts()[-3:]!r}")

    async def wait_for(self, expect: str, seconds: float = 30) -> None:
        try:
            async with asyncio.timeout(seconds):
                while True:
                    new = self.fake.sent(self.id)[self.seen :]
                    if any(expect in m["text"] for m in new):
                        self.seen = len(self.fake.sent(self.id))
                        return
                    await asyncio.sleep(0.01)
        except TimeoutError:
            raise AssertionError(f"{expect!r} never came; {self.id}: {self.texts()}") from None

    def texts(self) -> list[str]:
        return [m["text"] for m in self.fake.sent(self.id)]
