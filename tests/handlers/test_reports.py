"""`/report`: an officer gets their scope's annual report in the chat, an admin the
province's, a citizen a polite no; who asked is checked again when the file is made."""

from __future__ import annotations

import io
import re

import openpyxl
import pytest
from sqlalchemy import select

from bot.delivery.errors import Rejected
from bot.documents.makers import Documents
from bot.documents.reports.document import report_maker
from handlers.engine import Engine
from handlers.events import Attachment, Reply
from storage.models import Staff, StaffRole, utcnow
from storage.repositories import staff
from tests.handlers.conftest import Chat
from tests.handlers.test_notices import join
from tests.handlers.test_review import submit


def report_replies(chat: Chat) -> list[Reply]:
    return [r for r in chat.replies if r.attachment and r.attachment.document]


async def test_an_officer_gets_their_communes_report_made_at_send_time(
    chat: Chat, bot_engine: Engine, db_url: str
) -> None:
    officer = await join(bot_engine, "officer", StaffRole.OFFICER, "20242")
    await submit(chat)

    await officer.command("report")

    assert "Đang lập báo cáo năm 2026" in officer.text
    [reply] = report_replies(officer)
    assert reply.text == "Báo cáo năm 2026: Phường Hải Châu"
    assert reply.attachment is not None
    assert re.fullmatch(r"report:2026:20242:\d+", reply.attachment.document)

    documents = Documents(
        bot_engine.sessions,
        {
            "report": report_maker(
                db_url, bot_engine.content, bot_engine.catalogs, association="Hội Khuyến học"
            )
        },
    )
    made = await documents.attach(reply)
    assert made.attachment is not None
    assert made.attachment.name == "bao-cao-cdht-2026-20242.xlsx"
    book = openpyxl.load_workbook(io.BytesIO(made.attachment.content), read_only=True)
    summary = [r[0] for r in book["Tổng hợp"].iter_rows(values_only=True) if r]
    assert "Phạm vi: Phường Hải Châu" in summary
    detail = [r for r in book["Chi tiết"].iter_rows(values_only=True) if r]
    hai_chau = next(r for r in detail if r[0] == "20242" and r[2] == "Tất cả")
    assert hai_chau[3:10] == (1, 1, 0, 0, 0, 1, 0)  # registered, submitted and waiting
    waiting = [
        r
        for r in book["Danh sách chờ xác minh"].iter_rows(values_only=True)
        if r and isinstance(r[0], int)
    ]
    assert waiting[-1][1] == "Nguyễn Thị Lan"

    # A role revoked before the message leaves: the report is not made.
    async with bot_engine.sessions() as session, session.begin():
        role = await session.scalar(select(Staff))
        assert role is not None
        await staff.revoke(session, role.id, utcnow())
    with pytest.raises(Rejected):
        await documents.attach(reply)


async def test_an_admin_gets_the_province_and_a_unit_officer_their_unit(
    bot_engine: Engine,
) -> None:
    async with bot_engine.sessions() as session, session.begin():
        unit = await staff.add_unit(
            session, commune_code="20242", name="Tổ 5", kind="village", now=utcnow()
        )
    admin = await join(bot_engine, "admin", StaffRole.ADMIN)
    officer = await join(bot_engine, "unit", StaffRole.OFFICER, "20242", unit.id)

    await admin.command("report", "2025")
    await officer.command("baocao")

    [province] = report_replies(admin)
    assert province.text == "Báo cáo năm 2025: Thành phố Đà Nẵng"
    assert province.attachment and re.fullmatch(r"report:2025::\d+", province.attachment.document)
    [mine] = report_replies(officer)
    assert mine.text == "Báo cáo năm 2026: Tổ 5, Phường Hải Châu"
    assert mine.attachment and mine.attachment.document.startswith(f"report:2026:20242-{unit.id}:")


async def test_a_citizen_is_refused_politely(chat: Chat) -> None:
    await submit(chat)

    await chat.command("report")

    assert "Lệnh này dành cho cán bộ Hội Khuyến học." in chat.text
    assert report_replies(chat) == []


@pytest.mark.parametrize("argument", ["2026", "2026:20242:x", "x:20242:1"])
async def test_a_forged_argument_makes_nothing(
    bot_engine: Engine, db_url: str, argument: str
) -> None:
    documents = Documents(
        bot_engine.sessions,
        {
            "report": report_maker(
                db_url, bot_engine.content, bot_engine.catalogs, association="Hội Khuyến học"
            )
        },
    )
    with pytest.raises(Rejected):
        await documents.attach(Reply("x", attachment=Attachment(document=f"report:{argument}")))
