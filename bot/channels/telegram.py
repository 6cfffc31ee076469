"""Telegram through aiogram: updates become Events, Replies become Bot API calls.

This module only translates; it never decides what to say. Updates arrive by long polling or
webhook (bot/web/server.py) and are stored in the inbox before anything else happens.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime
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
from aiogram.methods import AnswerCallbackQuery, EditMessageText, GetUpdates, SendChatAction
from aiogram.types import (
    BotCommand,
    BufferedInputFile,
    FSInputFile,
    InputFile,
)
from aiohttp import ClientConnectorError
from babel.support import NullTranslations

from bot.channels import raw, telegram_json
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
    """Whose conversation an update belongs to, read from the raw update without parsing
    (any shape: what cannot be read goes to the processor, which sets it aside)."""
    for field in ("message", "edited_message", "callback_query", "my_chat_member"):
        part = update.get(field)
        if part and isinstance(part, dict):
            sender = part.get("from") or part.get("chat")
            found = sender.get("id", "") if isinstance(sender, dict) else ""
            return str(found)[: raw.MAX_ID] if isinstance(found, int | str) else ""
    return ""


def update_id(update: Mapping[str, Any]) -> int:
    """The update's id: Telegram's are positive and sequential (also a chat's order)."""
    return raw.integer(update.get("update_id"), "update_id", low=0)


def inbox_row(update: dict[str, Any]) -> NewUpdate:
    """A raw update as the inbox keeps it; its update id is also its place in the chat's
    order. Unreadable for an update without a usable id."""
    number = update_id(update)
    # An update of no one we can tell queues behind no other such update.
    chat = chat_key(update) or f"#{number}"
    return NewUpdate(CHANNEL, str(number), chat, number, update)


# What Telegram quotes of another message; only its id is kept.
_QUOTING = ("reply_to_message", "external_reply", "quote")


def processed_form(update: Mapping[str, Any]) -> Mapping[str, Any]:
    """What the inbox keeps of an update once it is processed and acknowledged: without
    the bot's own messages that Telegram quotes in it (a pressed button's message, a
    message replied to). An officer's press would otherwise keep a copy of the review
    screen, naming a citizen, in the officer's raw updates, where erasing the citizen
    cannot find it. Only acknowledging a press reads them (its message's text and
    buttons), and it works from the update as received."""
    if (query := update.get("callback_query")) and (message := query.get("message")):
        # Only what was there: an update read as it came must read the same once kept.
        kept = {k: message[k] for k in ("message_id", "date") if k in message}
        if isinstance(chat := message.get("chat"), Mapping):
            kept["chat"] = {k: chat[k] for k in ("id", "type") if k in chat}
        elif "chat" in message:
            kept["chat"] = chat
        return {**update, "callback_query": {**query, "message": kept}}
    message = update.get("message")
    if message and any(field in message for field in _QUOTING):
        replied = message.get("reply_to_message") or {}
        cut = {k: v for k, v in message.items() if k not in _QUOTING}
        if "message_id" in replied:
            cut["reply_to_message"] = {"message_id": replied["message_id"]}
        return {**update, "message": cut}
    return update


def to_event(update: Mapping[str, Any]) -> Event | None:
    """The neutral event for an update, or None for what the bot takes no part in: kinds
    it does not use, and anything from a group, supergroup or channel (only private chats
    are people; the bot says nothing there and changes no one's conversation).

    Read from the update's JSON as the Bot API documents it, not through aiogram's models:
    validating every update into them was a third of the CPU of processing one. A field
    missing or of the wrong type raises (Unreadable, or KeyError for a missing one)."""
    event_id = str(update_id(update))
    if (query := update.get("callback_query")) is not None:
        query = raw.obj(query, "callback_query")
        person = raw.obj(query["from"], "callback_query.from")
        message = raw.optional_obj(query.get("message"), "callback_query.message")
        chat = raw.obj(message["chat"], "callback_query.message.chat") if message else {}
        if chat and not _private(chat, update):
            return None
        return Event(
            channel=CHANNEL,
            external_user_id=_id(person, "callback_query.from"),
            chat_id=_id(chat or person, "callback_query.message.chat"),
            event_id=event_id,
            kind=EventKind.BUTTON,
            payload=raw.optional_string(query.get("data"), "callback_query.data") or "",
            at=utcnow(),
            language_hint=_language(person),
        )
    if (member := update.get("my_chat_member")) is not None:
        member = raw.obj(member, "my_chat_member")
        chat = raw.obj(member["chat"], "my_chat_member.chat")
        if not _private(chat, update):
            return None
        status = raw.obj(member["new_chat_member"], "my_chat_member.new_chat_member")["status"]
        blocked = raw.string(status, "new_chat_member.status") in ("kicked", "left")
        return Event(
            channel=CHANNEL,
            external_user_id=_id(raw.obj(member["from"], "my_chat_member.from"), "from"),
            chat_id=_id(chat, "my_chat_member.chat"),
            event_id=event_id,
            at=_date(member["date"]),
            kind=EventKind.BLOCKED if blocked else EventKind.UNBLOCKED,
        )
    if (message := update.get("message")) is None:
        return None
    message = raw.obj(message, "message")
    chat = raw.obj(message["chat"], "message.chat")
    if not _private(chat, update) or message.get("from") is None:
        return None
    person = raw.obj(message["from"], "message.from")
    common: dict[str, Any] = {
        "channel": CHANNEL,
        "external_user_id": _id(person, "message.from"),
        "chat_id": _id(chat, "message.chat"),
        "event_id": event_id,
        "at": _date(message["date"]),
        "language_hint": _language(person),
    }
    if (text := raw.optional_string(message.get("text"), "message.text")) is not None:
        if text.startswith("/"):
            head, _, args = text[1:].partition(" ")
            return Event(
                kind=EventKind.COMMAND,
                command=head.split("@")[0].lower(),
                args=args.strip(),
                **common,
            )
        return Event(kind=EventKind.TEXT, text=text, **common)
    if photo := raw.items(message.get("photo"), "message.photo"):
        largest = raw.obj(photo[-1], "message.photo[-1]")
        return Event(kind=EventKind.FILE, file=_file(largest, "photo", "image/jpeg"), **common)
    if (document := message.get("document")) is not None:
        d = raw.obj(document, "message.document")
        mime = raw.optional_string(d.get("mime_type"), "document.mime_type") or ""
        return Event(kind=EventKind.FILE, file=_file(d, "document", mime), **common)
    if message.get("contact") is not None:
        return Event(kind=EventKind.CONTACT, **common)
    return Event(kind=EventKind.UNSUPPORTED, **common)


def _private(chat: Mapping[str, Any], update: Mapping[str, Any]) -> bool:
    """Whether a chat is a person's private chat; a group's, a supergroup's or a channel's
    update is logged (once: it is then processed) and left alone."""
    kind = raw.string(chat.get("type"), "chat.type")
    if kind == "private":
        return True
    log.info("ignored update %s from a %s chat", update.get("update_id"), kind)
    return False


def _id(part: Mapping[str, Any], what: str) -> str:
    return str(raw.integer(part.get("id"), f"{what}.id"))


def _language(person: Mapping[str, Any]) -> str | None:
    return raw.optional_string(person.get("language_code"), "from.language_code")


def _file(part: Mapping[str, Any], kind: str, mime: str) -> FileRef:
    size = part.get("file_size")
    return FileRef(
        ref=raw.string(part.get("file_id"), f"{kind}.file_id"),
        mime=mime,
        size=0 if size is None else raw.integer(size, f"{kind}.file_size", low=0),
        name=raw.optional_string(part.get("file_name"), f"{kind}.file_name") or "",
        kind="photo" if kind == "photo" else "document",
    )


def _date(unix_time: Any) -> datetime:
    return raw.moment(raw.integer(unix_time, "date", low=0), "date")


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


async def acknowledge(bot: Bot, update: Mapping[str, Any]) -> None:
    """After a button press is processed: stop the button's spinner, and leave the answered
    question in place with the chosen answer instead of its buttons, so the chat stays tidy.
    Best effort: a failure here loses nothing."""
    query = update.get("callback_query")
    if not isinstance(query, dict):
        return
    try:
        query_id = raw.string(query.get("id"), "callback_query.id")
        await telegram_json.call(bot, AnswerCallbackQuery, {"callback_query_id": query_id})
        message = raw.optional_obj(query.get("message"), "callback_query.message")
        text = message.get("text")
        chosen = _label(message, query.get("data"))
        if isinstance(text, str) and text and chosen:
            chat = raw.obj(message.get("chat"), "message.chat")
            await telegram_json.call(
                bot,
                EditMessageText,
                {
                    "chat_id": raw.integer(chat.get("id"), "message.chat.id"),
                    "message_id": raw.integer(message.get("message_id"), "message.message_id"),
                    "text": f"{text}\n\n✓ {chosen}",
                },
            )
    except TelegramAPIError as exc:
        log.info("could not acknowledge callback %s: %s", query.get("id"), exc.message)
    except raw.Unreadable as exc:  # a press we set aside or could not read: nothing to show
        log.info("no acknowledgement for callback %s: %s", query.get("id"), exc)


def _label(message: Mapping[str, Any], data: Any) -> str | None:
    """The label of the button whose payload is ``data`` (None when there is none, or the
    keyboard is not what Telegram sends)."""
    markup = message.get("reply_markup")
    rows = markup.get("inline_keyboard") if isinstance(markup, dict) else None
    for row in rows if isinstance(rows, list) else []:
        for button in row if isinstance(row, list) else []:
            if isinstance(button, dict) and data and button.get("callback_data") == data:
                label = button.get("text")
                return label if isinstance(label, str) else None
    return None


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
            "menu": t._("Trang chính"),
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

    def processed_form(self, raw: Mapping[str, Any]) -> Mapping[str, Any]:
        return processed_form(raw)


Store = Callable[[dict[str, Any]], Awaitable[None]]


async def poll(bot: Bot, store: Store, stop: asyncio.Event, wait: int = 25) -> None:
    """Long polling: each update is stored (and committed) before the next offset confirms
    it to Telegram, so a crash between the two only means a redelivery, which the inbox drops.
    A stop ends a waiting poll at once; updates it might have returned come again next time.

    Updates are taken as Telegram's JSON, not parsed into aiogram's models: one those
    cannot parse (a field of an unexpected type) is stored all the same and confirmed, and
    the inbox processor sets it aside, instead of failing the poll before the offset moves
    past it, again and again. Errors keep the offset: nothing unconfirmed is lost."""
    offset: int | None = None
    stopping = asyncio.create_task(stop.wait())
    try:
        while not stop.is_set():
            params: dict[str, Any] = {"timeout": wait}
            if offset is not None:
                params["offset"] = offset
            request = asyncio.create_task(
                telegram_json.call(bot, GetUpdates, params, wait=wait + 10)
            )
            await asyncio.wait({request, stopping}, return_when=asyncio.FIRST_COMPLETED)
            if not request.done():
                request.cancel()
                break
            try:
                updates = _numbered(request.result())
                # Stored together (one commit) before the next request confirms them.
                await asyncio.gather(*(store(u) for _, u in updates))
            except Exception as exc:  # Telegram or the database away: the same offset again
                log.warning("getUpdates failed: %s; retrying", exc)
                await asyncio.sleep(1)
                continue
            if updates:
                offset = max(number for number, _ in updates) + 1
    finally:
        stopping.cancel()


def _numbered(answer: Any) -> list[tuple[int, dict[str, Any]]]:
    """getUpdates' updates with their ids; one without a usable id cannot be kept (nor
    confirmed, but by the next one's) and is only reported."""
    updates = []
    for update in answer if isinstance(answer, list) else []:
        try:
            updates.append((update_id(raw.obj(update, "update")), update))
        except raw.Unreadable as exc:
            log.warning("unusable update from getUpdates skipped: %s", exc)
    return updates
