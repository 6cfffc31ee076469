"""Entering a paper form in Chromium: the officer copies it, is shown what is wrong, checks
the summary and saves it into the queue, then prints the receipts; no serious accessibility
violations."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from content import Content
from storage.models import Assessment
from tests.web.browser.helpers import serious_violations, sign_in_browser
from tests.web.conftest import YEAR, Clock, World


async def test_an_officer_enters_a_paper_form(
    page: Any,
    world: World,
    session_factory: async_sessionmaker[AsyncSession],
    content: Content,
    clock: Clock,
) -> None:
    await sign_in_browser(page, session_factory, content, clock, world.officer)
    await page.get_by_role("link", name="Phiếu giấy").click()
    await page.wait_for_url("**/web/paper")
    assert await serious_violations(page) == []
    await page.get_by_label("Họ và tên").fill("Đặng Văn Tư")
    await page.get_by_label("Năm sinh").fill("19x9")
    await page.get_by_label("Thôn/tổ/đơn vị").fill("Tổ 7")
    await page.get_by_label("Ngày đánh giá").fill("2026-11-15")
    for indicator in content.criteria_for("residents", YEAR).indicators:
        field = page.locator(f"#{indicator.id}")
        if indicator.number_input is not None:
            await field.fill("6")
        else:
            await field.select_option(index=1)  # the first answer, the best
    await page.get_by_role("button", name="Kiểm tra phiếu").click()
    await page.get_by_text("'19x9' không phải năm sinh hợp lệ").wait_for()
    assert await page.get_by_label("Năm sinh").get_attribute("aria-invalid") == "true"
    await page.get_by_label("Năm sinh").fill("1949")
    await page.get_by_role("button", name="Kiểm tra phiếu").click()
    await page.get_by_role("heading", name="Kiểm tra trước khi lưu").wait_for()
    assert await page.get_by_text("Đạt các tiêu chí.").is_visible()
    assert await serious_violations(page) == []
    await page.get_by_role("button", name="Lưu phiếu").click()
    await page.get_by_role("status").get_by_text("Đã lưu phiếu").wait_for()
    async with session_factory() as session:
        saved = await session.scalar(select(Assessment).where(Assessment.source == "paper"))
    assert saved is not None and saved.entered_by == world.officer
    assert saved.status == "submitted" and saved.passed
    # Its receipt, printed for the whole commune (Tổ 7 is no unit of it): a PDF to download.
    await page.get_by_label("In biên nhận").select_option("20242")
    async with page.expect_download() as download:
        await page.get_by_role("button", name="Tải tệp PDF để in").click()
    got = await download.value
    assert got.suggested_filename == "bien-nhan-20242.pdf"
    assert (await got.path()).read_bytes().startswith(b"%PDF")
    # The only "error" is the page of the form with a problem, answered 400 on purpose.
    assert [e for e in page.errors if "status of 400" not in e] == []
    assert len(page.errors) == 1
