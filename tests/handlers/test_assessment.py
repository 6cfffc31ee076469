"""The self-assessment: one indicator at a time, evidence, summary, changes, submission."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from content import Indicator
from handlers.events import EventKind, FileRef
from handlers.flows.evidence_limits import MEDIA_TYPES
from storage.models import Assessment, AssessmentStatus
from tests.handlers.conftest import Chat, register


def option_for(indicator: Indicator, points: int) -> str:
    """What a person would answer to score ``points`` (a label, or a typed number)."""
    if indicator.number_input is not None:
        band = next(b for b in indicator.number_input.bands if b.points == points)
        return str(band.min)
    return next(o.label.vi for o in indicator.options if o.points == points)


def best(indicator: Indicator) -> int:
    return max(indicator.max_points, 0)


async def answer(chat: Chat, indicator: Indicator, points: int, *, typed: bool = False) -> None:
    choice = option_for(indicator, points)
    if indicator.number_input is not None or typed:
        await chat.send(choice)
    else:
        await chat.press(choice)


async def assessment_of(chat: Chat) -> Assessment:
    async with chat.engine.sessions() as session:
        found = await session.scalar(select(Assessment).options(selectinload(Assessment.answers)))
    assert found is not None
    return found


def group(chat: Chat, name: str = "residents"):
    return chat.engine.content.criteria_for(name, 2026)


async def start(chat: Chat) -> None:
    await register(chat)
    await chat.press("Bắt đầu tự đánh giá")


async def test_questions_come_one_at_a_time_with_progress(chat: Chat) -> None:
    await start(chat)
    first = group(chat).indicators[0]
    assert "Chỉ số 1/10" in chat.text
    assert first.question.vi in chat.text
    labels = [b.label for b in chat.buttons]
    assert labels == [*(o.label.vi for o in first.options), "Bỏ qua", "Tạm dừng"]  # no way back
    await answer(chat, first, best(first))
    assert "Đã ghi chỉ số 1" in chat.text  # said in words, for every channel
    assert "Chỉ số 2/10" in chat.replies[0].text  # with the next question, no tap between
    assert len(chat.replies) == 1
    assert [b.label for b in chat.buttons][-3:] == ["« Quay lại", "Bỏ qua", "Tạm dừng"]


async def test_a_full_passing_assessment_is_submitted_and_locked(chat: Chat, clock) -> None:
    await start(chat)
    for indicator in group(chat).indicators:
        await answer(chat, indicator, best(indicator))
        assert f"Đã ghi chỉ số {indicator.number}" in chat.text
        assert "Nếu có minh chứng" in chat.text  # offered where the answer earned points
    assert "Tổng điểm: 100/100" in chat.text
    assert "ĐẠT" in chat.text and "tự đánh giá" in chat.text
    assert "dự thảo" in chat.text  # the draft wording is said
    await chat.press("Nộp bản tự đánh giá")
    await chat.press("Nộp ngay")
    assert "Đã nộp" in chat.text
    a = await assessment_of(chat)
    assert (a.status, a.total, a.threshold, a.passed) == (AssessmentStatus.SUBMITTED, 100, 80, True)
    assert a.submitted_at == clock.now
    assert (a.criteria_set_id, a.year, a.target_group) == (group(chat).set_id, 2026, "residents")
    # Locked: the assessment opens read-only, and an old answer button changes nothing.
    await chat.command("menu")
    await chat.press("Xem bản tự đánh giá")
    assert "đang chờ Hội Khuyến học xác minh" in chat.text
    first = group(chat).indicators[0]
    await chat.payload(f"{first.id}:{len(first.options) - 1}")
    assert (await assessment_of(chat)).answers[0].points == best(first)


async def test_failing_summary_says_exactly_why(chat: Chat) -> None:
    await start(chat)
    indicators = group(chat).indicators
    # 95 points would pass, but one indicator under 5 does not.
    low = indicators[5]
    low_points = min(p for p in _points(low) if p < 5)
    for indicator in indicators:
        await answer(chat, indicator, low_points if indicator is low else best(indicator))
    assert "CHƯA ĐẠT" in chat.text
    assert f"chỉ số {low.number} ({low.title.vi}) chỉ đạt {low_points} điểm, dưới 5" in chat.text
    assert "thấp hơn mức cần đạt" not in chat.text


def _points(indicator: Indicator) -> list[int]:
    if indicator.number_input is not None:
        return [b.points for b in indicator.number_input.bands]
    return [o.points for o in indicator.options]


async def test_answers_by_number_and_by_label_without_accents(chat: Chat) -> None:
    await start(chat)
    first = group(chat).indicators[0]
    if first.number_input is None:
        await chat.send("2")
        assert (await assessment_of(chat)).answers[0].points == first.options[1].points
        await chat.press("« Quay lại")  # from indicator 2 back to 1
        from content.text import normalize

        await chat.send(normalize(first.options[0].label.vi).upper())
        assert (await assessment_of(chat)).answers[0].points == first.options[0].points
    assert "Đã ghi chỉ số 1" in chat.text


async def test_back_skip_pause_and_resume(chat: Chat) -> None:
    await start(chat)
    indicators = group(chat).indicators
    await answer(chat, indicators[0], best(indicators[0]))
    assert "Chỉ số 2/10" in chat.text
    await chat.press("Bỏ qua")
    assert "Chỉ số 3/10" in chat.text
    await chat.press("« Quay lại")
    assert "Chỉ số 2/10" in chat.text
    await chat.press("Tạm dừng")
    assert "Đã lưu" in chat.text and "TRANG CHÍNH" in chat.text
    await chat.press("Tiếp tục tự đánh giá")
    assert "Chỉ số 2/10" in chat.text  # the first unanswered one


async def test_summary_lists_unanswered_and_blocks_submission(chat: Chat) -> None:
    await start(chat)
    for _ in range(10):
        await chat.press("Bỏ qua")
    assert "còn 10 chỉ số chưa trả lời" in chat.text
    assert "Nộp bản tự đánh giá" not in [b.label for b in chat.buttons]
    await chat.payload("submit")  # a forged press of a button that is not offered
    assert (await assessment_of(chat)).status == AssessmentStatus.DRAFT


async def test_change_an_answer_from_the_summary(chat: Chat) -> None:
    await start(chat)
    indicators = group(chat).indicators
    for indicator in indicators:
        await answer(chat, indicator, best(indicator))
    await chat.press("Sửa câu trả lời")
    await chat.press("3.")
    third = indicators[2]
    lower = sorted(_points(third))[0]
    await answer(chat, third, lower)
    assert f"Tổng điểm: {100 - best(third) + lower}/100" in chat.text  # back at the summary
    assert "BẢN TỰ ĐÁNH GIÁ" in chat.text


async def test_evidence_files_are_kept_as_references(chat: Chat) -> None:
    await start(chat)
    first = group(chat).indicators[0]
    await answer(chat, first, best(first))
    await chat.file("chung-nhan.jpg")
    assert "Đã nhận minh chứng cho chỉ số 1 (1 tệp)" in chat.text
    assert chat.buttons[-1].label == "Tạm dừng"  # the question's own options again
    await chat.file("danh-sach.pdf", "application/pdf")
    evidence = (await assessment_of(chat)).answers[0].evidence
    assert [e["ref"] for e in evidence] == ["file-chung-nhan.jpg", "file-danh-sach.pdf"]
    assert evidence[1]["mime"] == "application/pdf"


async def test_stale_button_from_an_earlier_question_is_refused(chat: Chat) -> None:
    await start(chat)
    first, _second = group(chat).indicators[:2]
    await answer(chat, first, best(first))
    await chat.payload(f"{first.id}:0")  # a button of question 1 pressed at question 2
    assert "câu hỏi trước" in chat.text
    assert "Chỉ số 2/10" in chat.text
    assert len((await assessment_of(chat)).answers) == 1


async def test_my_result_and_language(chat: Chat) -> None:
    await start(chat)
    await chat.command("result")
    assert "BẢN TỰ ĐÁNH GIÁ NĂM 2026" in chat.text
    await chat.command("lang")
    await chat.press("English")
    assert "Switched to English" in chat.text
    await chat.command("result")
    assert "SELF-ASSESSMENT 2026" in chat.text
    assert group(chat).indicators[0].title.en in chat.text


async def test_evidence_of_another_type_or_too_big_is_refused_in_words(chat: Chat) -> None:
    await start(chat)
    first = group(chat).indicators[0]
    await answer(chat, first, best(first))

    async def send(name: str, mime: str, size: int) -> None:
        ref = FileRef(ref=f"file-{name}", mime=mime, size=size, name=name)
        await chat.deliver(chat.event(EventKind.FILE, file=ref))

    await send("cai-dat.exe", "application/x-msdownload", 25 * 1024 * 1024)
    assert "chỉ nhận ảnh, tệp PDF và tài liệu văn phòng" in chat.text
    await send("giay-khen.pdf.exe", "application/pdf", 1000)  # named as what it is
    assert "chỉ nhận ảnh" in chat.text
    await send("bang-diem.xlsx", "application/x-msdownload", 1000)  # a type it is not
    assert "chỉ nhận ảnh" in chat.text
    await send("ban-scan.pdf", "application/pdf", 25 * 1024 * 1024)
    assert "Tệp quá lớn (25 MB). Mỗi tệp minh chứng tối đa 10 MB." in chat.text
    assert chat.buttons[-1].label == "Tạm dừng"  # still at the next question
    await send("bang-diem.xlsx", MEDIA_TYPES["xlsx"][0], 9 * 1024 * 1024)
    await chat.file("anh.jpg", kind="photo")
    evidence = (await assessment_of(chat)).answers[0].evidence
    assert [e["name"] for e in evidence] == ["bang-diem.xlsx", "anh.jpg"]

    await chat.command("lang")
    await chat.press("English")
    await send("virus.exe", "", 10)
    assert "only images, PDF files and office documents" in chat.text


async def test_evidence_added_later_from_the_summary(chat: Chat) -> None:
    await start(chat)
    indicators = group(chat).indicators
    for indicator in indicators:
        await answer(chat, indicator, best(indicator))
    await chat.file("the-thu-vien.jpg")  # right after the last answer: the tenth's
    assert f"Đã nhận minh chứng cho chỉ số {indicators[-1].number}" in chat.text
    await chat.press("Thêm minh chứng")
    await chat.press("3.")
    assert "Minh chứng cho chỉ số 3" in chat.text
    await chat.file("giay-khen.jpg")
    await chat.press("Xong")
    assert "BẢN TỰ ĐÁNH GIÁ" in chat.text
    a = await assessment_of(chat)
    kept = {x.indicator_id: [e["name"] for e in x.evidence] for x in a.answers}
    assert kept[indicators[2].id] == ["giay-khen.jpg"]
    assert kept[indicators[-1].id] == ["the-thu-vien.jpg"]


async def test_help_and_stop_at_the_summary_do_not_send_it_again(chat: Chat) -> None:
    await start(chat)
    for indicator in group(chat).indicators:
        await answer(chat, indicator, best(indicator))
    await chat.send("xyz")  # not understood: one line and the buttons
    assert "BẢN TỰ ĐÁNH GIÁ" not in chat.text and chat.buttons
    for aside in ("help", "stop"):
        await chat.command(aside)
        assert "BẢN TỰ ĐÁNH GIÁ" not in chat.text
        assert "Bản tự đánh giá năm 2026: 100 điểm, còn 0 chỉ số chưa trả lời." in chat.text
        assert chat.buttons[0].label == "Nộp bản tự đánh giá"


async def test_back_after_a_pause_says_where_the_person_is(chat: Chat, clock) -> None:
    await start(chat)
    first = group(chat).indicators[0]
    await answer(chat, first, best(first))
    clock.advance(days=3)
    await chat.send("xin chào")
    assert "Chào mừng anh/chị quay lại" in chat.text
    assert "Chỉ số 2/10" in chat.text  # the question itself, whole
    await chat.send("xin chào")  # not away any more: the one-line re-prompt
    assert "Chào mừng" not in chat.text and "Chỉ số 2/10" not in chat.text


async def test_a_result_short_of_the_total_says_by_how_much(chat: Chat) -> None:
    await start(chat)
    for indicator in group(chat).indicators:
        await answer(chat, indicator, 5 if 5 in _points(indicator) else best(indicator))
    total = (await assessment_of(chat)).answers
    points = sum(x.points for x in total)
    assert points < 80
    assert f"thấp hơn mức cần đạt 80: còn thiếu {80 - points} điểm" in chat.text
