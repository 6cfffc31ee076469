"""Fixtures of the delivery tests."""

from __future__ import annotations

import pytest

from tests.bot.test_delivery import Platform
from tests.bot.virtual_time import VirtualTime
from tests.storage.factories import T0, Sessions, create_user


@pytest.fixture
def platform() -> Platform:
    return Platform(VirtualTime(T0))


@pytest.fixture
async def user_id(session_factory: Sessions) -> int:
    # Messages of a known person: those of a deleted one are not kept once finished.
    return await create_user(session_factory)
