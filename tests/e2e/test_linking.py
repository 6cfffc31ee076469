"""Across two platforms end to end: a citizen starts on Telegram, links Zalo with the code
Telegram shows, and finishes the same self-assessment on Zalo."""

from __future__ import annotations

import re
from datetime import date

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from content import Content
from storage.models import Assessment, AssessmentStatus, ChannelIdentity
from tests.e2e.telegram_stack import TelegramUser, quiet_outbox, running
from tests.e2e.zalo_stack import ZaloUser, queue_to
from tests.fakes import fixtures
from tests.fakes.telegram import FakeTelegram
from tests.fakes.zalo_bot import FakeZaloBot

fake_telegram = fixtures.fake_telegram
fake_zalo = fixtures.fake_zalo

pytestmark = pytest.mark.usefixtures("brisk_chats")


async def test_a_citizen_registers_on_telegram_links_zalo_and_finishes_there(
    fake_telegram: FakeTelegram, fake_zalo: FakeZaloBot, engine: AsyncEngine, content: Content
) -> None:
    async with running(fake_telegram, engine, content, "poll", zalo=fake_zalo) as services:

        async def on_telegram(update: dict) -> None:
            fake_telegram.queue(update)

        tele = TelegramUser(fake_telegram, 88, on_telegram)
        phone = ZaloUser(fake_zalo, "zl-88", queue_to(fake_zalo))
        await tele.say("/start", "THÔNG BÁO VỀ DỮ LIỆU CÁ NHÂN")
        await tele.press("Đồng ý", "Họ và tên")
        await tele.say("Lê Văn Hai App", "sinh năm nào")
        await tele.say("1960", "nhóm đối tượng")
        await tele.press("Người dân", "xã/phường nào")
        await tele.say("hai chau", "đúng không?")
        await tele.press("Đúng", "thôn hoặc tổ dân phố")
        await tele.press("Bỏ qua", "TRANG CHÍNH")
        await tele.press("Bắt đầu tự đánh giá", "Chỉ số 1/10")
        indicators = content.criteria_for("residents", date.today().year).indicators
        await tele.press(indicators[0].options[0].label.vi, "Chỉ số 2/10")
        await tele.say("/link", "MÃ LIÊN KẾT")
        code = re.search(r"MÃ LIÊN KẾT: (\d{5} \d{5})", tele.texts()[-1])
        assert code, tele.texts()[-1]

        # Typed as an older person would, without accents, as the first words on Zalo.
        await phone.say(f"lien ket {code.group(1)}", "Chỉ số 2/10")
        assert any("Đã liên kết!" in t for t in phone.texts())
        await tele.wait_for("vừa được liên kết thêm")  # Telegram is told, with an undo
        for indicator in indicators[1:]:
            last = indicator is indicators[-1]
            expect = "BẢN TỰ ĐÁNH GIÁ" if last else f"Chỉ số {indicator.number + 1}/10"
            if indicator.number_input is not None:
                await phone.say(str(indicator.number_input.bands[-1].min), expect)
            else:
                await phone.press(indicator.options[0].label.vi, expect)
        await phone.press("Nộp bản tự đánh giá", "Nộp ngay?")
        await phone.press("Nộp ngay", "Đã nộp")
        await quiet_outbox(services)
        async with services.sessions() as session:
            assessment = await session.scalar(select(Assessment))
            rows = await session.execute(select(ChannelIdentity.channel, ChannelIdentity.user_id))
            owners = {channel: user_id for channel, user_id in rows}
    assert assessment.status == AssessmentStatus.SUBMITTED
    assert owners == {"telegram": assessment.user_id, "zalo_bot": assessment.user_id}
