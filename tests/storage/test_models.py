"""Schema guarantees the engine and handlers rely on, checked on each backend."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError, StatementError

from storage.models import (
    Answer,
    Assessment,
    AuditEntry,
    Base,
    ChannelIdentity,
    Conversation,
    OutboxMessage,
    ProcessedEvent,
    Profile,
    User,
)
from storage.repositories import audit, outbox
from tests.storage.factories import T0, Sessions, create_user

HANOI = timezone(timedelta(hours=7))


async def test_datetimes_are_stored_in_utc_and_come_back_aware(session_factory: Sessions) -> None:
    local = datetime(2025, 3, 1, 15, 30, 45, 123456, tzinfo=HANOI)  # 08:30:45Z
    async with session_factory() as session, session.begin():
        session.add(User(id=1, created_at=local))

    async with session_factory() as session:
        user = await session.get_one(User, 1)
        # Comparing in SQL proves the stored value is UTC, not the Hanoi wall clock.
        found = await session.scalar(
            select(User.id).where(
                User.created_at > datetime(2025, 3, 1, 8, 30, tzinfo=UTC),
                User.created_at < datetime(2025, 3, 1, 8, 31, tzinfo=UTC),
            )
        )

    assert user.created_at == local
    assert user.created_at.tzinfo is UTC
    assert found == 1


async def test_a_naive_datetime_is_refused(session_factory: Sessions) -> None:
    async with session_factory() as session:
        session.add(User(created_at=datetime(2025, 3, 1, 8, 0)))
        with pytest.raises(StatementError, match="naive datetime"):
            await session.flush()


@dataclass
class Owners:
    user_id: int
    assessment_id: int


def _assessment(user_id: int, year: int) -> Assessment:
    return Assessment(
        user_id=user_id,
        year=year,
        criteria_set_id="citizen",
        criteria_set_version="2025.1",
        target_group="citizen",
    )


# Each builder returns a row, a sibling sharing one part of its key, and a duplicate of it.
Rows = tuple[Base, Base, Base]


def _identities(owners: Owners) -> Rows:
    def row(channel: str) -> Base:
        return ChannelIdentity(
            user_id=owners.user_id, channel=channel, external_user_id="42", chat_id="42"
        )

    return row("telegram"), row("zalo"), row("telegram")


def _processed_events(_owners: Owners) -> Rows:
    def row(channel: str) -> Base:
        return ProcessedEvent(channel=channel, event_id="1001", processed_at=T0)

    return row("telegram"), row("zalo"), row("telegram")


def _assessments(owners: Owners) -> Rows:
    return (
        _assessment(owners.user_id, 2025),
        _assessment(owners.user_id, 2026),
        _assessment(owners.user_id, 2025),
    )


def _answers(owners: Owners) -> Rows:
    def row(indicator_id: str) -> Base:
        return Answer(assessment_id=owners.assessment_id, indicator_id=indicator_id, points=1)

    return row("A1"), row("A2"), row("A1")


@pytest.mark.parametrize(
    ("build", "key_columns"),
    [
        (_identities, ["channel", "external_user_id"]),
        (_processed_events, ["channel", "event_id"]),
        (_assessments, ["user_id", "year"]),
        (_answers, ["assessment_id", "indicator_id"]),
    ],
    ids=["identities", "processed_events", "assessments", "answers"],
)
async def test_unique_keys(
    session_factory: Sessions, build: Callable[[Owners], Rows], key_columns: list[str]
) -> None:
    user_id = await create_user(session_factory)
    async with session_factory() as session, session.begin():
        assessment = _assessment(user_id, 2024)
        session.add(assessment)
        await session.flush()
        row, sibling, duplicate = build(Owners(user_id, assessment.id))
        session.add_all([row, sibling])

    async with session_factory() as session:
        session.add(duplicate)
        with pytest.raises(IntegrityError) as raised:
            await session.commit()

    # The violated constraint is the composite key, not some other one.
    assert all(column in str(raised.value) for column in key_columns)


async def test_foreign_keys_are_enforced(session_factory: Sessions) -> None:
    async with session_factory() as session:
        session.add(
            ChannelIdentity(user_id=404, channel="telegram", external_user_id="1", chat_id="1")
        )
        with pytest.raises(IntegrityError):
            await session.commit()


async def test_deleting_a_user_removes_their_data_and_keeps_anonymous_traces(
    session_factory: Sessions,
) -> None:
    user_id = await create_user(session_factory)
    async with session_factory() as session, session.begin():
        assessment = _assessment(user_id, 2025)
        assessment.answers.append(Answer(indicator_id="A1", points=2))
        session.add_all(
            [
                ChannelIdentity(
                    user_id=user_id, channel="telegram", external_user_id="42", chat_id="42"
                ),
                Profile(user_id=user_id, consent_at=T0, notice_version="1"),
                Conversation(user_id=user_id, flow="menu", step="main"),
                assessment,
            ]
        )
        await session.flush()
        await outbox.enqueue(
            session,
            [outbox.NewMessage(user_id, "telegram", "42", "notice", {"text": "Tạm biệt"})],
            T0,
        )
        await audit.record(
            session, [audit.NewEntry(user_id, "privacy.delete", f"user:{user_id}")], T0
        )

    async with session_factory() as session, session.begin():
        await session.delete(await session.get_one(User, user_id))

    async with session_factory() as session:
        for model in (User, ChannelIdentity, Profile, Conversation, Assessment, Answer):
            assert await session.scalar(select(func.count()).select_from(model)) == 0, model
        farewell = (await session.scalars(select(OutboxMessage))).one()
        entry = (await session.scalars(select(AuditEntry))).one()
    assert farewell.user_id is None
    assert farewell.chat_id == "42"
    assert entry.actor_user_id is None
