"""A notice's buttons (answers, evidence, approve, return, reject) work from any step and are
checked on the server; the evidence comes back to the officer as the citizen's own files."""

from __future__ import annotations

from sqlalchemy import select

from handlers.engine import Engine
from storage.models import Assessment, AssessmentStatus, OutboxMessage, StaffRole
from tests.handlers.conftest import Chat
from tests.handlers.test_notices import join
from tests.handlers.test_review import audited, state, submit, submitted_to_officer


async def notice_buttons(chat: Chat, officer: str) -> list[tuple[str, str]]:
    async with chat.engine.sessions() as session:
        [notice] = await session.scalars(
            select(OutboxMessage).where(
                OutboxMessage.chat_id == f"chat-{officer}", OutboxMessage.kind == "notice"
            )
        )
    return [(label, payload) for label, payload in notice.payload["buttons"]]


async def test_the_notice_offers_every_action_and_each_works(
    chat: Chat, bot_engine: Engine
) -> None:
    officer, a = await submitted_to_officer(chat, bot_engine)
    buttons = await notice_buttons(chat, "officer")
    assert buttons == [
        ("Xem câu trả lời", f"*review:{a.id}"),
        ("Xem minh chứng", f"*evidence:{a.id}"),
        ("Duyệt", f"*approve:{a.id}"),
        ("Trả lại để sửa", f"*return:{a.id}"),
        ("Từ chối", f"*reject:{a.id}"),
    ]
    await officer.command("help")  # the officer is elsewhere when they press the notice
    await officer.payload(f"*review:{a.id}")
    assert "BẢN TỰ ĐÁNH GIÁ NĂM 2026" in officer.text
    await officer.payload(f"*return:{a.id}")
    assert "Chọn các chỉ số người dân cần sửa" in officer.text
    await officer.payload(f"*reject:{a.id}")
    assert "lý do từ chối" in officer.text
    await officer.payload(f"*approve:{a.id}")
    assert "Duyệt bản tự đánh giá của Nguyễn Thị Lan" in officer.text
    await officer.press("Duyệt")
    assert (await state(bot_engine)).status == AssessmentStatus.APPROVED
    await officer.payload(f"*reject:{a.id}")  # an old notice, pressed after the decision
    assert "đã được quyết định trước" in officer.text
    assert (await state(bot_engine)).status == AssessmentStatus.APPROVED


async def test_evidence_comes_as_the_citizens_files_captioned_with_their_indicator(
    chat: Chat, bot_engine: Engine
) -> None:
    officer, a = await submitted_to_officer(
        chat, bot_engine, files={1: ["the-thu-vien.jpg", "giay-xac-nhan.pdf"], 4: ["lop-hoc.jpg"]}
    )
    await officer.payload(f"*evidence:{a.id}")
    files = [r for r in officer.replies if r.attachment is not None]
    assert [(r.text, r.attachment.ref, r.attachment.kind) for r in files] == [
        ("Chỉ số 1, minh chứng 1/3", "file-the-thu-vien.jpg", "photo"),
        ("Chỉ số 1, minh chứng 2/3", "file-giay-xac-nhan.pdf", "document"),
        ("Chỉ số 4, minh chứng 3/3", "file-lop-hoc.jpg", "photo"),
    ]
    # Erasing the citizen erases what is still queued about them.
    assert {r.about_user_id for r in officer.replies} == {a.user_id}
    assert "Đã gửi 3 tệp minh chứng của Nguyễn Thị Lan." in officer.text
    assert [b.payload for b in officer.buttons][2] == f"*approve:{a.id}"


async def test_evidence_is_refused_out_of_scope_and_said_when_there_is_none(
    chat: Chat, bot_engine: Engine
) -> None:
    officer = await join(bot_engine, "officer", StaffRole.OFFICER, "20242")
    elsewhere = await join(bot_engine, "elsewhere", StaffRole.OFFICER, "20257")
    await submit(chat, files={2: ["so-tay.jpg"]})
    a = await state(bot_engine)
    await elsewhere.payload(f"*evidence:{a.id}")
    assert "không có quyền" in elsewhere.text
    assert not any(r.attachment for r in elsewhere.replies)
    await chat.payload(f"*evidence:{a.id}")  # the citizen forging an officer's button
    assert not any(r.attachment for r in chat.replies)
    assert (await audited(bot_engine)).count("review.refused") == 2

    other = Chat(bot_engine, user="hoa")
    await submit(other, name="Trần Thị Hoa")
    async with bot_engine.sessions() as session:
        hoa = await session.scalar(select(Assessment.id).order_by(Assessment.id.desc()))
    await officer.payload(f"*review:{hoa}")
    assert "Xem minh chứng" not in [b.label for b in officer.buttons]
    await officer.payload(f"*evidence:{hoa}")
    assert "Trần Thị Hoa chưa gửi minh chứng nào." in officer.text
