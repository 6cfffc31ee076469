"""The console as an officer uses it, in Chromium: sign in by link, filter, decide one and
many, reopen, be refused elsewhere, sign out; charts drawn; a phone's width; no serious
accessibility violations."""

from __future__ import annotations

from typing import Any

from playwright.async_api import expect
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from content import Content
from storage.models import Assessment, AssessmentStatus
from tests.web.browser.helpers import serious_violations, sign_in_browser
from tests.web.conftest import Clock, World

Sessions = async_sessionmaker[AsyncSession]


async def status_of(sessions: Sessions, assessment_id: int) -> str:
    async with sessions() as session:
        found = await session.scalar(
            select(Assessment.status).where(Assessment.id == assessment_id)
        )
        assert found is not None
        return found


async def test_sign_in_by_link_lands_on_the_queue_and_sign_out_ends_it(
    page: Any, world: World, session_factory: Sessions, content: Content, clock: Clock
) -> None:
    await sign_in_browser(page, session_factory, content, clock, world.officer)
    assert await page.get_by_role("heading", name="Hàng chờ xác minh").is_visible()
    assert await page.get_by_role("link", name="Nguyễn Thị Lan").is_visible()
    assert await serious_violations(page) == []
    await page.get_by_role("button", name="Đăng xuất").click()
    await page.wait_for_url("**/web/signin?out=1")
    await page.goto("/web/")
    assert page.url.endswith("/web/signin")
    assert page.errors == []


async def test_the_filters_update_the_table_in_place(
    page: Any, world: World, session_factory: Sessions, content: Content, clock: Clock
) -> None:
    await sign_in_browser(page, session_factory, content, clock, world.officer)
    rows = page.locator("table.queue tbody tr")
    assert await rows.count() == 3
    await page.get_by_label("Tìm theo tên hoặc năm sinh").fill("tran van")
    await expect(rows).to_have_count(1)
    assert "Trần Văn Ánh" in await rows.first.inner_text()
    assert "q=tran%20van" in page.url  # htmx kept the address in step
    await page.get_by_label("Tìm theo tên hoặc năm sinh").fill("")
    await page.get_by_label("Đạt tiêu chí").select_option("yes")
    await expect(rows).to_have_count(2)
    assert page.errors == []


async def test_a_case_decision_and_its_reopening(
    page: Any, world: World, session_factory: Sessions, content: Content, clock: Clock
) -> None:
    await sign_in_browser(page, session_factory, content, clock, world.officer)
    await page.get_by_role("link", name="Nguyễn Thị Lan").click()
    await page.wait_for_url(f"**/web/case/{world.mine[0]}")
    thumbnails = page.locator("img[src*='/evidence/I1/']")
    assert await thumbnails.count() == 2
    # Loaded (the browser may still be fetching them as the page settles) and shown.
    await page.wait_for_function(
        "() => [...document.querySelectorAll(\"img[src*='/evidence/I1/']\")]"
        ".every(img => img.complete && img.naturalWidth > 0)"
    )
    for thumbnail in await thumbnails.all():  # at a readable size
        box = await thumbnail.bounding_box()
        assert box is not None and box["width"] >= 64
    assert await serious_violations(page) == []
    await page.locator("form[action$='/approve'] button[type=submit]").click()
    await page.wait_for_url("**?done=approved")
    assert await page.get_by_role("status").inner_text() == "Đã duyệt."
    assert await status_of(session_factory, world.mine[0]) == AssessmentStatus.APPROVED
    await page.get_by_label("Lý do mở lại (gửi cho người dân)").fill("Minh chứng bị nhầm người")
    await page.get_by_role("button", name="Mở lại").click()
    await page.wait_for_url("**?done=reopened")
    assert await status_of(session_factory, world.mine[0]) == AssessmentStatus.REOPENED


async def test_bulk_approve_after_confirming(
    page: Any, world: World, session_factory: Sessions, content: Content, clock: Clock
) -> None:
    await sign_in_browser(page, session_factory, content, clock, world.officer)
    for box in await page.get_by_role("checkbox").all():
        await box.check()
    await page.get_by_role("button", name="Duyệt các bản đã chọn đạt tiêu chí").click()
    await page.get_by_text("Duyệt 2 bản đạt tiêu chí trong số 3 bản đã chọn").wait_for()
    await page.get_by_role("button", name="Duyệt 2 bản").click()
    await page.get_by_text("Đã duyệt 2 bản.").wait_for()
    assert await status_of(session_factory, world.mine[0]) == AssessmentStatus.APPROVED
    assert await status_of(session_factory, world.mine[1]) == AssessmentStatus.SUBMITTED


async def test_another_communes_case_and_a_forged_form_are_refused(
    page: Any, world: World, session_factory: Sessions, content: Content, clock: Clock
) -> None:
    await sign_in_browser(page, session_factory, content, clock, world.officer)
    response = await page.goto(f"/web/case/{world.theirs[0]}")
    assert response.status == 404
    assert "Võ Thị Đào" not in await page.content()
    await page.goto(f"/web/case/{world.mine[2]}")
    # A page from elsewhere posting without the session's token: refused, nothing changes.
    await page.evaluate("document.querySelectorAll('input[name=csrf]').forEach(e => e.remove())")
    await page.get_by_label("Lý do (gửi cho người dân)").fill("Khai không đúng sự thật")
    async with page.expect_response(lambda r: r.url.endswith("/reject")) as refused:
        await page.get_by_role("button", name="Từ chối").click()
    assert (await refused.value).status == 403
    assert await status_of(session_factory, world.mine[2]) == AssessmentStatus.SUBMITTED


async def test_the_dashboard_draws_its_charts(
    page: Any, world: World, session_factory: Sessions, content: Content, clock: Clock
) -> None:
    await sign_in_browser(page, session_factory, content, clock, world.admin)
    await page.get_by_role("link", name="Tiến độ").click()
    await page.wait_for_url("**/web/dashboard")
    charts = page.locator("figure.chart svg")
    assert await charts.count() == 4
    for n in range(4):
        box = await charts.nth(n).bounding_box()
        assert box is not None and box["width"] > 200 and box["height"] > 40
    funnel = page.locator("svg[aria-labelledby^=funnel] rect")
    widths = [float(await r.get_attribute("width")) for r in await funnel.all()]
    assert widths[0] >= widths[1] >= widths[2] > 0  # registered ≥ submitted ≥ approved
    assert await serious_violations(page) == []
    assert page.errors == []


async def test_a_phone_360_pixels_wide(
    page: Any, world: World, session_factory: Sessions, content: Content, clock: Clock
) -> None:
    await page.set_viewport_size({"width": 360, "height": 740})
    await sign_in_browser(page, session_factory, content, clock, world.officer)
    for path in ("/web/", f"/web/case/{world.mine[0]}", "/web/dashboard"):
        await page.goto(path)
        overflow = await page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0, path
    await page.goto("/web/")
    link = page.get_by_role("link", name="Nguyễn Thị Lan")
    box = await link.bounding_box()
    assert box is not None and box["x"] + box["width"] <= 360
    assert await serious_violations(page) == []


async def test_the_accessibility_check_does_find_problems(page: Any) -> None:
    await page.set_content('<html lang="vi"><body><main><input type="text"></main></body></html>')
    assert any(v.startswith("label:") for v in await serious_violations(page))
