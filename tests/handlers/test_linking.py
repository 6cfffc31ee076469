"""One person on two apps: `/link` on one shows a code, the code sent from the other attaches
it; their data, conversation and messages follow them."""

from __future__ import annotations

import asyncio
import re

from sqlalchemy import func, select

from content import Content
from handlers.engine import Engine
from handlers.events import EventKind
from storage.db import create_engine, make_sessionmaker
from storage.models import (
    Answer,
    AuditEntry,
    ChannelIdentity,
    LinkCode,
    OutboxMessage,
    StaffRole,
    User,
)
from storage.repositories import export, links
from tests.handlers.conftest import REGISTER, Chat, Clock, register
from tests.handlers.test_notices import join, submit


def telegram(engine: Engine, user: str = "an") -> Chat:
    return Chat(engine, user=user, channel="telegram")


def zalo(engine: Engine, user: str = "an-zalo") -> Chat:
    return Chat(engine, user=user, channel="zalo_bot")


async def code_of(chat: Chat) -> str:
    await chat.command("link")
    found = re.search(r"MÃ LIÊN KẾT: (\d{5} \d{5})", chat.text)
    assert found, chat.text
    return found.group(1)


async def owners(engine: Engine) -> dict[tuple[str, str], int]:
    """Each identity's person."""
    async with engine.sessions() as session:
        rows = await session.execute(
            select(
                ChannelIdentity.channel, ChannelIdentity.external_user_id, ChannelIdentity.user_id
            )
        )
        return {(channel, who): user for channel, who, user in rows}


async def people(engine: Engine) -> int:
    async with engine.sessions() as session:
        return await session.scalar(select(func.count()).select_from(User))


async def test_a_citizen_moves_mid_assessment_and_goes_on_from_the_same_question(
    bot_engine: Engine,
) -> None:
    tele, phone = telegram(bot_engine), zalo(bot_engine)
    await register(tele)
    first, second = bot_engine.content.criteria_for("residents", 2026).indicators[:2]
    await tele.press("Bắt đầu")
    await tele.payload(f"{first.id}:0")  # the first indicator answered on Telegram
    question = tele.replies[-1].text
    code = await code_of(tele)
    assert f"/link {code}" in tele.text and f"lien ket {code}" in tele.text

    await phone.command("link", code)  # its very first message on Zalo

    assert "Đã liên kết!" in phone.text
    assert phone.replies[-1].text == question  # the same question, now on Zalo
    ids = await owners(bot_engine)
    assert ids[("zalo_bot", "an-zalo")] == ids[("telegram", "an")]
    assert await people(bot_engine) == 1  # Zalo's empty start is gone
    await phone.payload(f"{second.id}:0")
    async with bot_engine.sessions() as session:
        answers = await session.scalar(select(func.count()).select_from(Answer))
    assert answers == 2  # one answer from each app, in one assessment
    # Telegram is told, with a way to undo it if it was not them.
    async with bot_engine.sessions() as session:
        [warning] = await session.scalars(
            select(OutboxMessage).where(
                OutboxMessage.channel == "telegram", OutboxMessage.kind == "notice"
            )
        )
    assert "vừa được liên kết thêm" in warning.payload["text"]


async def test_the_typed_phrase_without_accents_links_too(bot_engine: Engine) -> None:
    tele, phone = telegram(bot_engine), zalo(bot_engine)
    await register(tele)
    code = await code_of(tele)
    await phone.send(f"Liên kết {code[:3]} {code[3:]}")
    assert "Đã liên kết!" in phone.text and "TRANG CHÍNH" in phone.text
    await phone.send("lien ket")  # without a code: a code of its own, to link a third app
    assert "MÃ LIÊN KẾT" in phone.text


async def test_a_code_works_once_and_only_for_ten_minutes(bot_engine: Engine, clock: Clock) -> None:
    tele = telegram(bot_engine)
    await register(tele)
    code = await code_of(tele)
    clock.advance(minutes=11)
    late = zalo(bot_engine)
    await late.command("link", code)
    assert "không đúng hoặc đã hết hạn" in late.text
    assert "Đã liên kết" not in late.text

    code = await code_of(tele)
    await late.command("link", code)
    assert "Đã liên kết!" in late.text
    other = zalo(bot_engine, "someone-else")
    await other.command("link", code)
    assert "không đúng hoặc đã hết hạn" in other.text
    ids = await owners(bot_engine)
    assert ids[("zalo_bot", "someone-else")] != ids[("telegram", "an")]


async def test_wrong_codes_are_refused_counted_and_limited(
    bot_engine: Engine, clock: Clock
) -> None:
    tele, phone = telegram(bot_engine), zalo(bot_engine)
    await register(tele)
    code = await code_of(tele)
    wrong = "0000000000" if code != "00000 00000" else "1111111111"
    await phone.command("link", "12345")  # a slip of the finger is no guess
    assert "kiểm tra lại 10 chữ số" in phone.text
    for _ in range(links.WRONG_GUESSES_PER_PERSON):
        await phone.command("link", wrong)
        assert "không đúng hoặc đã hết hạn" in phone.text
    await phone.command("link", code)  # right, but too late for this person
    assert "nhập sai mã liên kết nhiều lần" in phone.text
    async with bot_engine.sessions() as session:
        guesses = await session.scalar(
            select(func.count()).where(AuditEntry.action == links.WRONG_CODE)
        )
    assert guesses == links.WRONG_GUESSES_PER_PERSON

    clock.advance(minutes=16)
    code = await code_of(tele)
    await phone.command("link", code)
    assert "Đã liên kết!" in phone.text


async def test_refused_tries_use_up_only_that_code(bot_engine: Engine) -> None:
    tele = telegram(bot_engine)
    await register(tele)
    code = await code_of(tele)
    for n in range(links.TRIES_PER_CODE):  # people with data of their own, refused
        holder = zalo(bot_engine, f"holder-{n}")
        await register(holder)
        await holder.command("link", code)
        assert "không gộp hai hồ sơ" in holder.text
    phone = zalo(bot_engine)
    await phone.command("link", code)  # used up by those tries
    assert "không đúng hoặc đã hết hạn" in phone.text
    await phone.command("link", await code_of(tele))  # a new code is fine
    assert "Đã liên kết!" in phone.text


async def test_fifty_wrong_guesses_from_ten_accounts_leave_a_live_code_working(
    bot_engine: Engine,
) -> None:
    tele = telegram(bot_engine)
    await register(tele)
    code = await code_of(tele)
    for n in range(10):
        guesser = zalo(bot_engine, f"guesser-{n}")
        for k in range(links.WRONG_GUESSES_PER_PERSON):
            guess = f"{n}{k}".zfill(links.CODE_DIGITS)
            await guesser.command("link", guess if guess != code.replace(" ", "") else "9" * 10)
    phone = zalo(bot_engine)
    await phone.command("link", code)
    assert "Đã liên kết!" in phone.text


async def test_two_histories_are_never_merged(bot_engine: Engine) -> None:
    tele, phone = telegram(bot_engine), zalo(bot_engine)
    await register(tele)
    await register(phone)  # registered on Zalo separately
    code = await code_of(tele)
    await phone.command("link", code)
    assert "không gộp hai hồ sơ" in phone.text and "/delete" in phone.text
    ids = await owners(bot_engine)
    assert ids[("zalo_bot", "an-zalo")] != ids[("telegram", "an")]

    # The way out offered: delete the data on Zalo, then send the same code again.
    await phone.command("delete")
    await phone.press("Xóa hết")
    await phone.command("link", code)
    assert "Đã liên kết!" in phone.text
    ids = await owners(bot_engine)
    assert ids[("zalo_bot", "an-zalo")] == ids[("telegram", "an")]


async def test_an_officer_without_a_profile_is_not_merged_either(bot_engine: Engine) -> None:
    tele = telegram(bot_engine)
    await register(tele)
    officer = await join(bot_engine, "officer", StaffRole.OFFICER, "20242")  # console
    await officer.command("link", await code_of(tele))
    assert "không gộp hai hồ sơ" in officer.text


async def test_a_code_sent_on_its_own_app_or_to_linked_apps_is_explained(
    bot_engine: Engine,
) -> None:
    tele, phone = telegram(bot_engine), zalo(bot_engine)
    await register(tele)
    code = await code_of(tele)
    await tele.command("link", code)
    assert "cần được gửi trên ứng dụng kia" in tele.text
    await phone.command("link", code)  # still usable: refusals do not use it up
    assert "Đã liên kết!" in phone.text
    await phone.command("link", await code_of(tele))
    assert "đã được liên kết với nhau rồi" in phone.text
    second = zalo(bot_engine, "second-zalo-account")
    await second.command("link", await code_of(tele))
    assert "liên kết với một tài khoản khác trên ứng dụng này" in second.text


async def test_unlink_detaches_this_app_and_the_data_stays_with_the_other(
    bot_engine: Engine,
) -> None:
    tele, phone = telegram(bot_engine), zalo(bot_engine)
    await register(tele)
    await phone.command("unlink")
    assert "chưa liên kết với ứng dụng nào khác" in phone.text
    await phone.command("link", await code_of(tele))
    await phone.send("huy lien ket")
    assert "Đã gỡ liên kết" in phone.text
    ids = await owners(bot_engine)
    assert ids[("zalo_bot", "an-zalo")] != ids[("telegram", "an")]
    await tele.command("result")
    assert "chưa có bản tự đánh giá" in tele.text  # still registered on Telegram
    await phone.command("menu")
    assert "cần hoàn tất đăng ký" in phone.text  # a fresh start on Zalo
    await tele.command("unlink")
    assert "chưa liên kết với ứng dụng nào khác" in tele.text  # never the last one


async def test_the_warned_app_can_undo_a_link_it_did_not_make(bot_engine: Engine) -> None:
    tele, intruder = telegram(bot_engine), zalo(bot_engine, "intruder")
    await register(tele)
    await intruder.command("link", await code_of(tele))
    async with bot_engine.sessions() as session:
        [warning] = await session.scalars(
            select(OutboxMessage).where(
                OutboxMessage.channel == "telegram", OutboxMessage.kind == "notice"
            )
        )
    [[label, payload]] = warning.payload["buttons"]
    assert label == "Không phải tôi, gỡ liên kết"
    await tele.payload(payload)
    assert "Đã gỡ liên kết ứng dụng kia" in tele.text
    ids = await owners(bot_engine)
    assert ids[("zalo_bot", "intruder")] != ids[("telegram", "an")]
    await tele.payload(payload)  # pressed again, or forged for someone else's identity
    assert "không còn dùng được" in tele.text


async def test_an_officers_notices_go_to_the_app_they_used_last(
    bot_engine: Engine, clock: Clock
) -> None:
    officer = await join(bot_engine, "officer", StaffRole.OFFICER, "20242")  # console
    phone = zalo(bot_engine, "officer-zalo")
    await phone.command("link", await code_of(officer))
    citizen = telegram(bot_engine, "citizen")
    await submit(citizen)
    assert await submission_notices(bot_engine) == [("zalo_bot", "chat-officer-zalo")]

    clock.advance(minutes=2)
    await officer.command("pending")  # back on the console
    await submit(
        telegram(bot_engine, "citizen-2"), ["/start", "#Đồng ý", "Trần Văn Minh", *CITIZEN]
    )
    assert await submission_notices(bot_engine) == [
        ("zalo_bot", "chat-officer-zalo"),
        ("console", "chat-officer"),  # one message each time, on the app used last
    ]


CITIZEN = ["1970", "#Người dân", "hai chau", "#Đúng", "Tổ 6"]


async def submission_notices(engine: Engine) -> list[tuple[str, str]]:
    """Where notices of submissions went, in order."""
    async with engine.sessions() as session:
        rows = await session.execute(
            select(OutboxMessage.channel, OutboxMessage.chat_id)
            .where(OutboxMessage.kind == "notice", OutboxMessage.about_user_id.is_not(None))
            .order_by(OutboxMessage.id)
        )
        return [tuple(row) for row in rows]


async def test_export_and_erasure_cover_every_identity(bot_engine: Engine) -> None:
    tele, phone = telegram(bot_engine), zalo(bot_engine)
    await register(tele)
    await phone.command("link", await code_of(tele))
    await code_of(phone)  # a live code is erased too
    user_id = (await owners(bot_engine))[("telegram", "an")]
    async with bot_engine.sessions() as session:
        data = await export.person(session, user_id)
    assert data is not None
    assert {c["channel"] for c in data["channels"]} == {"telegram", "zalo_bot"}

    await phone.command("delete")
    await phone.press("Xóa hết")
    assert "Đã xóa toàn bộ dữ liệu" in phone.text
    assert await owners(bot_engine) == {}
    assert await people(bot_engine) == 0
    async with bot_engine.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(LinkCode)) == 0


async def test_two_apps_of_one_person_at_one_moment_apply_one_after_the_other(
    db_url: str, engine, content: Content, clock: Clock
) -> None:
    """One conversation, two apps: two names typed at the name question, one on each app,
    handled at the same moment by two processes. The second must see the first's change."""
    other_db = create_engine(db_url)
    try:
        first = Engine(make_sessionmaker(engine), content, clock=clock)
        second = Engine(make_sessionmaker(other_db), content, clock=clock)
        for n in range(4):
            tele, phone = telegram(first, f"race{n}"), zalo(second, f"race{n}-zalo")
            await tele.run(REGISTER[:2])
            await phone.command("link", await code_of(tele))
            assert "Họ và tên" in phone.text
            a = tele.event(EventKind.TEXT, text="Nguyễn Văn Một")
            b = phone.event(EventKind.TEXT, text="Trần Thị Hai")
            one, two = await asyncio.gather(first.handle(a), second.handle(b))
            said = ["\n".join(r.text for r in o.replies) for o in (one, two)]
            assert sum("gõ năm sinh từ" in text for text in said) == 1, said
    finally:
        await other_db.dispose()
