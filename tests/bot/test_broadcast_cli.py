"""The broadcast commands' times and progress: a past --at is refused, quiet hours are
checked at the time chosen (the clock is set, never today's), --follow prints lines where
no bar can be drawn, and the `none` status covers people who have not finished
registering."""

from __future__ import annotations

import asyncio
from datetime import datetime
from pathlib import Path

import pytest
import time_machine
from sqlalchemy import update
from typer.testing import CliRunner

from bot.cli import app
from bot.cli.broadcast_options import describe, follow_progress
from handlers.context import LOCAL_TZ
from storage import migrate
from storage.models import Profile, utcnow
from storage.repositories import broadcasts, segments
from storage.repositories.segments import NOT_STARTED, Segment
from tests.storage.factories import Sessions, create_person

runner = CliRunner()
# 23:00 in Vietnam: inside the quiet hours 21:00-07:00.
LATE = datetime(2026, 12, 6, 23, 0, 20, tzinfo=LOCAL_TZ)


def test_send_at_refuses_the_past_and_checks_quiet_hours_at_the_time_chosen(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'b.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("QUIET_HOURS", "21:00-07:00")
    migrate.upgrade(url)

    def run(*args: str) -> tuple[int, str]:
        result = runner.invoke(app, ["broadcast", *args])
        return result.exit_code, result.output

    with time_machine.travel(LATE, tick=False):
        for _ in range(4):
            assert run("create", "--text", "Họp chi hội")[0] == 0
        code, out = run("send", "1", "--at", "2026-12-06 22:59")
        assert code == 2 and "in the past (it is 2026-12-06 23:00 now)" in out
        # Tomorrow morning: not quiet then, though it is quiet now.
        code, out = run("send", "1", "--at", "2026-12-07 10:00")
        assert code == 0 and "scheduled for 2026-12-07 10:00" in out
        assert "quiet hours" not in out
        code, out = run("send", "2", "--at", "2026-12-07 22:30")
        assert code == 0 and "quiet hours (21:00-07:00): sending begins at 07:00" in out
        code, out = run("send", "3", "--at", "2026-12-06 23:00")  # this very minute
        assert code == 0 and "quiet hours" in out
    with time_machine.travel(LATE.replace(hour=9), tick=False):
        code, out = run("send", "4", "--at", "2026-12-06 21:30")
        assert code == 0 and "quiet hours" in out


async def test_follow_prints_one_line_per_change_where_no_bar_can_be_drawn(
    db_url: str, session_factory: Sessions
) -> None:
    await create_person(session_factory)
    async with session_factory() as session, session.begin():
        b = await broadcasts.create(
            session, text="x", segment=Segment(), author_user_id=None, now=utcnow()
        )
        broadcasts.schedule(b, utcnow(), utcnow())
    lines: list[str] = []

    async def cancel_later() -> None:
        while len(lines) < 1:
            await asyncio.sleep(0.01)
        await asyncio.sleep(0.1)  # several more polls with nothing new
        async with session_factory() as session, session.begin():
            found = await broadcasts.get(session, b.id, lock=True)
            assert found is not None
            await broadcasts.cancel(session, found, utcnow())

    canceller = asyncio.create_task(cancel_later())
    assert await follow_progress(db_url, b.id, every=0.01, lines=lines.append)
    await canceller

    assert len(lines) == 2, lines
    assert lines[0].startswith(f"broadcast {b.id}: 0/1 scheduled: sent 0")
    assert lines[1].startswith(f"broadcast {b.id}: 0/1 cancelled: sent 0")
    assert not await follow_progress(db_url, 999, lines=lines.append)


async def test_none_covers_people_who_have_not_finished_registering(
    session_factory: Sessions,
) -> None:
    await create_person(session_factory)
    halfway = await create_person(session_factory)
    await create_person(session_factory, assessment="draft", year=2026)
    async with session_factory() as session, session.begin():
        await session.execute(
            update(Profile).where(Profile.user_id == halfway).values(registered_at=None)
        )
    chosen = Segment(statuses=(NOT_STARTED,), year=2026)

    async with session_factory() as session:
        audience = await segments.audience(session, chosen)

    # The registered one and the one half-way, not the one with a draft.
    assert audience.total == 2
    assert (
        describe(chosen) == "everyone; assessment 2026 none (no self-assessment, registered or not)"
    )
