"""The bot as deployed (Services: polling or webhook, inbox processor, delivery worker), over
real HTTP against the fake Bot API, and a Telegram user who types and presses buttons."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import date
from typing import Any, Protocol

from aiohttp import web
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.runtime import Runtime, conversations
from bot.services import Services
from bot.settings import Settings
from bot.web.server import HealthRules, make_app
from content import Content
from storage.models import Answer, Assessment, ChannelIdentity, OutboxMessage, OutboxStatus, Profile
from tests.fakes.telegram import FakeTelegram
from tests.fakes.zalo_bot import FakeZaloBot
from tests.fakes.zalo_oa import FakeZaloOA

SECRET = "test-secret_123"
Deliver = Callable[[dict[str, Any]], Awaitable[Any]]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@asynccontextmanager
async def running(
    fake: FakeTelegram | None,
    db: AsyncEngine,
    content: Content,
    mode: str,
    *,
    zalo: FakeZaloBot | None = None,
    zalo_oa: FakeZaloOA | None = None,
    global_rate: int = 200,
    configure: dict[str, Any] | None = None,
    **worker: Any,
) -> AsyncIterator[Services]:
    """Services in `mode` ("poll" or "serve") on the fake Telegram, the fake Zalo Bot, the
    fake Zalo OA (its tokens already stored), or several, until the block ends;
    `global_rate`: each platform's sends per second; `configure`: other settings. `worker`
    overrides delivery worker attributes (shorter backoffs for fault tests). The yearly
    campaigns and reminders are off unless `configure` turns them on (scheduled_jobs): what
    they send depends on the date, and a test's people must hear the same on every day."""
    settings = Settings(
        _env_file=None,
        telegram_bot_token=fake.token if fake else None,
        telegram_api_url=fake.base_url if fake else None,
        webhook_secret=SECRET,
        zalo_bot_token=zalo.token if zalo else None,
        zalo_bot_api_url=zalo.base_url if zalo else "",
        zalo_webhook_secret=SECRET,
        port=free_port(),
        telegram_global_rate=global_rate,
        zalo_global_rate=global_rate,
        zalo_oa_app_id=zalo_oa.app_id if zalo_oa else "",
        zalo_oa_app_secret=zalo_oa.app_secret if zalo_oa else "",
        zalo_oa_secret_key=zalo_oa.secret_key if zalo_oa else "",
        zalo_oa_api_url=zalo_oa.base_url if zalo_oa else "",
        zalo_oauth_url=zalo_oa.base_url if zalo_oa else "",
        zalo_oa_global_rate=global_rate,
        **{"scheduled_jobs": "none", **(configure or {})},
    )
    runtime = Runtime(
        settings=settings, content=content, db=db, engine=conversations(settings, content, db)
    )
    services = Services(runtime)
    for delivery in services.deliveries.values():
        for name, value in worker.items():
            setattr(delivery, name, value)
    task = asyncio.create_task(getattr(services, mode)())
    try:
        if mode == "serve":
            await _until(lambda: services.health.get("inbox") == "running")
            site = f"http://127.0.0.1:{settings.port}"
            if services.bot is not None:
                await services.bot.set_webhook(f"{site}/telegram/webhook", secret_token=SECRET)
            if services.zalo is not None:
                await services.zalo.call(
                    "setWebhook", {"url": f"{site}/zalo/webhook", "secret_token": SECRET}
                )
        yield services
    finally:
        services.stop.set()
        await asyncio.wait_for(task, 30)


@asynccontextmanager
async def webhook_only(sessions: async_sessionmaker[AsyncSession]) -> AsyncIterator[str]:
    """The web server alone (no workers): yields its Telegram webhook URL (the Zalo one is
    beside it, at /zalo/webhook)."""
    runner = web.AppRunner(
        make_app(
            sessions,
            webhook_secret=SECRET,
            zalo_webhook_secret=SECRET,
            health_rules=HealthRules(token=SECRET),
        )
    )
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        yield f"http://127.0.0.1:{port}/telegram/webhook"
    finally:
        await runner.cleanup()


async def _until(condition: Callable[[], bool], seconds: float = 30) -> None:
    async with asyncio.timeout(seconds):
        while not condition():
            await asyncio.sleep(0.01)


async def quiet_outbox(services: Services, seconds: float = 30) -> None:
    """Wait until nothing is waiting to be sent."""
    async with asyncio.timeout(seconds):
        while True:
            async with services.sessions() as session:
                waiting = await session.scalar(
                    select(func.count())
                    .select_from(OutboxMessage)
                    .where(OutboxMessage.status.in_([OutboxStatus.PENDING, OutboxStatus.SENDING]))
                )
            if not waiting:
                return
            await asyncio.sleep(0.05)


class TelegramUser:
    def __init__(self, fake: FakeTelegram, user_id: int, deliver: Deliver) -> None:
        self.fake = fake
        self.id = user_id
        self.deliver = deliver
        self.seen = 0
        self.presses = 0

    async def say(self, text: str, expect: str) -> None:
        await self.deliver(self.fake.user_text(self.id, text))
        await self.wait_for(expect)

    async def press(self, label: str, expect: str) -> None:
        message, data = self.button(label)
        self.presses += 1
        await self.deliver(self.fake.user_press(self.id, data, message["message_id"]))
        await self.wait_for(expect)

    def button(self, label: str) -> tuple[dict[str, Any], str]:
        for message in reversed(self.fake.sent(self.id)):
            rows = (message.get("reply_markup") or {}).get("inline_keyboard", [])
            for row in rows:
                for b in row:
                    if b["text"].startswith(label):
                        return message, b["callback_data"]
        raise AssertionError(f"no button {label!r} in chat {self.id}: {self.chat()}")

    async def wait_for(self, expect: str, seconds: float = 30) -> None:
        try:
            async with asyncio.timeout(seconds):
                while True:
                    new = self.fake.sent(self.id)[self.seen :]
                    if any(expect in (m.get("text") or "") for m in new):
                        self.seen = len(self.fake.sent(self.id))
                        return
                    await asyncio.sleep(0.01)
        except TimeoutError:
            raise AssertionError(f"{expect!r} never came; chat {self.id}: {self.chat()}") from None

    def chat(self) -> list[tuple[str, str, bool]]:
        """What the chat holds, for failure messages: text, method, whether it has buttons."""
        return [
            ((m.get("text") or "")[:60], m["method"], bool(m.get("reply_markup")))
            for m in self.fake.sent(self.id)
        ]

    async def wait_for_document(self, seconds: float = 30) -> dict[str, Any]:
        """The next document sent to this chat: its upload info (file_name, content)."""
        async with asyncio.timeout(seconds):
            while True:
                for n, m in enumerate(self.fake.sent(self.id)[self.seen :], start=self.seen):
                    if m["method"] == "sendDocument":
                        self.seen = n + 1
                        return m["document"]
                await asyncio.sleep(0.01)

    def texts(self) -> list[str]:
        return [
            m.get("text") or "" for m in self.fake.sent(self.id) if m["method"] == "sendMessage"
        ]


class ChatUser(Protocol):
    """A person on a platform, typing and choosing options (TelegramUser, ZaloUser)."""

    fake: Any  # the platform's fake server
    id: Any
    deliver: Deliver

    async def say(self, text: str, expect: str) -> None: ...

    async def press(self, label: str, expect: str) -> None: ...

    async def wait_for(self, expect: str, seconds: float = 30) -> None: ...


async def register_and_assess(
    user: ChatUser,
    content: Content,
    name: str = "Nguyễn Văn Telegram",
    photo: bool = False,
    evidence: Callable[[Any], dict[str, Any]] | None = None,
    *,
    year: str = "1972",
    village: str | None = None,
    caption: str | None = None,
) -> None:
    """Consent, registration in Phường Hải Châu (in `village`, if given), and a whole
    self-assessment, submitted; with `photo`, a photo (with `caption`) as the first
    indicator's evidence (or what `evidence` makes for the user's id: a document)."""
    await user.say("/start", "THÔNG BÁO VỀ DỮ LIỆU CÁ NHÂN")
    await user.press("Đồng ý", "Họ và tên")
    await user.say(name, "sinh năm nào")
    await user.say(year, "nhóm đối tượng")
    await user.press("Người dân", "xã/phường nào")
    await user.say("hai chau", "đúng không?")
    await user.press("Đúng", "thôn hoặc tổ dân phố")
    if village is None:
        await user.press("Bỏ qua", "TRANG CHÍNH")
    else:
        await user.say(village, "TRANG CHÍNH")
    await user.press("Bắt đầu tự đánh giá", "Chỉ số 1/10")
    indicators = content.criteria_for("residents", date.today().year).indicators
    for indicator in indicators:
        last = indicator is indicators[-1]
        expect = "BẢN TỰ ĐÁNH GIÁ" if last else f"Chỉ số {indicator.number + 1}/10"
        if indicator.number_input is not None:
            await user.say(str(indicator.number_input.bands[-1].min), expect)
        else:
            await user.press(indicator.options[0].label.vi, expect)
        if (photo or evidence) and indicator is indicators[0]:
            # Sent right after the answer, with the next question on screen: its evidence.
            captioned = {"caption": caption} if caption is not None else {}
            await user.deliver(
                evidence(user.id) if evidence else user.fake.user_photo(user.id, **captioned)
            )
            await user.wait_for("Đã nhận minh chứng cho chỉ số 1")
    await user.press("Nộp bản tự đánh giá", "Nộp ngay?")
    await user.press("Nộp ngay", "Đã nộp")


@dataclass(frozen=True)
class Submission:
    """What the database holds after one person registered and submitted."""

    assessment: Assessment
    name: str | None
    identity: ChannelIdentity
    evidence_refs: list[str]


async def the_submission(services: Services) -> Submission:
    """Once everything queued has gone out: the one person's submission, as stored."""
    await quiet_outbox(services)
    async with services.sessions() as session:
        evidence = list(await session.scalars(select(Answer.evidence)))
        return Submission(
            assessment=await session.scalar(select(Assessment)),
            name=await session.scalar(select(Profile.full_name)),
            identity=await session.scalar(select(ChannelIdentity)),
            evidence_refs=[item["ref"] for items in evidence for item in items],
        )
