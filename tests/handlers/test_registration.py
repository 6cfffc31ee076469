"""Consent and sign-up, through the engine and a real database."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from handlers.engine import Engine
from storage.models import AuditEntry, ChannelIdentity, Profile, StaffRole, User
from tests.handlers.conftest import Chat, register
from tests.handlers.test_notices import join


async def count(chat: Chat, model: type) -> int:
    async with chat.engine.sessions() as session:
        return await session.scalar(select(func.count()).select_from(model)) or 0


async def profile_of(chat: Chat) -> Profile | None:
    async with chat.engine.sessions() as session:
        return await session.scalar(select(Profile))


async def test_first_contact_shows_the_data_notice_with_a_choice(chat: Chat) -> None:
    await chat.command("start")
    assert "Công dân học tập" in chat.text
    assert "Bên kiểm soát dữ liệu" in chat.text
    assert [b.label for b in chat.buttons] == ["Đồng ý", "Không đồng ý"]


async def test_declining_consent_stores_nothing_personal(chat: Chat) -> None:
    await chat.command("start")
    await chat.press("Không đồng ý")
    assert "không lưu thông tin cá nhân" in chat.text
    assert await count(chat, Profile) == 0
    assert await count(chat, User) == 0
    assert await count(chat, ChannelIdentity) == 0


async def test_consent_is_recorded_with_time_and_notice_version(chat: Chat, clock) -> None:
    await chat.command("start")
    await chat.send("dong y")  # typed without accents
    profile = await profile_of(chat)
    assert profile is not None
    assert profile.consent_at == clock.now
    assert profile.notice_version == chat.engine.settings.notice_version
    assert "Họ và tên" in chat.text
    async with chat.engine.sessions() as session:
        actions = list(await session.scalars(select(AuditEntry.action)))
    assert actions == ["consent.given"]


async def test_full_registration(chat: Chat) -> None:
    await register(chat)
    profile = await profile_of(chat)
    assert profile is not None
    assert profile.full_name == "Nguyễn Thị Lan"
    assert profile.birth_year == 1968
    assert profile.target_group == "residents"
    assert chat.engine.content.units.get(profile.commune_code).name == "Phường Hải Châu"
    assert profile.subunit_name == "Tổ 5"
    assert profile.is_registered
    assert "Đăng ký xong" in chat.text


async def test_name_and_birth_year_are_checked(chat: Chat) -> None:
    await chat.run(["/start", "#Đồng ý"])
    await chat.send("12345")
    assert "chỉ gồm chữ cái" in chat.text and "Họ và tên" in chat.text
    await chat.send("  Trần   Văn  Bình ")
    await chat.send("năm 1850")
    assert chat.text == "Ông/Bà gõ năm sinh từ 1916 đến 2020, ví dụ 1958."  # one line
    await chat.send("abc")  # the second miss in a row: whom to ask as well
    line, contact = chat.text.split("\n")
    assert line == "Ông/Bà gõ năm sinh từ 1916 đến 2020, ví dụ 1958."
    assert contact.startswith("Cần người giúp?")
    await chat.send("sinh năm 1980")
    assert "nhóm đối tượng" in chat.text
    profile = await profile_of(chat)
    assert (profile.full_name, profile.birth_year) == ("Trần Văn Bình", 1980)


async def test_a_name_typed_in_small_letters_is_written_as_a_name(chat: Chat) -> None:
    await chat.run(["/start", "#Đồng ý", "nguyễn văn bá"])
    assert (await profile_of(chat)).full_name == "Nguyễn Văn Bá"
    await chat.command("start")
    await chat.run(["/delete", "#Xóa hết", "/start", "#Đồng ý", "NGUYỄN VĂN BÁ"])
    assert (await profile_of(chat)).full_name == "NGUYỄN VĂN BÁ"  # capitals kept as typed


async def test_under_sixteen_needs_a_guardian(chat: Chat) -> None:
    await chat.run(["/start", "#Đồng ý", "Lê Minh Khang", "2014"])
    assert "dưới 16 tuổi" in chat.text
    await chat.press("Hủy đăng ký")
    assert await count(chat, Profile) == 0
    await chat.run(["/start", "#Đồng ý", "Lê Minh Khang", "2014", "#Đã xác nhận"])
    assert "Chưa có xác nhận" in chat.text  # a tap by the child is no consent
    profile = await profile_of(chat)
    assert profile.guardian_consent is False


async def guardian_code(chat: Chat) -> str:
    found = re.search(r"/guardian (\d{5} \d{5})", chat.text)
    assert found, chat.text
    return found.group(1)


async def test_a_guardian_consents_from_their_own_chat(chat: Chat) -> None:
    await chat.run(["/start", "#Đồng ý", "Lê Minh Khang", "2014"])
    code = await guardian_code(chat)
    await chat.command("guardian", code)  # not from the child's own account
    assert "từ điện thoại của họ" in chat.text

    parent = Chat(chat.engine, user="me-khang", channel="zalo_bot")
    await parent.command("guardian", "00000 00000" if code != "00000 00000" else "11111 11111")
    assert "không đúng hoặc đã hết hạn" in parent.text
    await parent.command("guardian", code)  # their first words to the bot
    assert "Lê Minh Khang, sinh năm 2014" in parent.text
    assert [b.label for b in parent.buttons] == [
        "Tôi là cha mẹ/người giám hộ và đồng ý",
        "Không đồng ý",
    ]
    await parent.payload("paper")  # forged: only staff are offered to record a paper form
    assert (await profile_of(chat)).guardian_consent is False
    await parent.press("Tôi là cha mẹ")
    profile = await profile_of(chat)
    assert (profile.guardian_consent, profile.guardian_consent_how) == (True, "chat")
    assert profile.guardian_consent_by not in (None, profile.user_id)

    await chat.payload("check")  # "Đã xác nhận, tiếp tục", as the notice says
    assert "nhóm đối tượng" in chat.text
    assert len(chat.buttons) == 1  # the learners' group only
    async with chat.engine.sessions() as session:
        rows = await session.execute(select(AuditEntry.action, AuditEntry.details))
        assert ("consent.guardian", {"how": "chat"}) in [tuple(r) for r in rows]


async def test_an_officer_records_a_signed_paper_form(chat: Chat, bot_engine: Engine) -> None:
    officer = await join(bot_engine, "officer", StaffRole.OFFICER, "20242")
    await chat.run(["/start", "#Đồng ý", "Lê Minh Khang", "2014"])
    await officer.command("guardian", await guardian_code(chat))
    await officer.press("Cán bộ: ghi nhận giấy đồng ý")
    profile = await profile_of(chat)
    assert (profile.guardian_consent, profile.guardian_consent_how) == (True, "paper")
    await officer.command("guardian", await guardian_code(chat))  # used up
    assert "không đúng hoặc đã hết hạn" in officer.text


async def test_group_by_typed_label_without_accents(chat: Chat) -> None:
    await chat.run(["/start", "#Đồng ý", "Phạm Văn Tư", "1990"])
    await chat.send("nguoi lao dong")
    assert (await profile_of(chat)).target_group == "workers"


async def test_old_commune_name_leads_to_the_new_commune(chat: Chat) -> None:
    await chat.run(["/start", "#Đồng ý", "Võ Thị Hoa", "1975", "#Người dân"])
    await chat.send("dien hong")
    # One old commune of exactly that name: confirmed, not picked from a list.
    assert "Xã Điện Bàn Tây (trước đây: Xã Điện Hồng (Điện Bàn)), đúng không?" in chat.text
    assert [b.label for b in chat.buttons] == ["Đúng", "Gõ lại tên khác"]
    await chat.send("dạ đúng rồi")
    await chat.press("Bỏ qua")
    profile = await profile_of(chat)
    assert chat.engine.content.units.get(profile.commune_code).name == "Xã Điện Bàn Tây"
    assert profile.subunit_name is None


async def test_unknown_commune_is_asked_again(chat: Chat) -> None:
    await chat.run(["/start", "#Đồng ý", "Võ Thị Hoa", "1975", "#Người dân"])
    await chat.send("zzzz qqqq")
    assert "Không tìm thấy" in chat.text
    await chat.send("hoa cuong")
    await chat.press_nth(1)
    assert "thôn hoặc tổ dân phố" in chat.text


async def test_a_commune_link_preselects_the_commune(chat: Chat) -> None:
    commune = next(iter(chat.engine.content.units.communes.values()))
    await chat.command("start", f"c_{commune.code}")
    await chat.run(["#Đồng ý", "Hà Văn Sơn", "1960", "#Người dân"])
    assert "thôn hoặc tổ dân phố" in chat.text  # the commune question is skipped
    await chat.press("Bỏ qua")
    assert (await profile_of(chat)).commune_code == commune.code
    assert commune.name in chat.text


async def test_a_link_to_an_unknown_commune_is_ignored(chat: Chat) -> None:
    await chat.command("start", "c_99999")
    await chat.run(["#Đồng ý", "Hà Văn Sơn", "1960", "#Người dân"])
    assert "xã/phường nào" in chat.text


async def test_a_first_message_of_any_kind_is_greeted(chat: Chat) -> None:
    replies = await chat.send("xin chào")
    assert "Xin chào" in replies[0].text and "bấm một nút" not in chat.text
    assert [b.label for b in chat.buttons] == ["Đồng ý", "Không đồng ý"]
    await chat.send("xin chào")  # now it is an answer to the notice, and not one
    # Age not known yet: the respectful form.
    assert chat.text == "Ông/Bà bấm một nút bên dưới, hoặc gõ vài chữ của câu trả lời."


async def test_an_old_district_lists_some_of_its_communes_and_says_so(chat: Chat) -> None:
    await chat.run(["/start", "#Đồng ý", "Võ Thị Hoa", "1975", "#Người dân"])
    await chat.send("thang binh")  # today's Xã Thăng Bình first, before the old district
    assert chat.text == (
        "Anh/Chị ở Xã Thăng Bình, đúng không?\n"
        'Muốn xem các xã/phường của Huyện Thăng Bình cũ, anh/chị gõ "Huyện Thăng Bình".'
    )
    await chat.send("huyen thang binh")  # the district only: a new search
    assert "Tên huyện cũ này gồm nhiều xã/phường; đây là 5 trong số đó" in chat.text
    labels = [b.label for b in chat.buttons]
    assert len(labels) == 6 and labels[-1] == "Gõ lại tên khác"
    assert not any("trước đây: Huyện" in b.label for b in chat.buttons)
    await chat.send("tam xuan mot")  # a new search, a number in words
    assert "Xã Tam Xuân (trước đây: Xã Tam Xuân 1 (Núi Thành)), đúng không?" in chat.text
    await chat.press("Gõ lại tên khác")
    await chat.send("tra giap bac tra my")  # a commune that kept its name has no "before"
    assert "Anh/Chị ở Xã Trà Giáp, đúng không?" in chat.text
    await chat.send("1")
    assert "thôn hoặc tổ dân phố" in chat.text


async def test_the_groups_are_listed_once_as_short_options(chat: Chat) -> None:
    await chat.run(["/start", "#Đồng ý", "Võ Thị Hoa", "1975"])
    [question] = chat.replies
    labels = [b.label for b in question.buttons]
    assert len(labels) == 4 and all(len(label) <= 40 for label in labels)
    assert not any(label in question.text for label in labels)  # in the options only
    await chat.send("can bo cong chuc vien chuc nguoi lao dong trong co quan")  # the full name
    assert (await profile_of(chat)).target_group == "officials"
