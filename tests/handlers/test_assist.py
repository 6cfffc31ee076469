"""Assisted entry: an officer takes the questionnaire for a person beside them. Consent in
person with the officer as witness, every answer entered by the officer, a claim code at
the end, and the officer's own conversation back."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from handlers.actions import Reason, review
from handlers.engine import Engine
from storage.models import (
    Answer,
    Assessment,
    AuditEntry,
    ChannelIdentity,
    Profile,
    StaffRole,
    User,
)
from tests.handlers.actions_helpers import act, actor, refused
from tests.handlers.conftest import Chat, register
from tests.handlers.test_notices import answer_and_submit, join, notices

# The person's registration, typed by the officer: the officer's commune is preset.
PERSON = ["Lê Thị Hoa", "1950", "#Người dân", "Tổ 5"]


async def citizen_of(engine: Engine) -> Profile:
    """The one profile without a chat."""
    async with engine.sessions() as session:
        return await session.scalar(
            select(Profile).where(
                ~select(ChannelIdentity.id)
                .where(ChannelIdentity.user_id == Profile.user_id)
                .exists()
            )
        )


async def test_an_officer_takes_the_questionnaire_for_someone_and_gets_their_code(
    bot_engine: Engine,
) -> None:
    officer = await join(bot_engine, "officer", StaffRole.OFFICER, "20242")
    await join(bot_engine, "admin", StaffRole.ADMIN)
    await officer.command("staff")
    me = (await actor(officer)).user_id

    await officer.command("assist")
    assert "NHẬP HỘ" in officer.text and "THÔNG BÁO VỀ DỮ LIỆU CÁ NHÂN" in officer.text
    await officer.send("1")  # numbered, as on Zalo: the person agrees
    assert "Họ và tên" in officer.text
    await officer.run(PERSON)
    assert "Đăng ký xong" in officer.text
    await answer_and_submit(officer)

    found = re.search(r"MÃ NHẬN HỒ SƠ: (\d{4} \d{4} \d{4})", officer.text)
    assert found, officer.text
    assert officer.replies[-1].text.startswith("VIỆC CỦA CÁN BỘ")  # their own menu again
    assert "TRANG CHÍNH:" not in officer.text  # not the person's
    hoa = await citizen_of(bot_engine)
    assert (hoa.full_name, hoa.commune_code) == ("Lê Thị Hoa", "20242")
    assert (hoa.consent_how, hoa.consent_witness) == ("in_person", me)
    async with bot_engine.sessions() as session:
        a = await session.scalar(select(Assessment).where(Assessment.user_id == hoa.user_id))
        assert (a.source, a.entered_by, a.status) == ("assisted", me, "submitted")
        entered = await session.scalars(
            select(Answer.entered_by).where(Answer.assessment_id == a.id)
        )
        assert set(entered) == {me}
        consent = await session.scalar(
            select(AuditEntry).where(AuditEntry.action == "consent.given")
        )
        assert consent.actor_user_id == me and consent.details["for_user"] == hoa.user_id
        assert consent.details["how"] == "in_person"
    # Whoever entered it may not decide it: the scope above is told, and they are refused.
    assert len(await notices(officer, "admin")) == 1
    assert not [n for n in await notices(officer, "officer") if "cần xác minh" in n]
    assert refused(
        await act(bot_engine, review.approve, await actor(officer), a.id), Reason.ENTERED
    )

    phone = Chat(bot_engine, user="hoa", channel="telegram")
    await phone.command("start", "claim-" + found.group(1).replace(" ", ""))
    await phone.send("1950")
    assert "Đã nhận hồ sơ!" in phone.text
    assert "đã nộp, đang chờ" in phone.text


async def test_assisting_survives_a_restart_and_an_unfinished_person_is_not_kept(
    bot_engine: Engine, session_factory, content, clock
) -> None:
    officer = await join(bot_engine, "officer", StaffRole.OFFICER, "20242")
    await officer.command("staff")
    await officer.command("assist")
    await officer.press("Người dân đồng ý")
    await officer.send("Lê Thị Hoa")

    restarted = Chat(Engine(session_factory, content, clock=clock), user="officer")
    await restarted.send("1950")
    assert "Người dân" in " ".join(b.label for b in restarted.buttons)  # the group question
    await restarted.command("delete")  # not the person's own step: refused
    assert "Trong lúc nhập hộ" in restarted.text
    await restarted.command("assist")  # the end

    assert "không được lưu" in restarted.text
    assert restarted.replies[-1].text.startswith("VIỆC CỦA CÁN BỘ")
    async with bot_engine.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(User)) == 1


async def test_a_registered_person_keeps_their_record_when_the_officer_stops_early(
    bot_engine: Engine,
) -> None:
    officer = await join(bot_engine, "officer", StaffRole.OFFICER, "20242")
    await officer.command("assist")
    await officer.press("Người dân đồng ý")
    await officer.run(PERSON)
    await officer.command("assist")  # registered, not yet assessed: they go on in their chat

    assert "MÃ NHẬN HỒ SƠ" in officer.text
    hoa = await citizen_of(bot_engine)
    assert hoa.is_registered


async def test_the_person_may_decline_and_citizens_cannot_assist(
    bot_engine: Engine, chat: Chat
) -> None:
    officer = await join(bot_engine, "officer", StaffRole.OFFICER, "20242")
    await officer.command("assist")
    await officer.press("Người dân không đồng ý")
    assert "Không tạo hồ sơ" in officer.text
    await register(chat)
    await chat.command("assist")
    assert "dành cho cán bộ" in chat.text
    async with bot_engine.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(User)) == 2


async def test_the_person_stays_in_the_assisting_officers_commune(bot_engine: Engine) -> None:
    officer = await join(bot_engine, "officer", StaffRole.OFFICER, "20242")
    await officer.command("assist")
    await officer.press("Người dân đồng ý")
    await officer.run(PERSON)
    await officer.command("profile")  # the person's details, corrected by the officer
    await officer.press("Sửa xã/phường")
    await officer.send("Thanh Khê")
    await officer.press_nth(1)

    assert "xã/phường mình phụ trách" in officer.text
    hoa = await citizen_of(bot_engine)
    assert hoa.commune_code == "20242"  # still routed to the officer's own commune
