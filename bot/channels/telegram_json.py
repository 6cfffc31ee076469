"""Bot API calls as one JSON request on the aiogram Bot's own HTTP session: the hot paths
(sending a text, acknowledging a button press).

aiogram builds a pydantic model for every call, encodes it as a form and validates the answer
into another model; at a thousand messages a second that is about half of a send's CPU. These
calls are simple to write as JSON and their answers simple to read. Anything but a plain
success (an error status, an answer that does not parse) goes through aiogram's own check of
the answer, and a failed request raises what aiogram raises, so that every failure is the
exception aiogram would give.
"""

from __future__ import annotations

import dataclasses
import json
from contextlib import suppress
from typing import Any

from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.exceptions import TelegramNetworkError
from aiogram.methods import SendMessage, TelegramMethod
from aiohttp import ClientError


def supports(bot: Bot) -> bool:
    """Whether ``bot`` talks over aiohttp without defaults that would change a message (a
    default parse mode, say), which a plain request would leave out."""
    return isinstance(bot.session, AiohttpSession) and all(
        getattr(bot.default, field.name) is None for field in dataclasses.fields(bot.default)
    )


async def call(
    bot: Bot,
    method: type[TelegramMethod[Any]],
    params: dict[str, Any],
    *,
    wait: float | None = None,
) -> Any:
    """Call ``method`` with ``params`` (as the Bot API names them); returns its result as
    JSON. ``wait``: seconds to wait for the answer (default: the session's timeout)."""
    session = bot.session
    assert isinstance(session, AiohttpSession)
    http = await session.create_session()
    url = session.api.api_url(token=bot.token, method=method.__api_method__)
    try:
        async with http.post(url, json=params, timeout=wait or session.timeout) as response:
            status, content = response.status, await response.text()
    # The same errors, worded the same, as aiogram's AiohttpSession.make_request.
    except TimeoutError as exc:
        raise TelegramNetworkError(method(**params), "Request timeout error") from exc
    except ClientError as exc:
        raise TelegramNetworkError(method(**params), f"{type(exc).__name__}: {exc}") from exc
    if status == 200:
        # An answer we cannot read is aiogram's to report, below.
        with suppress(ValueError, KeyError, TypeError):
            answer = json.loads(content)
            if answer["ok"] is True:
                return answer["result"]
    # aiogram's model of the call is built only here, for its errors to name.
    session.check_response(bot, method(**params), status, content)  # raises on a failure
    return json.loads(content)["result"]  # a success with another 2xx status


async def send_message(
    bot: Bot, chat_id: int, text: str, reply_markup: dict[str, Any] | None = None
) -> int:
    """Send a text message; returns its message id."""
    params: dict[str, Any] = {"chat_id": chat_id, "text": text}
    if reply_markup is not None:
        params["reply_markup"] = reply_markup
    return int((await call(bot, SendMessage, params))["message_id"])
