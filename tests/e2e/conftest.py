"""What the end-to-end tests share."""

from __future__ import annotations

import pytest

from content import Content, load_content


@pytest.fixture(scope="session")
def content() -> Content:
    return load_content()


@pytest.fixture
def brisk_chats(monkeypatch: pytest.MonkeyPatch) -> None:
    """For tests about what arrives, not when: their people answer faster than anyone types,
    so the per-chat pace (about a message a second, tested in tests/bot) is relaxed."""
    monkeypatch.setattr("bot.delivery.pacing.CHAT_INTERVAL", 0.01)
