"""A record an officer entered is taken over in chat with the code on its receipt and the
person's birth year: by the receipt's QR link on Telegram, or typed on Zalo."""

from __future__ import annotations

from sqlalchemy import func, select

from handlers.actions import Actor, Reason, claims, review
from handlers.engine import Engine
from storage.models import Assessment, AuditEntry, ChannelIdentity, StaffRole, User
from storage.repositories import claims as codes
from tests.handlers.actions_helpers import act, actor, refused
from tests.handlers.conftest import REGISTER, Chat, register
from tests.handlers.paper_records import claim_code, paper_citizen, village
from tests.handlers.test_notices import join

KEY = b""  # the engine's default settings


async def owner(engine: Engine, chat: Chat) -> int | None:
    async with engine.sessions() as session:
        return await session.scalar(
            select(ChannelIdentity.user_id).where(ChannelIdentity.external_user_id == chat.user)
        )


async def audited(engine: Engine, action: str) -> int:
    async with engine.sessions() as session:
        return await session.scalar(
            select(func.count()).select_from(AuditEntry).where(AuditEntry.action == action)
        )


async def test_the_receipts_link_takes_the_record_over_with_its_result_and_certificate(
    bot_engine: Engine,
) -> None:
    unit = await village(bot_engine)
    admin = await join(bot_engine, "admin", StaffRole.ADMIN)
    ba = await paper_citizen(bot_engine, unit)
    async with bot_engine.sessions() as session:
        assessment_id = await session.scalar(select(Assessment.id).where(Assessment.user_id == ba))
    await act(bot_engine, review.approve, await actor(admin), assessment_id)
    code = await claim_code(bot_engine, ba)

    phone = Chat(bot_engine, user="ba", channel="telegram")
    await phone.command("start", f"claim-{code}")  # the QR code's link: the first message
    assert "sinh năm nào" in phone.text
    await phone.send("1958")

    assert "Đã nhận hồ sơ!" in phone.text
    assert "BẢN TỰ ĐÁNH GIÁ NĂM 2026" in phone.text
    assert any(r.attachment is not None for r in phone.replies)  # the certificate
    assert await owner(bot_engine, phone) == ba
    async with bot_engine.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(User)) == 2  # + admin
    assert await audited(bot_engine, "claim.taken") == 1
    await phone.command("result")
    assert "đã được công nhận" in phone.text
    await phone.send(codes.shown(code))  # used up: a registered chat's digits are no code
    assert "Mã nhận hồ sơ" not in phone.text


async def test_a_code_typed_on_zalo_needs_the_right_birth_year(bot_engine: Engine) -> None:
    ba = await paper_citizen(bot_engine, await village(bot_engine))
    code = await claim_code(bot_engine, ba)
    zalo = Chat(bot_engine, user="ba-zalo", channel="zalo_bot")

    await zalo.send(codes.shown(code))  # the very first words, as the receipt says
    assert "sinh năm nào" in zalo.text
    await zalo.send("năm 1960")
    assert "không khớp" in zalo.text and "2 lần" in zalo.text
    await zalo.send("1958")

    assert "Đã nhận hồ sơ!" in zalo.text
    assert await owner(bot_engine, zalo) == ba


async def test_three_wrong_birth_years_void_the_code(bot_engine: Engine) -> None:
    ba = await paper_citizen(bot_engine, await village(bot_engine))
    code = await claim_code(bot_engine, ba)
    guesser = Chat(bot_engine, user="guesser")
    await guesser.send(f"nhan ho so {code}")
    for year in ("1950", "1951", "1952"):
        await guesser.send(year)
    assert "không còn dùng được" in guesser.text
    assert "biên nhận mới" in guesser.text

    await guesser.send(f"nhan ho so {code}")
    assert "không đúng" in guesser.text  # void, even with the right year next
    assert await owner(bot_engine, guesser) != ba


async def test_wrong_codes_are_limited_per_sender(bot_engine: Engine) -> None:
    ba = await paper_citizen(bot_engine, await village(bot_engine))
    code = await claim_code(bot_engine, ba)
    guesser = Chat(bot_engine, user="guesser")
    wrong = str((int(code) + 1) % 10**12).zfill(12)
    for _ in range(5):
        await guesser.command("claim", wrong)
        assert "không đúng" in guesser.text
    await guesser.command("claim", code)
    assert "sai mã nhận hồ sơ nhiều lần" in guesser.text
    assert await audited(bot_engine, codes.WRONG_CODE) == 5


async def test_a_chat_with_its_own_record_is_refused_and_the_code_still_works(
    bot_engine: Engine, chat: Chat
) -> None:
    ba = await paper_citizen(bot_engine, await village(bot_engine))
    code = await claim_code(bot_engine, ba)
    await register(chat)

    await chat.send(f"nhan ho so {codes.shown(code)}")

    assert "đã có hồ sơ riêng" in chat.text and "/delete" in chat.text
    assert "TRANG CHÍNH" in chat.text  # back where they were
    assert await owner(bot_engine, chat) != ba

    other = Chat(bot_engine, user="ba-2")
    await other.command("claim")  # alone: the code is asked for
    assert "mã nhận hồ sơ" in other.text
    await other.send(code)
    await other.send("1958")
    assert await owner(bot_engine, other) == ba


async def test_a_started_but_unregistered_chat_may_claim(bot_engine: Engine) -> None:
    ba = await paper_citizen(bot_engine, await village(bot_engine))
    code = await claim_code(bot_engine, ba)
    zalo = Chat(bot_engine, user="ba-zalo", channel="zalo_bot")
    await zalo.run(REGISTER[:3])  # consented, gave a name, then found the receipt
    await zalo.send(code)
    await zalo.send("1958")
    assert "Đã nhận hồ sơ!" in zalo.text
    async with bot_engine.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(User)) == 1


async def test_receipts_are_for_the_units_people_without_a_chat_and_replace_old_codes(
    bot_engine: Engine,
) -> None:
    unit = await village(bot_engine)
    ba = await paper_citizen(bot_engine, unit, name="Trần Văn Ba")
    await paper_citizen(bot_engine, unit, name="Lê Thị An", birth_year=1949)
    await paper_citizen(bot_engine, await village(bot_engine, "Thôn Khác"), name="Ngoài Thôn")
    old = await claim_code(bot_engine, ba)
    in_chat = Chat(bot_engine, user="lan")
    await register(in_chat, [*REGISTER[:-1], "#Thôn Phú Sơn"])  # the unit's chatting citizen

    done = await act(bot_engine, claims.receipts, Actor.operator(), unit.code, key=KEY)

    assert [(s.full_name, s.birth_year) for s in done.slips] == [
        ("Lê Thị An", 1949),
        ("Trần Văn Ba", 1958),
    ]
    async with bot_engine.sessions() as session:
        assert await codes.find(session, old, KEY) is None  # the earlier receipt is void
        assert (await codes.find(session, done.slips[1].code, KEY)).user_id == ba
    elsewhere = await join(bot_engine, "elsewhere", StaffRole.OFFICER, "20257")
    outside = await act(bot_engine, claims.receipts, await actor(elsewhere), unit.code, key=KEY)
    assert refused(outside, Reason.NOT_FOUND)


async def test_a_communes_receipts_cover_all_its_units_for_its_officers_only(
    bot_engine: Engine,
) -> None:
    await paper_citizen(bot_engine, await village(bot_engine), name="Trần Văn Ba")
    await paper_citizen(bot_engine, await village(bot_engine, "Thôn Khác"), name="Lê Thị An")
    commune_officer = await actor(await join(bot_engine, "officer", StaffRole.OFFICER, "20242"))

    done = await act(bot_engine, claims.receipts, commune_officer, "20242", key=KEY)

    assert done.name == "Phường Hải Châu"
    assert [(s.full_name, s.place) for s in done.slips] == [
        ("Lê Thị An", "Thôn Khác"),
        ("Trần Văn Ba", "Thôn Phú Sơn"),
    ]
    elsewhere = await actor(await join(bot_engine, "elsewhere", StaffRole.OFFICER, "20257"))
    assert refused(
        await act(bot_engine, claims.receipts, elsewhere, "20242", key=KEY), Reason.NOT_FOUND
    )
    assert refused(
        await act(bot_engine, claims.receipts, commune_officer, "99999", key=KEY), Reason.NOT_FOUND
    )
