"""Every channel's sender offers all that the delivery worker asks of a Sender."""

from __future__ import annotations

import inspect

import pytest

from bot.channels.telegram import TelegramSender
from bot.channels.zalo_bot import ZaloBotSender
from bot.channels.zalo_oa import ZaloOASender
from bot.delivery.sender import Sender

MEMBERS = sorted(
    {name for name in vars(Sender) if not name.startswith("_")} | set(Sender.__annotations__)
)


@pytest.mark.parametrize("sender", [TelegramSender, ZaloBotSender, ZaloOASender])
def test_a_sender_has_every_member_the_worker_uses(sender: type) -> None:
    assert {"channel", "capabilities", "send", "typing", "is_group"} <= set(MEMBERS)
    missing = [name for name in MEMBERS if not hasattr(sender, name)]
    assert missing == []
    # Called with reply_to by the worker: each send takes it.
    assert "reply_to" in inspect.signature(sender.send).parameters
