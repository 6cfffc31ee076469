"""Telegram through aiogram: updates become Events, Replies become Bot API calls.

This module only translates; it never decides what to say. Updates arrive by long polling or
webhook (bot/web/server.py) and are stored in the inbox before anything else happens.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from datetime import UTC, datetime
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
from aiogram.methods import AnswerCallbackQuery, EditMessageText, SendChatAction
from aiogram.types import (
    BotCommand,
    BufferedInputFile,
    FSInputFile,
    InputFile,
)
from aiohttp import ClientConnectorError
from babel.support import NullTranslations

from bot.channels import telegram_json
from bot.channels.capabilities import TELEGRAM
from bot.channels.text import split_text
from bot.delivery.errors import Rejected, RetryAfter, Temporary, UnknownOutcome, Unreachable
from handlers.events import Event, EventKind, FileRef, Reply
from handlers.i18n import LOCALES, Translator
from storage.models import utcnow
from storage.repositories.inbox import NewUpdate

log = logging.getLogger(__name__)

CHANNEL = "telegram"


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
    """The neutral event for an update, or None for kinds the bot does not take part in.

    Read from the update's JSON as the Bot API documents it, not through aiogram's models:
    validating every update into them was a third of the CPU of processing one. A field
    missing or of the wrong type raises KeyError, TypeError or ValueError."""
    update_id = str(int(raw["update_id"]))
    if query := raw.get("callback_query"):
        person = query["from"]
        message = query.get("message")
        chat_id = message["chat"]["id"] if message else person["id"]
        return Event(
            channel=CHANNEL,
            external_user_id=str(int(person["id"])),
            chat_id=str(int(chat_id)),
            event_id=update_id,
            kind=EventKind.BUTTON,
            payload=query.get("data") or "",
            at=utcnow(),
            language_hint=person.get("language_code"),
        )
    if member := raw.get("my_chat_member"):
        blocked = member["new_chat_member"]["status"] in ("kicked", "left")
        return Event(
            channel=CHANNEL,
            external_user_id=str(int(member["from"]["id"])),
            chat_id=str(int(member["chat"]["id"])),
            event_id=update_id,
            at=_date(member["date"]),
            kind=EventKind.BLOCKED if blocked else EventKind.UNBLOCKED,
        )
    message = raw.get("message")
    if not message or not message.get("from") or message["chat"]["type"] != "private":
        return None
    person = message["from"]
    common: dict[str, Any] = {
        "channel": CHANNEL,
        "external_user_id": str(int(person["id"])),
        "chat_id": str(int(message["chat"]["id"])),
        "event_id": update_id,
        "at": _date(message["date"]),
        "language_hint": person.get("language_code"),
    }
    if (text := message.get("text")) is not None:
        if text.startswith("/"):
            head, _, args = text[1:].partition(" ")
            return Event(
                kind=EventKind.COMMAND,
                command=head.split("@")[0].lower(),
                args=args.strip(),
                **common,
            )
        return Event(kind=EventKind.TEXT, text=text, **common)
    if photo := message.get("photo"):
        largest = photo[-1]
        return Event(
            kind=EventKind.FILE,
            file=FileRef(
                ref=largest["file_id"],
                mime="image/jpeg",
                size=largest.get("file_size") or 0,
                kind="photo",
            ),
            **common,
        )
    if (d := message.get("document")) is not None:
        return Event(
            kind=EventKind.FILE,
            file=FileRef(
                ref=d["file_id"],
                mime=d.get("mime_type") or "",
                size=d.get("file_size") or 0,
                name=d.get("file_name") or "",
            ),
            **common,
        )
    if message.get("contact") is not None:
        return Event(kind=EventKind.CONTACT, **common)
    return Event(kind=EventKind.UNSUPPORTED, **common)


def _date(unix_time: int) -> datetime:
    return datetime.fromtimestamp(int(unix_time), UTC)


def keyboard(reply: Reply) -> dict[str, Any] | None:
    """The reply's buttons as the Bot API's inline keyboard markup (JSON)."""
    if not reply.buttons:
        return None
    # One button a row: labels are whole answers, and older eyes need big targets.
    return {
        "inline_keyboard": [[{"text": b.label, "callback_data": b.payload}] for b in reply.buttons]
    }


class TelegramSender:
    """Sends one Reply; platform errors become the delivery worker's vocabulary."""

    channel = CHANNEL
    capabilities = TELEGRAM

    def __init__(self, bot: Bot) -> None:
        if not telegram_json.supports(bot):
            raise TypeError("TelegramSender needs an aiohttp Bot without defaults (make_bot)")
        self.bot = bot

    def is_group(self, chat_id: str) -> bool:
        return chat_id.startswith("-")  # Telegram gives groups and channels negative ids

    async def send(self, chat_id: str, reply: Reply, *, reply_to: str | None = None) -> str | None:
        # Telegram lets the bot write at any time: nothing to quote.
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

    async def typing(self, chat_id: str) -> None:
        try:
            await telegram_json.call(
                self.bot, SendChatAction, {"chat_id": int(chat_id), "action": "upload_document"}
            )
        except TelegramAPIError as exc:  # a nicety: the reply comes all the same
            log.info("no chat action in %s: %s", chat_id, exc.message)

    async def _send(self, chat_id: int, reply: Reply) -> str | None:
        markup = keyboard(reply)
        if reply.edit:
            await self._edit(chat_id, reply, markup)
            return reply.edit
        message_id: int | None = None
        att = reply.attachment
        # A short text rides on its file as the caption: one message, not two, at a chat's
        # pace of about one a second (an officer's evidence, file after file).
        limits = self.capabilities
        caption = reply.text if att is not None and len(reply.text) <= limits.max_caption else ""
        pieces = split_text(reply.text, limits.max_text) if reply.text and not caption else []
        for n, piece in enumerate(pieces):
            last = n == len(pieces) - 1 and att is None
            message_id = await telegram_json.send_message(
                self.bot, chat_id, piece, markup if last else None
            )
        if att is not None:
            file: InputFile | str
            if att.content:
                file = BufferedInputFile(att.content, filename=att.name or "document")
            elif att.path:
                file = FSInputFile(att.path, filename=att.name or None)
            else:
                file = att.ref
            send = self.bot.send_photo if att.kind == "photo" else self.bot.send_document
            sent = await send(chat_id, file, caption=caption or None, reply_markup=markup)
            message_id = sent.message_id
        return str(message_id) if message_id is not None else None

    async def _edit(self, chat_id: int, reply: Reply, markup: dict[str, Any] | None) -> None:
        params: dict[str, Any] = {
            "chat_id": chat_id,
            "message_id": int(reply.edit),
            "text": split_text(reply.text, self.capabilities.max_text)[0],
        }
        if markup is not None:
            params["reply_markup"] = markup
        try:
            await telegram_json.call(self.bot, EditMessageText, params)
        except TelegramBadRequest as exc:
            # Already showing this text (an edit sent again after a crash): nothing to do.
            if "message is not modified" not in exc.message:
                raise


async def acknowledge(bot: Bot, raw: Mapping[str, Any]) -> None:
    """After a button press is processed: stop the button's spinner, and leave the answered
    question in place with the chosen answer instead of its buttons, so the chat stays tidy.
    Best effort: a failure here loses nothing."""
    query = raw.get("callback_query") or {}
    if not query:
        return
    try:
        await telegram_json.call(bot, AnswerCallbackQuery, {"callback_query_id": query["id"]})
        message = query.get("message") or {}
        chosen = _label(message, query.get("data", ""))
        if message.get("text") and chosen:
            await telegram_json.call(
                bot,
                EditMessageText,
                {
                    "chat_id": message["chat"]["id"],
                    "message_id": message["message_id"],
                    "text": f"{message['text']}\n\n✓ {chosen}",
                },
            )
    except TelegramAPIError as exc:
        log.info("could not acknowledge callback %s: %s", query.get("id"), exc.message)


def _label(message: Mapping[str, Any], data: str) -> str | None:
    rows = (message.get("reply_markup") or {}).get("inline_keyboard") or []
    return next((b["text"] for row in rows for b in row if b.get("callback_data") == data), None)


COMMANDS = (
    "start",
    "menu",
    "result",
    "skills",
    "certificate",
    "lang",
    "link",
    "help",
    "stop",
    "delete",
)


async def set_commands(bot: Bot, catalogs: Mapping[str, NullTranslations]) -> None:
    """The command menu in Vietnamese (the default) and in English."""
    for locale in LOCALES:
        t = Translator(catalogs, locale)
        descriptions = {
            "start": t._("Bắt đầu"),
            "menu": t._("Menu chính"),
            "result": t._("Kết quả tự đánh giá"),
            "skills": t._("Kiểm tra kỹ năng số"),
            "certificate": t._("Giấy chứng nhận của tôi"),
            "lang": t._("Đổi ngôn ngữ"),
            "link": t._("Liên kết với Zalo hoặc Telegram"),
            "help": t._("Hướng dẫn"),
            "stop": t._("Ngừng nhận thông báo"),
            "delete": t._("Xóa dữ liệu của tôi"),
        }
        commands = [BotCommand(command=c, description=descriptions[c]) for c in COMMANDS]
        await bot.set_my_commands(commands, language_code=None if locale == "vi" else locale)


class TelegramInbound:
    """What the inbox processor needs of the channel."""

    channel = CHANNEL
    capabilities = TELEGRAM

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
