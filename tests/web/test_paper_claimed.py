"""Issue 13 end to end, across its two halves: a paper form entered on the console and
approved by another officer (and a second person imported from the village's workbook),
their receipts printed from the console, then claimed in chat
with the code and the birth year: the citizen sees the result and gets the certificate
on their phone, and the report counts them once, as paper."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from io import BytesIO

from aiohttp import FormData
from openpyxl import Workbook
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.documents.paper_xlsx import SHEET, headers
from bot.documents.reports.summary import Tally
from content import Content
from handlers.engine import Engine
from storage.models import AuditEntry
from storage.repositories import reports, staff
from tests.bot.test_certificate_print import text_of
from tests.handlers.conftest import Chat
from tests.handlers.test_actions_paper import GOOD as ANSWERS
from tests.web.conftest import YEAR, Clock, World
from tests.web.seed import HAI_CHAU
from tests.web.test_paper import FORM

CODE = re.compile(r"\d{4} \d{4} \d{4}")


def workbook(content: Content, rows: list[list[object]]) -> bytes:
    """The template's list sheet, filled with these rows as the branch would."""
    book = Workbook()
    sheet = book.active
    sheet.title = SHEET
    sheet.append(headers([content.criteria_for("residents", YEAR)]))
    for row in rows:
        sheet.append(row)
    out = BytesIO()
    book.save(out)
    return out.getvalue()


async def test_a_paper_form_is_approved_receipted_on_the_console_and_claimed_in_chat(
    sign_in,
    world: World,
    content: Content,
    clock: Clock,
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    async with session_factory() as session, session.begin():
        unit = await staff.add_unit(
            session, commune_code=HAI_CHAU, name="Tổ 7", kind="village", now=clock()
        )
    officer = await sign_in(world.officer)
    _, page = await officer.get("/web/paper")
    assert "In biên nhận" in page and f'<option value="{unit.code}">' in page
    _, location, _ = await officer.post("/web/paper/save", FORM)
    paper_id = int(location.rsplit("=", 1)[1])
    status, _, page = await officer.post(f"/web/case/{paper_id}/approve", {})
    assert status == 409  # whoever entered it does not decide it
    admin = await sign_in(world.admin)
    status, _, _ = await admin.post(f"/web/case/{paper_id}/approve", {})
    assert status == 303

    officer = await sign_in(world.officer)
    await officer.get("/web/paper/import")  # a second person of the village, from its workbook
    row = ["Hồ Văn Năm", 1960, "residents", "20242", "Tổ 7", "10/11/2026", *ANSWERS.values(), ""]
    upload = FormData({"csrf": officer.csrf, "matched": "skip"})
    upload.add_field("file", workbook(content, [row]), filename="to7.xlsx")
    response = await officer.client.post("/web/paper/import", data=upload)
    assert response.status == 200 and "nhập mới: 1" in await response.text()
    await officer.get("/web/paper")
    response = await officer.client.post(
        "/web/paper/receipts", data={"csrf": officer.csrf, "place": unit.code}
    )
    assert response.status == 200 and response.content_type == "application/pdf"
    slips = "\n".join(text_of(await response.read()))
    assert "Đặng Văn Tư, sinh năm 1949" in slips and "Tổ 7" in slips
    assert "Hồ Văn Năm, sinh năm 1960" in slips
    # Each code twice (as the code, and in how to type it), the entered form's first by name.
    code = CODE.findall(slips.split("Hồ Văn Năm")[0])[0]
    assert len(set(CODE.findall(slips))) == 2
    elsewhere = await sign_in(world.other_officer)
    await elsewhere.get("/web/paper")
    response = await elsewhere.client.post(
        "/web/paper/receipts", data={"csrf": elsewhere.csrf, "place": unit.code}
    )
    assert response.status == 404  # another commune's unit: not theirs to print

    phone = Chat(Engine(session_factory, content, clock=clock), user="tu", channel="zalo")
    await phone.send(f"nhan ho so {code}")  # as the slip says to type it on Zalo
    await phone.send("1949")
    assert "Đã nhận hồ sơ!" in phone.text
    assert "đã được công nhận" in phone.text
    assert any(r.attachment is not None for r in phone.replies)  # the certificate

    async with session_factory() as session:
        printed = await session.scalar(
            select(AuditEntry).where(AuditEntry.action == "claim.codes_issued")
        )
        assert printed is not None and printed.actor_user_id == world.officer
        counts = await reports.counts(
            session, YEAR, reports.Scope(commune_code=HAI_CHAU), datetime(2027, 1, 1, tzinfo=UTC)
        )
    tally = Tally()
    for count in counts:
        tally.add(count)
    assert (tally.by_paper, tally.by_assisted) == (2, 0)  # claimed, still counted as paper, once
    assert sorted((c.status, c.n) for c in counts if c.source == "paper") == [
        ("approved", 1),
        ("submitted", 1),
    ]
