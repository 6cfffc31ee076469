"""An officer's December in the chat: no stale screen decides, every approval is confirmed
with the name and the total, the queue can be triaged, answers read as words, and a busy
officer gets a summary instead of a notice per submission. On both channel kinds: buttons
(Telegram) and numbered options (Zalo Bot: a typed number picks an option of the last
message, as the inbox does)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.channels.options import as_presses
from content import Content
from handlers.context import Settings
from handlers.engine import Engine
from handlers.events import EventKind, Reply
from handlers.input import match_choice
from storage.models import Assessment, AssessmentStatus, Profile, StaffRole
from tests.handlers.conftest import REGISTER, Chat, Clock
from tests.handlers.test_notices import join
from tests.handlers.test_review import submit, told


class Numbered(Chat):
    """A chat without buttons: each typed text goes through the inbox's reading of option
    numbers against the last message sent."""

    async def send(self, text: str) -> list[Reply]:
        shown = {(self.channel, f"chat-{self.user}"): self.replies[-1].to_payload()}
        [event] = as_presses([self.event(EventKind.TEXT, text=text)], shown if self.replies else {})
        return await self.deliver(event)


async def ids_by_name(engine: Engine) -> dict[str, int]:
    async with engine.sessions() as session:
        rows = await session.execute(
            select(Profile.full_name, Assessment.id).join(
                Assessment, Assessment.user_id == Profile.user_id
            )
        )
        return dict(rows.all())


async def status_of(engine: Engine, name: str) -> AssessmentStatus:
    async with engine.sessions() as session:
        found = await session.scalar(
            select(Assessment.status)
            .join(Profile, Profile.user_id == Assessment.user_id)
            .where(Profile.full_name == name)
        )
    return AssessmentStatus(found)


async def two_waiting(engine: Engine) -> Numbered:
    """Two submissions in Phường Hải Châu, Lan's first; the commune's officer on a
    numbered-options channel."""
    await join(engine, "officer", StaffRole.OFFICER, "20242")
    await submit(Chat(engine, user="lan"), name="Nguyễn Thị Lan")
    await submit(Chat(engine, user="quang"), name="Tôn Thất Quang")
    return Numbered(engine, user="officer")


async def test_a_stray_message_closes_the_case_and_the_next_number_decides_nothing(
    bot_engine: Engine,
) -> None:
    officer = await two_waiting(bot_engine)
    await officer.command("pending")
    await officer.send("2")  # Quang, the second in the queue
    assert "Tôn Thất Quang, sinh năm 1968" in officer.text
    await officer.send("tìm chị Lan")  # not an option of the case screen
    assert "chưa quyết định gì" in officer.text
    assert "[1] Duyệt" not in "\n".join(r.text for r in officer.replies)
    assert "Danh sách chờ xác minh" in officer.text  # the queue instead
    await officer.send("1")  # the queue's first line: Lan's case opens, nothing is decided
    assert "Nguyễn Thị Lan, sinh năm 1968" in officer.text
    names = await ids_by_name(bot_engine)
    for name in names:
        assert await status_of(bot_engine, name) == AssessmentStatus.SUBMITTED


async def test_approving_asks_with_the_name_and_total_then_a_number_confirms(
    bot_engine: Engine, content: Content
) -> None:
    officer = await two_waiting(bot_engine)
    await officer.command("pending")
    await officer.send("1")
    await officer.send("1")  # "Duyệt" on the case screen: the confirmation, not the decision
    assert "Duyệt bản tự đánh giá của Nguyễn Thị Lan:" in officer.text
    assert "Tổng điểm: 100/100" in officer.text
    # Answers as words: the option chosen, or the number with its unit, then the points.
    group = content.criteria_for("residents", 2026)
    first = group.indicators[0]
    assert f"1. {first.title.vi}: {first.options[0].label.vi}: 10/10 điểm" in officer.text
    counted = next(i for i in group.indicators if i.number_input is not None)
    typed = counted.number_input.bands[-1].min
    unit = counted.number_input.unit.vi
    assert f"{counted.title.vi}: {typed:g} {unit}: " in officer.text
    assert await status_of(bot_engine, "Nguyễn Thị Lan") == AssessmentStatus.SUBMITTED
    await officer.send("1")
    assert "Đã duyệt." in officer.text
    assert await status_of(bot_engine, "Nguyễn Thị Lan") == AssessmentStatus.APPROVED
    assert await status_of(bot_engine, "Tôn Thất Quang") == AssessmentStatus.SUBMITTED


async def test_minus_one_and_other_numbers_no_option_has_decide_nothing(
    bot_engine: Engine,
) -> None:
    assert match_choice("-1", ["Duyệt", "Từ chối"]) is None
    assert match_choice("+2", ["Duyệt", "Từ chối"]) is None
    assert match_choice("1", ["Duyệt", "Từ chối"]) == 0
    officer = await two_waiting(bot_engine)
    names = await ids_by_name(bot_engine)
    for typed in ("-1", "0", "9", "1 2"):
        await officer.payload(f"*review:{names['Nguyễn Thị Lan']}")
        await officer.send(typed)
        assert "chưa quyết định gì" in officer.text, typed
    await officer.payload(f"*approve:{names['Nguyễn Thị Lan']}")  # the notice's approve
    await officer.send("-1")
    assert "chưa quyết định gì" in officer.text
    assert await status_of(bot_engine, "Nguyễn Thị Lan") == AssessmentStatus.SUBMITTED


async def test_a_press_on_an_older_screen_of_another_case_decides_nothing(
    bot_engine: Engine,
) -> None:
    await two_waiting(bot_engine)
    officer = Chat(bot_engine, user="officer")  # buttons: old messages stay pressable
    names = await ids_by_name(bot_engine)
    lan, quang = names["Nguyễn Thị Lan"], names["Tôn Thất Quang"]
    await officer.payload(f"*review:{quang}")
    await officer.payload(f"*review:{lan}")
    await officer.payload(f"approve:{quang}")  # Quang's screen, scrolled back to
    assert "chưa quyết định gì" in officer.text
    await officer.payload(f"*approve:{lan}")
    await officer.payload(f"approve:{quang}")  # on Lan's confirmation
    assert "chưa quyết định gì" in officer.text
    assert await status_of(bot_engine, "Tôn Thất Quang") == AssessmentStatus.SUBMITTED
    assert await status_of(bot_engine, "Nguyễn Thị Lan") == AssessmentStatus.SUBMITTED


async def test_already_decided_says_by_whom_and_when_and_by_you_when_it_was_you(
    bot_engine: Engine,
) -> None:
    await two_waiting(bot_engine)
    officer = Chat(bot_engine, user="officer")
    lan = (await ids_by_name(bot_engine))["Nguyễn Thị Lan"]
    await officer.payload(f"*review:{lan}")
    await officer.press("Duyệt")
    await officer.press("Duyệt")
    await officer.payload(f"*approve:{lan}")  # the notice's button, later
    # An officer who has not registered as a citizen: no birth year, the neutral form.
    assert "đã được quyết định trước (đã được công nhận, bởi chính ông/bà, 09:00 10/03/2026)" in (
        officer.text
    )
    other = await join(bot_engine, "admin", StaffRole.ADMIN)
    await other.payload(f"*approve:{lan}")
    assert "bởi một cán bộ khác, 09:00 10/03/2026" in other.text


async def test_queue_lines_show_place_days_rules_and_evidence_with_a_total(
    bot_engine: Engine, clock: Clock
) -> None:
    officer = await join(bot_engine, "officer", StaffRole.OFFICER, "20242")
    await submit(Chat(bot_engine, user="lan"), name="Nguyễn Thị Lan", files={1: ["a.jpg"]})
    clock.advance(days=2)
    await submit(Chat(bot_engine, user="hoa"), name="Trần Thị Hoa", passing=False)
    clock.advance(days=1)
    await officer.command("pending")
    assert "Tổng: 2 bản; đang xem 1–2." in officer.text
    assert "1. Nguyễn Thị Lan, 1968, Tổ 5, Phường Hải Châu; chờ 3 ngày; 100 điểm ✓ 📎" in (
        officer.text
    )
    assert "2. Trần Thị Hoa, 1968, Tổ 5, Phường Hải Châu; chờ 1 ngày;" in officer.text
    assert "✗" in officer.text.splitlines()[-1] and "📎" not in officer.text.splitlines()[-1]
    assert [b.label for b in officer.buttons][:2] == [
        "Nguyễn Thị Lan (1968)",
        "Trần Thị Hoa (1968)",
    ]


async def test_search_returned_and_my_decisions(bot_engine: Engine) -> None:
    officer = await join(bot_engine, "officer", StaffRole.OFFICER, "20242")
    await submit(Chat(bot_engine, user="lan"), name="Nguyễn Thị Lan")
    await submit(Chat(bot_engine, user="hoa"), name="Trần Thị Hoa")
    await officer.command("review", "lan 1968")  # without accents, with the birth year
    assert "Tổng: 1 bản" in officer.text and "Nguyễn Thị Lan" in officer.text
    assert "Trần Thị Hoa" not in officer.text
    await officer.command("review", "Lan 1975")
    assert "Không tìm thấy" in officer.text
    await officer.command("review", "Hoa")
    await officer.press("Trần Thị Hoa")
    await officer.press("Trả lại để sửa")
    await officer.press("1.")
    await officer.press("Xong")
    await officer.send("Chỉ số 1 cần giấy xác nhận của chi hội")
    assert "Đã trả lại" in officer.text
    await officer.command("returned")
    assert "Đang chờ người dân sửa".lower() in officer.text.lower()
    assert "Trần Thị Hoa" in officer.text and "Nguyễn Thị Lan" not in officer.text
    await officer.command("decided")
    assert "Trần Thị Hoa" in officer.text and "Tổng: 1 bản" in officer.text
    assert "Hội Khuyến học trả lại để bổ sung 10/03/2026" in officer.text
    await officer.command("pending")
    assert "Tổng: 1 bản" in officer.text and "Trần Thị Hoa" not in officer.text
    await officer.command("places")
    assert "Phường Hải Châu: 1 bản" in [b.label for b in officer.buttons]
    await officer.press("Phường Hải Châu")
    assert "Nguyễn Thị Lan" in officer.text


async def test_an_officer_without_a_profile_has_the_officers_menu_and_help(
    bot_engine: Engine,
) -> None:
    officer = await join(bot_engine, "officer", StaffRole.OFFICER, "20242")
    assert "VIỆC CỦA CÁN BỘ" in officer.text
    labels = [b.label for b in officer.buttons]
    for wanted in ("Danh sách chờ", "Xem theo xã/đơn vị", "Báo cáo", "Gửi thông báo"):
        assert wanted in labels
    assert "Trợ giúp cán bộ" in labels and "Mở trang quản lý trên web" in labels
    await officer.press("Mở trang quản lý trên web")  # the /web command's sign-in link
    assert "/web/signin/" in officer.text
    await officer.command("staff")
    await officer.send("hello")
    assert "THÔNG BÁO VỀ DỮ LIỆU" not in officer.text
    await officer.command("menu")
    assert "VIỆC CỦA CÁN BỘ" in officer.text and "cần hoàn tất đăng ký" not in officer.text
    await officer.press("Trợ giúp cán bộ")
    assert "/pending" in officer.text and "/review" in officer.text and "/returned" in officer.text
    await officer.press("Danh sách chờ")
    assert "Không có bản tự đánh giá nào đang chờ" in officer.text
    citizen = Chat(bot_engine, user="citizen")
    await citizen.run(REGISTER)
    await citizen.command("staff")
    assert "dành cho cán bộ" in citizen.text and "TRANG CHÍNH" in citizen.text
    await citizen.command("help")
    assert "/pending" not in citizen.text and "Việc của cán bộ" not in [
        b.label for b in citizen.buttons
    ]


async def test_a_registered_officer_reaches_the_officers_menu_from_the_main_menu(
    bot_engine: Engine,
) -> None:
    officer = await join(bot_engine, "officer", StaffRole.OFFICER, "20242")
    await officer.press("Đăng ký làm người dân")
    await officer.run(REGISTER[1:])
    assert "TRANG CHÍNH" in officer.text
    await officer.press("Việc của cán bộ")
    assert "VIỆC CỦA CÁN BỘ" in officer.text
    assert "Menu cá nhân" in [b.label for b in officer.buttons]


async def test_above_the_threshold_one_summary_an_hour_instead_of_a_notice_each(
    session_factory: async_sessionmaker[AsyncSession], content: Content, clock: Clock
) -> None:
    engine = Engine(
        session_factory, content, clock=clock, settings=Settings(notice_digest_threshold=2)
    )
    officer = await join(engine, "officer", StaffRole.OFFICER, "20242")
    for n in range(4):
        await submit(Chat(engine, user=f"p{n}"), name=f"Người Thứ {chr(65 + n)}")
    notices = await told(officer)
    assert sum("Có bản tự đánh giá mới" in x for x in notices) == 2
    [summary] = [x for x in notices if "tóm tắt" in x]
    assert "Có 3 bản tự đánh giá đang chờ" in summary
    clock.advance(minutes=61)
    await submit(Chat(engine, user="p5"), name="Người Thứ F")
    notices = await told(officer)
    assert sum("Có bản tự đánh giá mới" in x for x in notices) == 2
    assert [x for x in notices if "tóm tắt" in x][-1].startswith("Có 5 bản")


async def test_adjusting_a_counted_indicator_reads_the_number_and_the_ranges_in_words(
    bot_engine: Engine, content: Content
) -> None:
    officer = await two_waiting(bot_engine)
    counted = next(i for i in content.criteria_for("residents", 2026).indicators if i.number_input)
    bands, unit = counted.number_input.bands, counted.number_input.unit.vi
    await officer.command("review", "lan")
    await officer.send("1")
    await officer.send("2")  # "Điều chỉnh điểm rồi duyệt"
    await officer.send(str(counted.number))
    assert f"Người dân trả lời: {bands[-1].min:g} {unit}" in officer.text
    labels = [b.label for b in officer.buttons]
    assert f"{bands[-1].points} điểm: từ {bands[-1].min:g} {unit} (người dân tự chấm)" in labels
    assert f"{bands[0].points} điểm: từ 0 đến dưới {bands[0].max:g} {unit}" in labels
