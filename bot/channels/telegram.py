"""Telegram through aiogram: updates become Events, Replies become Bot API calls.

This module only translates; it never decides what to say. Updates arrive by long polling or
webhook (bot/web.py) and are stored in the inbox before anything else happens.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import PRODUCTION, TelegramAPIServer
from aiogram.exceptions import (
    TelegramAPIError,
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.types import (
    BotCommand,
    FSInputFile,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Update,
)
from aiohttp import ClientConnectorError
from babel.support import NullTranslations

from bot.channels.text import split_text
from bot.delivery.errors import Rejected, RetryAfter, Temporary, UnknownOutcome, Unreachable
from handlers.events import Event, EventKind, FileRef, Reply
from handlers.i18n import LOCALES, Translator
from storage.models import utcnow
from storage.repositories.inbox import NewUpdate

log = logging.getLogger(__name__)

CHANNEL = "telegram"
MAX_TEXT = 4096


def make_bot(token: str, api_url: str | None = None, timeout: float = 30) -> Bot:
    """A Bot for the public Bot API, or for another server with the same API (a self-hosted
    telegram-bot-api, or the fake one in tests)."""
    api = TelegramAPIServer.from_base(api_url) if api_url else PRODUCTION
    return Bot(token, session=AiohttpSession(api=api, timeout=timeout))


def chat_key(update: Mapping[str, Any]) -> str:
    """Whose conversation an update belongs to, read from the raw update without parsing."""
    for field in ("message", "edited_message", "callback_query", "my_chat_member"):
        part = update.get(field)
        if part:
            sender = part.get("from") or part.get("chat") or {}
            return str(sender.get("id", ""))
    return ""


def inbox_row(update: dict[str, Any]) -> NewUpdate:
    """A raw update as the inbox keeps it; its update id is also its place in the chat's
    order."""
    update_id = int(update["update_id"])
    return NewUpdate(CHANNEL, str(update_id), chat_key(update), update_id, update)


def to_event(raw: Mapping[str, Any]) -> Event | None:
    """The neutral event for an update, or None for kinds the bot does not take part in."""
    update = Update.model_validate(raw)
    update_id = str(update.update_id)
    if (query := update.callback_query) is not None:
        chat_id = query.message.chat.id if query.message else query.from_user.id
        return Event(
            channel=CHANNEL,
            external_user_id=str(query.from_user.id),
            chat_id=str(chat_id),
            event_id=update_id,
            kind=EventKind.BUTTON,
            payload=query.data or "",
            at=utcnow(),
            language_hint=query.from_user.language_code,
        )
    if (member := update.my_chat_member) is not None:
        blocked = member.new_chat_member.status in ("kicked", "left")
        return Event(
            channel=CHANNEL,
            external_user_id=str(member.from_user.id),
            chat_id=str(member.chat.id),
            event_id=update_id,
            at=member.date,
            kind=EventKind.BLOCKED if blocked else EventKind.UNBLOCKED,
        )
    message = update.message
    if message is None or message.from_user is None or message.chat.type != "private":
        return None
    common: dict[str, Any] = {
        "channel": CHANNEL,
        "external_user_id": str(message.from_user.id),
        "chat_id": str(message.chat.id),
        "event_id": update_id,
        "at": message.date,
        "language_hint": message.from_user.language_code,
    }
    if message.text is not None:
        if message.text.startswith("/"):
            head, _, args = message.text[1:].partition(" ")
            return Event(
                kind=EventKind.COMMAND,
                command=head.split("@")[0].lower(),
                args=args.strip(),
                **common,
            )
        return Event(kind=EventKind.TEXT, text=message.text, **common)
    if message.photo:
        largest = message.photo[-1]
        return Event(
            kind=EventKind.FILE,
            file=FileRef(ref=largest.file_id, mime="image/jpeg", size=largest.file_size or 0),
            **common,
        )
    if message.document is not None:
        d = message.document
        return Event(
            kind=EventKind.FILE,
            file=FileRef(
                ref=d.file_id, mime=d.mime_type or "", size=d.file_size or 0, name=d.file_name or ""
            ),
            **common,
        )
    if message.contact is not None:
        return Event(kind=EventKind.CONTACT, **common)
    return Event(kind=EventKind.UNSUPPORTED, **common)


def keyboard(reply: Reply) -> InlineKeyboardMarkup | None:
    if not reply.buttons:
        return None
    # One button a row: labels are whole answers, and older eyes need big targets.
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [InlineKeyboardButton(text=b.label, callback_data=b.payload)] for b in reply.buttons
        ]
    )


class TelegramSender:
    """Sends one Reply; platform errors become the delivery worker's vocabulary."""

    channel = CHANNEL

    def __init__(self, bot: Bot) -> None:
        self.bot = bot

    def is_group(self, chat_id: str) -> bool:
        return chat_id.startswith("-")  # Telegram gives groups and channels negative ids

    async def send(self, chat_id: str, reply: Reply) -> str | None:
        try:
            return await self._send(int(chat_id), reply)
        except TelegramRetryAfter as exc:
            raise RetryAfter(exc.retry_after) from exc
        except TelegramForbiddenError as exc:
            raise Unreachable(exc.message) from exc
        except TelegramBadRequest as exc:
            raise Rejected(exc.message) from exc
        except TelegramServerError as exc:
            raise Temporary(exc.message) from exc
        except TelegramNetworkError as exc:
            # Refused before the request left: safe to repeat. Anything later (a timeout, a
            # dropped connection) may have been delivered already.
            if isinstance(exc.__cause__, ClientConnectorError):
                raise Temporary(exc.message) from exc
            raise UnknownOutcome(exc.message) from exc
        except TelegramAPIError as exc:
            raise Rejected(exc.message) from exc

    async def _send(self, chat_id: int, reply: Reply) -> str | None:
        message_id: int | None = None
        pieces = split_text(reply.text, MAX_TEXT) if reply.text else []
        markup = keyboard(reply)
        for n, piece in enumerate(pieces):
            last = n == len(pieces) - 1
            sent = await self.bot.send_message(
                chat_id, piece, reply_markup=markup if last else None
            )
            message_id = sent.message_id
        if (att := reply.attachment) is not None:
            file = FSInputFile(att.path, filename=att.name or None) if att.path else att.ref
            if att.kind == "photo":
                sent = await self.bot.send_photo(chat_id, file)
            else:
                sent = await self.bot.send_document(chat_id, file)
            message_id = sent.message_id
        return str(message_id) if message_id is not None else None


async def acknowledge(bot: Bot, raw: Mapping[str, Any]) -> None:
    """After a button press is processed: stop the button's spinner, and leave the answered
    question in place with the chosen answer instead of its buttons, so the chat stays tidy.
    Best effort: a failure here loses nothing."""
    query = raw.get("callback_query") or {}
    if not query:
        return
    try:
        await bot.answer_callback_query(query["id"])
        message = query.get("message") or {}
        chosen = _label(message, query.get("data", ""))
        if message.get("text") and chosen:
            await bot.edit_message_text(
                text=f"{message['text']}\n\n✓ {chosen}",
                chat_id=message["chat"]["id"],
                message_id=message["message_id"],
            )
    except TelegramAPIError as exc:
        log.info("could not acknowledge callback %s: %s", query.get("id"), exc.message)


def _label(message: Mapping[str, Any], data: str) -> str | None:
    rows = (message.get("reply_markup") or {}).get("inline_keyboard") or []
    return next((b["text"] for row in rows for b in row if b.get("callback_data") == data), None)


COMMANDS = ("start", "menu", "result", "lang", "help", "stop", "delete")


async def set_commands(bot: Bot, catalogs: Mapping[str, NullTranslations]) -> None:
    """The command menu in Vietnamese (the default) and in English."""
    for locale in LOCALES:
        t = Translator(catalogs, locale)
        descriptions = {
            "start": t._("Bắt đầu"),
            "menu": t._("Menu chính"),
            "result": t._("Kết quả tự đánh giá"),
            "lang": t._("Đổi ngôn ngữ"),
            "help": t._("Hướng dẫn"),
            "stop": t._("Ngừng nhận thông báo"),
            "delete": t._("Xóa dữ liệu của tôi"),
        }
        commands = [BotCommand(command=c, description=descriptions[c]) for c in COMMANDS]
        await bot.set_my_commands(commands, language_code=None if locale == "vi" else locale)


class TelegramInbound:
    """What the inbox processor needs of the channel."""

    channel = CHANNEL

    def __init__(self, bot: Bot) -> None:
        self.bot = bot

    def to_event(self, raw: Mapping[str, Any]) -> Event | None:
        return to_event(raw)

    async def acknowledge(self, raw: Mapping[str, Any]) -> None:
        await acknowledge(self.bot, raw)


Store = Callable[[dict[str, Any]], Awaitable[None]]


async def poll(bot: Bot, store: Store, stop: asyncio.Event, wait: int = 25) -> None:
    """Long polling: each update is stored (and committed) before the next offset confirms
    it to Telegram, so a crash between the two only means a redelivery, which the inbox drops.
    A stop ends a waiting poll at once; updates it might have returned come again next time."""
    offset: int | None = None
    stopping = asyncio.create_task(stop.wait())
    try:
        while not stop.is_set():
            request = asyncio.create_task(
                bot.get_updates(offset=offset, timeout=wait, request_timeout=wait + 10)
            )
            await asyncio.wait({request, stopping}, return_when=asyncio.FIRST_COMPLETED)
            if not request.done():
                request.cancel()
                break
            try:
                updates = request.result()
            except TelegramNetworkError as exc:
                log.warning("getUpdates failed: %s; retrying", exc.message)
                await asyncio.sleep(1)
                continue
            # Stored together (one commit) before the next request confirms them.
            await asyncio.gather(
                *(
                    store(u.model_dump(mode="json", exclude_none=True, by_alias=True))
                    for u in updates
                )
            )
            if updates:
                offset = updates[-1].update_id + 1
    finally:
        stopping.cancel()
