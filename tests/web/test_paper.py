"""Paper forms on the console: one form checked, summarised, saved into the queue, decided
by another officer and counted in the report; a filled workbook uploaded with the command
line's checks."""

from __future__ import annotations

import base64
import re
from datetime import UTC, datetime
from io import BytesIO

from aiohttp import FormData
from openpyxl import Workbook, load_workbook
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.documents.paper_xlsx import SHEET, headers
from bot.documents.reports.summary import Tally
from content import Content
from storage.models import Assessment, AuditEntry, Certificate, Staff
from storage.repositories import reports
from tests.handlers.test_actions_paper import GOOD as ANSWERS
from tests.web.conftest import YEAR, World
from tests.web.seed import HAI_CHAU

PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 64  # enough of a picture to be served as one
FORM = {
    "group": "residents",
    "name": "Đặng Văn Tư",
    "birth_year": "1949",
    "commune": "20242",
    "place": "Tổ 7",
    "form_date": "2026-11-15",
    **ANSWERS,
}


async def test_a_paper_form_reaches_the_queue_and_another_officer_decides_it(
    sign_in, world: World, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    officer = await sign_in(world.officer)
    status, page = await officer.get("/web/paper?group=residents")
    assert status == 200 and "Chỉ số 3: Tham gia học tập tại cộng đồng" in page
    status, _, page = await officer.post(
        "/web/paper/check", FORM | {"I3": "nhiều", "birth_year": "x"}
    )
    assert status == 400
    assert "&#39;nhiều&#39; không phải số" in page and "không phải năm sinh hợp lệ" in page
    status, _, page = await officer.post("/web/paper/check", FORM)
    assert status == 200 and "Kiểm tra trước khi lưu" in page and "Lưu phiếu" in page
    async with session_factory() as session:
        assert await session.scalar(select(Assessment).where(Assessment.source == "paper")) is None
    photo = FormData({"csrf": officer.csrf, **FORM})
    photo.add_field("scan", b"not a picture", filename="phieu.exe")
    response = await officer.client.post("/web/paper/save", data=photo, allow_redirects=False)
    assert response.status == 400 and "JPG, PNG hoặc PDF" in await response.text()
    photo = FormData({"csrf": officer.csrf, **FORM})
    photo.add_field("scan", PNG, filename="phieu.png", content_type="image/png")
    response = await officer.client.post("/web/paper/save", data=photo, allow_redirects=False)
    location = response.headers["Location"]
    assert response.status == 303 and location.startswith("/web/paper?saved=")
    paper_id = int(location.rsplit("=", 1)[1])
    # The photo of the form stands behind each answer, for whoever verifies it.
    response = await officer.client.get(f"/web/case/{paper_id}/evidence/I5/0")
    assert response.status == 200 and await response.read() == PNG
    _, queue = await officer.get("/web/")
    # The forms one entered wait for someone else: shown, never selectable.
    assert "Anh/Chị đã nhập" in queue and f'value="{paper_id}" id="pick' not in queue
    _, case = await officer.get(f"/web/case/{paper_id}")
    # Told up front why, and given no decision to take.
    assert "Anh/Chị đã nhập phiếu này nên không tự xác minh được" in case
    assert f"/web/case/{paper_id}/approve" not in case
    status, _, page = await officer.post(f"/web/case/{paper_id}/approve", {})
    assert status == 409 and "Anh/Chị đã nhập phiếu này" in page

    admin = await sign_in(world.admin)
    _, queue = await admin.get("/web/")
    assert "Đặng Văn Tư" in queue
    _, case = await admin.get(f"/web/case/{paper_id}")
    assert "Phiếu giấy, do cán bộ nhập" in case and "Cán Bộ Hải Châu" in case
    assert "15/11/2026" in case
    status, location, _ = await admin.post(f"/web/case/{paper_id}/approve", {})
    assert (status, location) == (303, f"/web/case/{paper_id}?done=approved")
    async with session_factory() as session:
        certificate = await session.scalar(
            select(Certificate).where(Certificate.assessment_id == paper_id)
        )
    assert certificate is not None and certificate.full_name == "Đặng Văn Tư"
    # The report counts it once, as a paper form, among the recognised.
    async with session_factory() as session:
        counts = await reports.counts(
            session, YEAR, reports.Scope(commune_code=HAI_CHAU), datetime(2027, 1, 1, tzinfo=UTC)
        )
    tally = Tally()
    for count in counts:
        tally.add(count)
    assert (tally.by_paper, tally.by_assisted) == (1, 0)
    assert tally.by_chat + tally.by_paper == tally.submitted
    paper = [c for c in counts if c.source == "paper"]
    assert [(c.status, c.n) for c in paper] == [("approved", 1)]
    again = await sign_in(world.officer)
    status, _, page = await again.post("/web/paper/check", FORM)
    assert status == 200 and "Năm nay đã có người trùng" in page


async def test_an_uploaded_workbook_is_checked_whole_before_anything_is_written(
    sign_in, world: World, content: Content, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    group = content.criteria_for("residents", YEAR)
    book = Workbook()
    sheet = book.active
    sheet.title = SHEET
    sheet.append(headers([group]))
    row = ["Hồ Văn Năm", 1960, "residents", "20242", "Tổ 2", "10/11/2026", *ANSWERS.values(), ""]
    sheet.append(row)
    sheet.append([*row[:6], "?", *list(ANSWERS.values())[1:], ""])
    sheet.cell(3, 1, "Hồ Văn Sáu")
    out = BytesIO()
    book.save(out)
    officer = await sign_in(world.officer)
    await officer.get("/web/paper/import")

    async def upload(**options: str) -> tuple[int, str]:
        form = FormData({"csrf": officer.csrf, "matched": "skip", **options})
        form.add_field("file", out.getvalue(), filename="to2.xlsx")
        response = await officer.client.post("/web/paper/import", data=form)
        return response.status, await response.text()

    status, page = await upload()
    assert status == 400 and "[Danh sách] Hàng 3, cột Chỉ số 1:" in page
    async with session_factory() as session:
        assert await session.scalar(select(Assessment).where(Assessment.source == "paper")) is None
    status, page = await upload(skip_invalid="on")
    assert status == 200 and "nhập mới: 1" in page
    # The rejected rows, with their reasons, to fix and upload again (as the CLI writes).
    link = re.search(r'href="data:[^;]+;base64,([^"]+)" download="to2-loi.xlsx"', page)
    assert link, page
    rejects = load_workbook(BytesIO(base64.b64decode(link.group(1))))[SHEET]
    rows = list(rejects.iter_rows(min_row=2, values_only=True))
    assert [(r[0], r[-1].split(":")[0]) for r in rows] == [
        ("Hồ Văn Sáu", "[Danh sách] Hàng 3, cột Chỉ số 1")
    ]
    status, page = await upload(skip_invalid="on")
    assert "nhập mới: 0" in page and "đã có, không đổi: 1" in page
    # The same person on a form of another date: the officer sees the match, then chooses.
    changed = Workbook()
    changed.active.title = SHEET
    changed.active.append(headers([group]))
    changed.active.append([*row[:5], "12/11/2026", *row[6:]])
    out = BytesIO()
    changed.save(out)
    _, page = await upload()
    assert "Hàng 2: đã có người trùng họ tên, năm sinh và xã/phường năm nay (Hồ Văn Năm)" in page
    _, page = await upload(matched="update")
    assert "cập nhật: 1" in page


async def test_an_admin_lets_a_sole_officer_decide_their_own_forms(
    sign_in, world: World, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    officer = await sign_in(world.officer)
    await officer.get("/web/paper")
    _, location, _ = await officer.post("/web/paper/save", FORM)
    paper_id = int(location.rsplit("=", 1)[1])
    async with session_factory() as session:
        role = await session.scalar(select(Staff.id).where(Staff.user_id == world.officer))
    admin = await sign_in(world.admin)
    _, page = await admin.get("/web/people")
    assert "Cho tự xác minh phiếu mình nhập" in page
    status, location, _ = await admin.post(f"/web/people/{role}/sole", {"allow": "1"})
    assert (status, location) == (303, "/web/people")
    _, page = await admin.get("/web/people")
    assert "Được tự xác minh phiếu mình nhập" in page
    officer = await sign_in(world.officer)
    status, location, _ = await officer.post(f"/web/case/{paper_id}/approve", {})
    assert (status, location) == (303, f"/web/case/{paper_id}?done=approved")
    async with session_factory() as session:
        audited = await session.scalar(
            select(AuditEntry).where(AuditEntry.action == "staff.sole_allowed")
        )
    assert audited is not None and audited.actor_user_id == world.admin
