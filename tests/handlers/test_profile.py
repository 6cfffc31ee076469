"""Correcting one's details: the name confirmed at registration, then 'My details' with its
rules before submission, after submission and after approval."""

from __future__ import annotations

from sqlalchemy import select

from handlers.engine import Engine
from storage.models import Assessment, AuditEntry, Certificate, Profile
from tests.handlers.conftest import REGISTER, Chat, register
from tests.handlers.test_certificates import approve
from tests.handlers.test_review import submitted_to_officer, told


async def profile_of(engine: Engine) -> Profile:
    async with engine.sessions() as session:
        return await session.scalar(select(Profile))


async def audited(engine: Engine) -> list[tuple[str, dict]]:
    async with engine.sessions() as session:
        rows = await session.execute(select(AuditEntry.action, AuditEntry.details))
        return [(action, details) for action, details in rows]


async def correct(chat: Chat, item: str, *answers: str) -> None:
    """From 'My details', correct one item with these answers ('#label' presses)."""
    await chat.command("profile")
    assert "THÔNG TIN CỦA ANH/CHỊ" in chat.text
    await chat.press(item)
    await chat.run(answers)


async def test_the_name_is_confirmed_with_a_hint_to_type_accents(chat: Chat) -> None:
    await chat.run([*REGISTER[:2], "tran van  ba"])
    assert "Họ tên: Tran Van Ba — đúng không?" in chat.text
    assert "nên gõ họ tên có dấu" in chat.text and "sinh năm nào" in chat.text
    await chat.press("Sửa họ tên")
    await chat.send("Trần Văn Ba")
    assert "Họ tên: Trần Văn Ba — đúng không?" in chat.text
    assert "có dấu" not in chat.text
    await chat.run(REGISTER[3:])
    assert (await profile_of(chat.engine)).full_name == "Trần Văn Ba"


async def test_before_submission_every_detail_changes(chat: Chat) -> None:
    await register(chat)
    await chat.command("menu")
    await chat.press("Thông tin của tôi")
    assert "- Họ tên: Nguyễn Thị Lan" in chat.text and "- Thôn/đơn vị: Tổ 5" in chat.text

    await chat.press("Sửa họ tên")
    await chat.send("Nguyễn Thị Lan Anh")
    assert "Đã sửa." in chat.text and "- Họ tên: Nguyễn Thị Lan Anh" in chat.text
    await chat.press("Sửa năm sinh")
    assert "đúng không" not in chat.text  # no confirmation of the name when correcting
    await chat.send("1969")
    await correct(chat, "Sửa xã/phường", "hoa cuong", "#Đúng")
    assert "thôn hoặc tổ dân phố" in chat.text  # the old village was in the old commune
    await chat.send("Tổ 9")
    await correct(chat, "Sửa nhóm", "#Người lao động")

    p = await profile_of(chat.engine)
    assert (p.full_name, p.birth_year, p.subunit_name, p.target_group) == (
        "Nguyễn Thị Lan Anh",
        1969,
        "Tổ 9",
        "workers",
    )
    assert p.commune_code != "20242"
    assert [d["field"] for a, d in await audited(chat.engine) if a == "profile.changed"] == [
        "name",
        "birth_year",
        "commune",
        "subunit",
        "group",
    ]


async def test_a_new_group_starts_an_answered_draft_over(chat: Chat) -> None:
    await register(chat)
    await chat.press("Bắt đầu")
    await chat.press_nth(1)
    await correct(chat, "Sửa nhóm", "#Người lao động")
    assert "đã được bỏ" in chat.text
    async with chat.engine.sessions() as session:
        assert await session.scalar(select(Assessment)) is None
    await chat.command("menu")
    await chat.press("Bắt đầu")
    async with chat.engine.sessions() as session:
        assert (await session.scalar(select(Assessment))).target_group == "workers"


async def test_after_submission_the_officer_gets_a_note_and_commune_needs_an_officer(
    chat: Chat, bot_engine: Engine
) -> None:
    officer, _ = await submitted_to_officer(chat, bot_engine)
    await correct(chat, "Sửa họ tên", "Nguyễn Thị Lành")
    assert "Cán bộ đang xác minh" in chat.text
    notes = [t for t in await told(officer) if t.startswith("Ghi chú")]
    assert len(notes) == 1 and "- Họ tên: Nguyễn Thị Lành" in notes[0]

    await correct(chat, "Sửa xã/phường", "hoa cuong", "#Đúng")
    assert "cần cán bộ Hội Khuyến học thực hiện" in chat.text
    assert (await profile_of(bot_engine)).commune_code == "20242"
    assert "profile.change_refused" in [a for a, _ in await audited(bot_engine)]


async def test_after_approval_a_new_name_reissues_the_certificate(
    chat: Chat, bot_engine: Engine
) -> None:
    await approve(chat, bot_engine)
    async with bot_engine.sessions() as session:
        first = await session.scalar(select(Certificate))
    assert first is not None and first.version == 1

    await correct(chat, "Sửa họ tên", "Nguyễn Thị Lành")
    assert f"Giấy chứng nhận số {first.number} đã được cấp lại" in chat.text
    sent = [r for r in chat.replies if r.attachment is not None]
    assert sent and sent[0].attachment.document == f"certificate:{first.code}"
    await correct(chat, "Sửa năm sinh", "1970")
    async with bot_engine.sessions() as session:
        again = await session.scalar(select(Certificate))
    assert (again.id, again.number, again.code) == (first.id, first.number, first.code)
    assert (again.full_name, again.birth_year, again.version) == ("Nguyễn Thị Lành", 1970, 3)
    assert again.reissued_at is not None
    reissued = [d for a, d in await audited(bot_engine) if a == "certificate.reissued"]
    assert reissued == [{"version": 2, "field": "name"}, {"version": 3, "field": "birth_year"}]

    await correct(chat, "Sửa nhóm", "#Người lao động")
    assert "cần cán bộ Hội Khuyến học thực hiện" in chat.text
    await correct(chat, "Sửa thôn/đơn vị", "Tổ 7")  # not on the certificate: just changes
    assert "Đã sửa." in chat.text
    async with bot_engine.sessions() as session:
        assert (await session.scalar(select(Certificate))).version == 3


async def test_under_16_the_learners_group_stays(chat: Chat) -> None:
    await register(chat)
    await correct(chat, "Sửa năm sinh", "2014")  # no guardian has consented
    assert "dưới 16 tuổi" in chat.text
    assert (await profile_of(chat.engine)).birth_year == 1968
