"""Becoming an officer in the chat with a one-time invite."""

from __future__ import annotations

from sqlalchemy import select

from storage.models import AuditEntry, Staff, StaffRole, utcnow
from storage.repositories import staff
from tests.handlers.conftest import REGISTER, Chat, register


async def new_invite(
    chat: Chat, role: StaffRole = StaffRole.OFFICER, commune: str | None = "20242"
) -> str:
    async with chat.engine.sessions() as session, session.begin():
        return await staff.invite(
            session, role=role, commune_code=commune, unit_id=None, now=utcnow()
        )


async def roles(chat: Chat) -> list[Staff]:
    async with chat.engine.sessions() as session:
        return list(await session.scalars(select(Staff)))


async def actions(chat: Chat) -> list[str]:
    async with chat.engine.sessions() as session:
        return list(await session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))


async def test_an_officer_joins_with_the_code_and_stays_where_they_were(chat: Chat) -> None:
    await register(chat)
    code = await new_invite(chat)
    await chat.command("officer", code)
    assert "cán bộ xác minh của Phường Hải Châu" in chat.text
    assert "TRANG CHÍNH" in chat.text  # back where they were
    [role] = await roles(chat)
    assert (role.role, role.commune_code) == ("officer", "20242")
    assert "staff.joined" in await actions(chat)
    await chat.command("officer", code)  # the same code again
    assert "đã được dùng" in chat.text
    assert len(await roles(chat)) == 1


async def test_an_admin_joins_from_a_start_link_on_first_contact(chat: Chat) -> None:
    code = await new_invite(chat, StaffRole.ADMIN, commune=None)
    await chat.command("start", f"o_{code}")
    assert "quản trị viên của Thành phố Đà Nẵng" in chat.text
    # An officer need not be a citizen: the officers' menu, not the citizens' consent notice.
    assert "VIỆC CỦA CÁN BỘ" in chat.text and "THÔNG BÁO VỀ DỮ LIỆU" not in chat.text
    await chat.send("xin chào")
    assert "VIỆC CỦA CÁN BỘ" in chat.text and "THÔNG BÁO VỀ DỮ LIỆU" not in chat.text
    [role] = await roles(chat)
    assert (role.role, role.commune_code) == ("admin", None)


async def test_a_wrong_or_missing_code_is_refused_and_noted(chat: Chat) -> None:
    await chat.run(REGISTER[:3])
    await chat.command("officer", "khong-dung")
    assert "Mã mời không đúng" in chat.text and "sinh năm nào" in chat.text
    await chat.command("officer")
    assert "/officer kèm mã mời" in chat.text
    await chat.payload("*officer")  # a forged button
    assert await roles(chat) == []
    assert (await actions(chat)).count("staff.invite_refused") == 1
    async with chat.engine.sessions() as session:
        details = list(await session.scalars(select(AuditEntry.details)))
    assert not any("khong-dung" in str(d) for d in details)  # the tried code is not kept
