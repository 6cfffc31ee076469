"""Small builders shared by the storage tests."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.db import create_engine
from storage.models import (
    Assessment,
    ChannelIdentity,
    Conversation,
    OutboxMessage,
    Profile,
    SkillCheck,
    User,
)
from storage.repositories import outbox

T0 = datetime(2025, 3, 1, 8, 0, tzinfo=UTC)

Sessions = async_sessionmaker[AsyncSession]


async def create_user(session_factory: Sessions) -> int:
    async with session_factory() as session, session.begin():
        user = User(created_at=T0)
        session.add(user)
        await session.flush()
        return user.id


async def enqueue(
    session_factory: Sessions,
    chats: Sequence[str],
    *,
    kind: str = "answer",
    channel: str = "telegram",
    user_id: int | None = None,
) -> list[int]:
    """One message to each chat listed, in that order, texted "<chat>:<position>"; returns
    their outbox ids."""
    async with session_factory() as session, session.begin():
        before = await session.scalar(select(func.max(OutboxMessage.id))) or 0
        await outbox.enqueue(
            session,
            [
                outbox.NewMessage(user_id, channel, chat, kind, {"text": f"{chat}:{n}"})
                for n, chat in enumerate(chats)
            ],
            T0,
        )
        ids = await session.scalars(
            select(OutboxMessage.id).where(OutboxMessage.id > before).order_by(OutboxMessage.id)
        )
        return list(ids)


def chat_of(user_id: int) -> str:
    """A person's chat id: a number, as Telegram's are."""
    return str(1_000_000 + user_id)


async def create_person(
    session_factory: Sessions,
    *,
    commune: str | None = "20242",
    unit_id: int | None = None,
    group: str | None = "residents",
    locale: str = "vi",
    opted_out: bool = False,
    unreachable: bool = False,
    active_at: datetime = T0,
    assessment: str | None = None,
    year: int = 2025,
    skills: str | None = None,
    channel: str = "telegram",
) -> int:
    """A registered person reachable on one chat (`chat_of` their user id), with what a
    broadcast segment may look at; returns their user id."""
    async with session_factory() as session, session.begin():
        user = User(locale=locale, created_at=T0)
        session.add(user)
        await session.flush()
        session.add_all(
            [
                ChannelIdentity(
                    user_id=user.id,
                    channel=channel,
                    external_user_id=chat_of(user.id),
                    chat_id=chat_of(user.id),
                    created_at=T0,
                    last_seen_at=T0,
                    unreachable_at=T0 if unreachable else None,
                ),
                Profile(
                    user_id=user.id,
                    full_name=f"Người {user.id}",
                    birth_year=1980,
                    target_group=group,
                    commune_code=commune,
                    unit_id=unit_id,
                    consent_at=T0,
                    notice_version="2026-01",
                    opted_out=opted_out,
                    registered_at=T0,
                ),
                Conversation(
                    user_id=user.id, flow="menu", step="main", data={}, updated_at=active_at
                ),
            ]
        )
        if assessment is not None:
            session.add(
                Assessment(
                    user_id=user.id,
                    year=year,
                    criteria_set_id="2023",
                    criteria_set_version="1",
                    target_group=group or "residents",
                    status=assessment,
                )
            )
        if skills is not None:
            session.add(
                SkillCheck(
                    user_id=user.id,
                    framework_version="v1",
                    overall=skills,
                    started_at=T0,
                    finished_at=T0,
                )
            )
        return user.id


async def populate_postgres(url: str, count: int) -> None:
    """The same people as `populate_sqlite` (chats as `chat_of` gives them), written by the
    PostgreSQL server itself into a database at ``url`` migrated to head. Ids continue after
    those already there."""
    db = create_engine(url)
    people = "generate_series(CAST(:first AS integer), CAST(:last AS integer)) AS i"
    async with db.begin() as connection:
        first = (await connection.scalar(text("SELECT max(id) FROM users")) or 0) + 1
        values = {"first": first, "last": first + count - 1, "at": T0}
        await connection.execute(
            text(f"INSERT INTO users (id, locale, created_at) SELECT i, 'vi', :at FROM {people}"),
            values,
        )
        await connection.execute(text("SELECT setval('users_id_seq', (SELECT max(id) FROM users))"))
        await connection.execute(
            text(
                "INSERT INTO channel_identities (user_id, channel, external_user_id, chat_id,"
                " created_at, last_seen_at) SELECT i, 'telegram', (1000000 + i)::text,"
                f" (1000000 + i)::text, :at, :at FROM {people}"
            ),
            values,
        )
        await connection.execute(
            text(
                "INSERT INTO profiles (user_id, full_name, birth_year, target_group,"
                " commune_code, guardian_consent, consent_at, notice_version, opted_out,"
                " registered_at, updated_at) SELECT i, 'Người ' || i, 1980, 'residents',"
                f" '20242', false, :at, '2026-01', false, :at, :at FROM {people}"
            ),
            values,
        )
    await db.dispose()


def populate_sqlite(path: str, count: int, *, chunk: int = 20_000) -> None:
    """``count`` registered people of Phường Hải Châu, each on a Telegram chat of their own
    (`chat_of`), written straight into an SQLite file migrated to head: fast enough for a
    million, in flat memory. Ids continue after those already there."""
    stamp = T0.strftime("%Y-%m-%d %H:%M:%S.%f")
    with sqlite3.connect(path) as db:
        first = (db.execute("SELECT max(id) FROM users").fetchone()[0] or 0) + 1
        for start in range(first, first + count, chunk):
            ids = range(start, min(start + chunk, first + count))
            db.executemany(
                "INSERT INTO users (id, locale, created_at) VALUES (?, 'vi', ?)",
                ((i, stamp) for i in ids),
            )
            db.executemany(
                "INSERT INTO channel_identities (user_id, channel, external_user_id, chat_id,"
                " created_at, last_seen_at) VALUES (?, 'telegram', ?, ?, ?, ?)",
                ((i, chat_of(i), chat_of(i), stamp, stamp) for i in ids),
            )
            db.executemany(
                "INSERT INTO profiles (user_id, full_name, birth_year, target_group,"
                " commune_code, guardian_consent, consent_at, notice_version, opted_out,"
                " registered_at, updated_at) VALUES (?, ?, 1980, 'residents', '20242', 0, ?,"
                " '2026-01', 0, ?, ?)",
                ((i, f"Người {i}", stamp, stamp, stamp) for i in ids),
            )
            db.commit()
