"""Approving with adjusted points: each with a reason, the result recomputed with the pass
rules, a failing one refused; the citizen's own answers stay as they gave them."""

from __future__ import annotations

from sqlalchemy import select

from handlers.engine import Engine
from storage.models import Answer, AssessmentStatus, AuditEntry, StaffRole
from tests.handlers.conftest import Chat
from tests.handlers.test_notices import join
from tests.handlers.test_review import audited, state, submit, submitted_to_officer, told

REASON = "Chưa có giấy xác nhận của chi hội"


async def test_adjust_then_approve_records_the_adjustment_and_tells_the_citizen_why(
    chat: Chat, bot_engine: Engine
) -> None:
    officer, a = await submitted_to_officer(chat, bot_engine)
    await officer.payload(f"*review:{a.id}")
    await officer.press("Điều chỉnh điểm")
    [label] = [b.label for b in officer.buttons if b.label.startswith("2. Có kế hoạch học tập: ")]
    assert label.endswith(": 10 điểm")  # the answer in words, then the points
    await officer.press("2.")
    assert "Người dân trả lời: Có, và đã làm theo" in officer.text
    assert [b.label for b in officer.buttons][:2] == [
        "10 điểm: Có, và đã làm theo (người dân tự chấm)",
        "8 điểm: Có, làm được phần lớn",
    ]
    await officer.press("5 điểm")
    await officer.send("ít")
    assert "Lý do quá ngắn" in officer.text
    await officer.send(REASON)
    assert "2. Có kế hoạch học tập: " in officer.text and ": 10 → 5/10 điểm" in officer.text
    assert f"- chỉ số 2: 10 → 5 điểm ({REASON})" in officer.text
    assert "Tổng điểm: 95/100. Mức cần đạt: 80 điểm." in officer.text
    assert "ĐẠT các tiêu chí" in officer.text
    await officer.payload(f"*evidence:{a.id}")  # a look at the evidence in between
    await officer.press("Duyệt")  # the evidence message's button: the adjustment is kept
    assert "2. Có kế hoạch học tập: " in officer.text and ": 10 → 5/10 điểm" in officer.text
    await officer.press("Duyệt")
    assert "Đã duyệt." in officer.text

    approved = await state(bot_engine)
    assert approved.status == AssessmentStatus.APPROVED
    assert approved.adjustments == {"I2": {"points": 5, "reason": REASON}}
    assert (approved.total, approved.passed) == (95, True)
    async with bot_engine.sessions() as session:
        own = await session.scalar(select(Answer.points).where(Answer.indicator_id == "I2"))
        adjusted = await session.scalar(
            select(AuditEntry).where(AuditEntry.action == "review.adjusted")
        )
    assert own == 10  # the citizen's answer is kept as they gave it
    assert adjusted.details == {"indicator": "I2", "own": 10, "points": 5}
    [decision] = [t for t in await told(chat) if "đã duyệt" in t]
    assert "(95 điểm)" in decision and f"chỉ số 2: 10 → 5 điểm ({REASON})" in decision
    await chat.command("result")  # the citizen's own view shows the approved points too
    assert "Tổng điểm: 95/100" in chat.text and "điều chỉnh điểm khi duyệt" in chat.text


async def test_an_adjustment_that_fails_the_rules_is_refused_and_can_be_taken_back(
    chat: Chat, bot_engine: Engine
) -> None:
    officer, a = await submitted_to_officer(chat, bot_engine)
    await officer.payload(f"*approve:{a.id}")  # the notice's button: a confirmation first
    assert "Tổng điểm: 100/100" in officer.text
    await officer.press("Điều chỉnh điểm")
    await officer.press("6.")
    await officer.send("7")  # typed points the indicator cannot give
    assert "Chỉ số 6 chỉ có các mức điểm: 10, 8, 5, 0." in officer.text
    await officer.send("0")
    await officer.send("Không có minh chứng sử dụng ngoại ngữ")
    assert "CHƯA ĐẠT" in officer.text
    await officer.press("Duyệt")
    assert "Không thể duyệt" in officer.text and "chỉ số 6 (Sử dụng ngoại ngữ)" in officer.text
    assert (await state(bot_engine)).status == AssessmentStatus.SUBMITTED
    assert "review.approve_refused" in await audited(bot_engine)

    # Back to the citizen's own points: the adjustment goes, and approval goes through.
    await officer.press("Điều chỉnh điểm")
    [label] = [b.label for b in officer.buttons if b.label.startswith("6. Sử dụng ngoại ngữ: ")]
    assert label.endswith(": 10 → 0 điểm")
    await officer.press("6.")
    await officer.press("10 điểm: Nói chuyện được (người dân tự chấm)")
    assert "→" not in officer.text and "Tổng điểm: 100/100" in officer.text
    await officer.press("Duyệt")
    approved = await state(bot_engine)
    assert (approved.status, approved.adjustments, approved.total) == (
        AssessmentStatus.APPROVED,
        {},
        100,
    )


async def test_a_failing_self_assessment_approved_once_an_adjustment_makes_it_pass(
    chat: Chat, bot_engine: Engine
) -> None:
    officer, a = await submitted_to_officer(
        chat, bot_engine, passing=False
    )  # indicator 3 at 0 points
    await officer.payload(f"*approve:{a.id}")
    await officer.press("Duyệt")
    assert "Không thể duyệt" in officer.text
    await officer.press("Điều chỉnh điểm")
    await officer.press("3.")
    await officer.press("5 điểm")
    await officer.send("Có xác nhận tham gia lớp học của thôn")
    await officer.press("Duyệt")
    approved = await state(bot_engine)
    assert (approved.status, approved.total, approved.passed) == (
        AssessmentStatus.APPROVED,
        95,
        True,
    )


async def test_adjusting_is_checked_on_every_step(chat: Chat, bot_engine: Engine) -> None:
    officer = await join(bot_engine, "officer", StaffRole.OFFICER, "20242")
    other = await join(bot_engine, "other", StaffRole.ADMIN)
    elsewhere = await join(bot_engine, "elsewhere", StaffRole.OFFICER, "20257")
    await submit(chat)
    a = await state(bot_engine)

    await elsewhere.payload(f"*approve:{a.id}")  # another commune's officer
    assert "không có quyền" in elsewhere.text
    await chat.payload(f"*approve:{a.id}")  # the citizen forging an officer's button
    assert "không có quyền" in chat.text
    assert (await audited(bot_engine)).count("review.refused") == 2

    await officer.payload(f"*review:{a.id}")
    await officer.press("Điều chỉnh điểm")
    await officer.press("2.")
    await officer.payload("p9")  # points the screen does not offer
    assert "không còn dùng được" in officer.text
    await officer.press("5 điểm")

    # Meanwhile another officer decides: the reason typed now changes nothing.
    await other.payload(f"*reject:{a.id}")
    await other.send("Hồ sơ không đúng người khai")
    await officer.send(REASON)
    assert "đã được quyết định trước" in officer.text
    rejected = await state(bot_engine)
    assert (rejected.status, rejected.adjustments) == (AssessmentStatus.REJECTED, {})
