"""What staff do in the chat or on the command line and now also in the console: an
officer's own decisions (`/decided`), the annual report as CSV beside XLSX (`/report`),
signing out of every browser at once, and an admin revoking a certificate (`certificate
revoke`)."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from content import Content
from storage.models import AuditEntry, Certificate, StaffRole
from storage.repositories import web_sessions
from tests.web import seed
from tests.web.conftest import Clock, World
from tests.web.seed import HAI_CHAU, OTHER


async def test_my_decisions_lists_what_i_decided_and_nobody_elses(sign_in, world: World) -> None:
    browser = await sign_in(world.officer)
    await browser.post(f"/web/case/{world.mine[0]}/approve", {})
    status, page = await browser.get("/web/decided")
    assert status == 200
    assert "Nguyễn Thị Lan" in page and f"/web/case/{world.mine[0]}" in page
    assert "Lê Thị Hồng" not in page  # still waiting
    _, page = await browser.get("/web/decided?q=lan+1968")  # accents optional, birth year
    assert "Nguyễn Thị Lan" in page
    _, page = await browser.get("/web/decided?q=lan+1990")
    assert "Nguyễn Thị Lan" not in page

    other = await sign_in(world.other_officer)
    _, page = await other.get("/web/decided")
    assert "Nguyễn Thị Lan" not in page and "Tổng: 0 bản." in page


async def test_the_annual_report_downloads_as_csv_for_the_scope_only(
    sign_in, world: World, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    browser = await sign_in(world.officer)
    response = await browser.client.get("/web/dashboard/report.csv?year=2026")
    assert response.status == 200
    assert response.content_type == "text/csv"
    assert "bao-cao-cdht-2026-" in response.headers["Content-Disposition"]
    text = (await response.read()).decode("utf-8-sig")
    cells = [c for row in csv.reader(io.StringIO(text)) for c in row]
    assert "Phường Hải Châu" in cells
    # Another commune's report is not theirs: they get their own, never Thanh Khê's.
    response = await browser.client.get("/web/dashboard/report.csv?year=2026&scope=20209")
    text = (await response.read()).decode("utf-8-sig")
    assert "Thanh Khê" not in text and "Võ Thị Đào" not in text
    async with session_factory() as session:
        noted = await session.scalars(
            select(AuditEntry).where(AuditEntry.action == "report.requested")
        )
        assert [e.details["format"] for e in noted] == ["csv", "csv"]


async def test_sign_out_everywhere_ends_every_session_of_that_person_only(
    sign_in, world: World, clock: Clock, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    async with session_factory() as session, session.begin():
        phone = await web_sessions.start(session, world.officer, "vi", clock())
        colleague = await web_sessions.start(session, world.other_officer, "vi", clock())
    browser = await sign_in(world.officer)
    status, _, _ = await browser.post("/web/signout", {"everywhere": "yes"}, csrf=False)
    assert status == 403  # CSRF: nothing ended
    status, location, _ = await browser.post("/web/signout", {"everywhere": "yes"})
    assert (status, location) == (303, "/web/signin?out=1")
    assert (await browser.get("/web/"))[0] == 303
    async with session_factory() as session:
        hours = timedelta(hours=8)
        assert await web_sessions.current(session, phone, clock(), hours) is None
        assert await web_sessions.current(session, colleague, clock(), hours) is not None
        noted = await session.scalar(
            select(AuditEntry).where(AuditEntry.action == "console.signed_out_everywhere")
        )
        assert noted is not None and noted.details["sessions"] == 2


async def test_an_admin_revokes_a_certificate_of_their_commune_only(
    sign_in, world: World, clock: Clock, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    officer = await sign_in(world.officer)
    await officer.post(f"/web/case/{world.mine[0]}/approve", {})
    status, _ = await officer.get("/web/people/certificates")
    assert status == 403  # officers do not revoke
    async with session_factory() as session, session.begin():
        certificate = await session.scalar(select(Certificate))
        assert certificate is not None
        code = certificate.code
        other_admin = await seed.staff(
            session, "Quản Trị Thanh Khê", StaffRole.ADMIN, OTHER, clock()
        )
    reason = {"code": code, "reason": "Hồ sơ khai sai năm sinh"}

    elsewhere = await sign_in(other_admin)
    await elsewhere.get("/web/people/certificates")
    status, _, page = await elsewhere.post("/web/people/certificates/revoke", reason)
    assert status == 400 and "trong phạm vi Anh/Chị quản lý" in page

    admin = await sign_in(world.admin)
    await admin.get("/web/people/certificates")
    status, _, _ = await admin.post("/web/people/certificates/revoke", reason, csrf=False)
    assert status == 403
    async with session_factory() as session:
        assert (await session.scalar(select(Certificate))).revoked_at is None
    status, _, page = await admin.post("/web/people/certificates/revoke", reason)
    assert status == 200 and f"số {certificate.number}" in page
    status, _, page = await admin.post("/web/people/certificates/revoke", reason)
    assert status == 400 and "đã bị thu hồi trước đó" in page
    async with session_factory() as session:
        revoked = await session.scalar(select(Certificate))
        assert revoked is not None and revoked.revoke_reason == "Hồ sơ khai sai năm sinh"


async def test_the_case_history_names_what_a_return_opened_and_what_changed_since(
    sign_in, world: World, clock: Clock, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    browser = await sign_in(world.officer)
    lan = world.mine[0]
    await browser.get(f"/web/case/{lan}")
    await browser.post(f"/web/case/{lan}/return", {"indicator": "I2", "comment": "Cần giấy"})
    async with session_factory() as session, session.begin():
        # What the chat notes when the citizen sends it again (tests/handlers/test_review.py).
        session.add(
            AuditEntry(
                action="assessment.submitted",
                subject=str(lan),
                details={"total": 80, "passed": True, "changed": {"I2": [1, 3]}},
                created_at=clock(),
            )
        )
    _, page = await browser.get(f"/web/case/{lan}")
    history = page[page.index('<ol class="history">') :]
    assert "Trả lại để sửa</strong>" in history and "Cán Bộ Hải Châu" in history
    assert "cần sửa: I2" in history
    assert "đã sửa: chỉ số I2: 1 → 3" in history


def _cells(page: str, name: str) -> list[str]:
    """The text of each cell of the queue's row for `name`."""
    row = next(r for r in page.split("<tr>") if f">{name}</a>" in r)
    cells = re.findall(r"<td[^>]*>(.*?)</td>", row, re.DOTALL)
    return [" ".join(re.sub(r"<[^>]+>", " ", c).split()) for c in cells]


async def test_each_queue_row_says_what_triage_needs_and_a_place_filter_keeps_to_scope(
    sign_in, world: World, content: Content
) -> None:
    browser = await sign_in(world.officer)
    _, page = await browser.get("/web/")
    groups = {g.id: g.title.vi for g in content.groups(2026)}
    # Name, birth year, commune, group, submitted and days waiting, total, meets the rules
    # (✓, or ✗ with the failing rule in words), evidence count, status: looked for by
    # content, so a column added between them changes nothing.
    lan = _cells(page, "Nguyễn Thị Lan")
    assert {"Nguyễn Thị Lan", "1968", groups["residents"], "2", "Chờ xác minh"} <= set(lan)
    assert any("Phường Hải Châu" in c for c in lan) and any("12 ngày" in c for c in lan)
    assert any(c.startswith("✓") for c in lan)
    anh = _cells(page, "Trần Văn Ánh")
    assert groups["workers"] in anh
    assert any(c.startswith("✗") and "điểm" in c for c in anh)
    _, page = await browser.get(f"/web/?unit={HAI_CHAU}")
    assert "Nguyễn Thị Lan" in page
    _, page = await browser.get(f"/web/?unit={OTHER}")  # another commune: nothing of it
    assert "Võ Thị Đào" not in page and "Nguyễn Thị Lan" not in page


async def test_the_case_history_shows_an_approval_with_its_adjustments_and_who(
    sign_in, world: World, content: Content
) -> None:
    browser = await sign_in(world.officer)
    anh = world.mine[1]
    await browser.get(f"/web/case/{anh}")
    raised = {}
    for ind in content.criteria_for("workers", 2026).indicators:
        raised[f"points-{ind.id}"] = str(ind.max_points)
        raised[f"reason-{ind.id}"] = "Đã xem giấy xác nhận của chi hội"
    assert (await browser.post(f"/web/case/{anh}/approve", raised))[0] == 303
    _, page = await browser.get(f"/web/case/{anh}")
    history = page[page.index('<ol class="history">') :]
    assert "Nộp bản tự đánh giá</strong>" in history
    assert "Duyệt, công nhận</strong>" in history and "Cán Bộ Hải Châu" in history
    assert "Điều chỉnh điểm</strong>" in history and " → " in history
