"""A submission reaches the officers responsible for the citizen, in their language."""

from __future__ import annotations

from sqlalchemy import select

from handlers.engine import Engine
from storage.models import AuditEntry, OutboxMessage, Profile, StaffRole, utcnow
from storage.repositories import staff
from tests.handlers.conftest import REGISTER, Chat, register


async def join(
    engine: Engine,
    name: str,
    role: StaffRole,
    commune: str | None = None,
    unit: int | None = None,
    *,
    english: bool = False,
) -> Chat:
    officer = Chat(engine, user=name)
    async with engine.sessions() as session, session.begin():
        code = await staff.invite(
            session, role=role, commune_code=commune, unit_id=unit, now=utcnow()
        )
    await officer.command("officer", code)
    if english:
        await officer.command("lang")
        await officer.press("English")
    return officer


async def submit(chat: Chat, steps: list[str] | None = None) -> None:
    await register(chat, steps)
    await answer_and_submit(chat)


async def answer_and_submit(chat: Chat) -> None:
    """From a registered person's menu: every indicator at its lowest, then submitted."""
    await chat.press("Bắt đầu")
    for indicator in chat.engine.content.criteria_for("residents", 2026).indicators:
        if indicator.number_input is not None:
            await chat.send(str(indicator.number_input.bands[0].min))  # the lowest band
        else:
            await chat.payload(f"{indicator.id}:0")
    await chat.press("Nộp bản tự đánh giá")
    await chat.press("Nộp ngay")
    assert "Đã nộp" in chat.text


async def notices(chat: Chat, officer: str) -> list[str]:
    async with chat.engine.sessions() as session:
        rows = await session.scalars(
            select(OutboxMessage).where(
                OutboxMessage.chat_id == f"chat-{officer}", OutboxMessage.kind == "notice"
            )
        )
        return [r.payload["text"] for r in rows]


async def test_the_communes_officer_is_told_with_what_to_look_at(
    chat: Chat, bot_engine: Engine
) -> None:
    await join(bot_engine, "officer", StaffRole.OFFICER, "20242")
    await join(bot_engine, "admin", StaffRole.ADMIN)
    await submit(chat)
    [notice] = await notices(chat, "officer")
    assert "Nguyễn Thị Lan, sinh năm 1968" in notice and "Tổ 5, Phường Hải Châu" in notice
    assert "Tổng điểm:" in notice and "Chỉ số dưới 5 điểm:" in notice
    assert "Chưa có minh chứng: 1, 2, 3, 4, 5, 6, 7, 8, 9, 10" in notice
    assert await notices(chat, "admin") == []  # the commune has its own officer


async def test_a_units_officer_comes_first_then_the_commune_then_the_admins(
    chat: Chat, bot_engine: Engine
) -> None:
    async with bot_engine.sessions() as session, session.begin():
        unit = await staff.add_unit(
            session, commune_code="20242", name="Tổ dân phố 7", kind="village", now=utcnow()
        )
    await join(bot_engine, "unit-officer", StaffRole.OFFICER, "20242", unit.id)
    await join(bot_engine, "commune-officer", StaffRole.OFFICER, "20242")
    await submit(chat, [*REGISTER[:-1], "#Tổ dân phố 7"])
    async with bot_engine.sessions() as session:
        assert await session.scalar(select(Profile.unit_id)) == unit.id
    assert len(await notices(chat, "unit-officer")) == 1
    assert await notices(chat, "commune-officer") == []

    other = Chat(bot_engine, user="hoa")
    await submit(other, [*REGISTER[:2], "Trần Thị Hoa", *REGISTER[3:]])  # no unit chosen
    assert len(await notices(chat, "commune-officer")) == 1


async def test_with_nobody_in_the_commune_the_admins_are_told_in_their_language(
    chat: Chat, bot_engine: Engine
) -> None:
    await join(bot_engine, "admin", StaffRole.ADMIN, english=True)
    await join(bot_engine, "elsewhere", StaffRole.OFFICER, "20257")
    await submit(chat)
    [notice] = await notices(chat, "admin")
    assert notice.startswith("A new self-assessment to verify")
    assert await notices(chat, "elsewhere") == []


async def test_revoked_officers_are_not_told_and_unrouted_submissions_are_noted(
    chat: Chat, bot_engine: Engine
) -> None:
    await join(bot_engine, "officer", StaffRole.OFFICER, "20242")
    async with bot_engine.sessions() as session, session.begin():
        [role] = await staff.roles(session)
        await staff.revoke(session, role.id, utcnow())
    await submit(chat)
    assert await notices(chat, "officer") == []
    async with bot_engine.sessions() as session:
        actions = list(await session.scalars(select(AuditEntry.action)))
    assert "assessment.unrouted" in actions


async def test_erasing_a_citizen_erases_the_notices_about_them(
    chat: Chat, bot_engine: Engine
) -> None:
    officer = await join(bot_engine, "officer", StaffRole.OFFICER, "20242")
    await submit(chat)
    assert len(await notices(chat, "officer")) == 1
    await chat.command("delete")
    await chat.press("Xóa hết")
    assert await notices(chat, "officer") == []
    async with bot_engine.sessions() as session:
        texts = [r.payload["text"] for r in await session.scalars(select(OutboxMessage))]
    assert not any("Nguyễn Thị Lan" in t for t in texts)
    await officer.command("help")  # the officer is untouched
    assert "HƯỚNG DẪN" in officer.text


async def test_a_unit_verifies_only_the_groups_of_its_kind_else_the_commune_does(
    chat: Chat, bot_engine: Engine
) -> None:
    async with bot_engine.sessions() as session, session.begin():
        village = await staff.add_unit(
            session, commune_code="20242", name="Tổ dân phố 7", kind="village", now=utcnow()
        )
        school = await staff.add_unit(
            session, commune_code="20242", name="Trường THCS Lê Lợi", kind="school", now=utcnow()
        )
    await join(bot_engine, "village-officer", StaffRole.OFFICER, "20242", village.id)
    teacher = await join(bot_engine, "school-officer", StaffRole.OFFICER, "20242", school.id)
    commune = await join(bot_engine, "commune-officer", StaffRole.OFFICER, "20242")

    # A resident is offered the village, not the school.
    await chat.run(REGISTER[:-1])
    assert [b.label for b in chat.buttons] == ["Tổ dân phố 7", "Bỏ qua"]
    pupil = Chat(bot_engine, user="pupil")
    await pupil.run([*REGISTER[:2], "Lê Văn Nam", REGISTER[3], "#Học sinh", *REGISTER[5:7]])
    assert [b.label for b in pupil.buttons] == ["Trường THCS Lê Lợi", "Bỏ qua"]

    # A resident whose unit is a school (their group changed, say) goes to the commune.
    await chat.press("Tổ dân phố 7")
    async with bot_engine.sessions() as session, session.begin():
        profile = await session.scalar(select(Profile).where(Profile.full_name == "Nguyễn Thị Lan"))
        profile.unit_id = school.id
    await submit(chat, ["/menu"])
    assert await notices(chat, "school-officer") == []
    assert await notices(chat, "village-officer") == []
    assert len(await notices(chat, "commune-officer")) == 1
    # The school's officer neither sees it in the queue nor may open it; the commune's does.
    await teacher.command("pending")
    assert "Không có bản tự đánh giá nào" in teacher.text
    await commune.command("pending")
    assert commune.buttons[0].label.startswith("Nguyễn Thị Lan")
    await teacher.payload(commune.buttons[0].payload)
    assert "không có quyền" in teacher.text
