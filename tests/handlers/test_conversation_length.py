"""Issue 14's targets for registering and submitting, on each kind of channel: counted on the
scripted happy path that bench/conversation.py prints."""

from __future__ import annotations

import pytest

from bench.conversation import ACTIONS_MAX, KINDS, MESSAGES_MAX, happy_path
from content import Content
from handlers.engine import Engine


@pytest.mark.parametrize("kind", list(KINDS))
async def test_register_and_submit_within_the_targets(
    bot_engine: Engine, content: Content, kind: str
) -> None:
    counts = await happy_path(bot_engine, content, kind)
    assert counts.actions <= ACTIONS_MAX, counts
    assert counts.messages <= MESSAGES_MAX, counts
