"""People in Chromium, as an admin uses them: invite with a QR to show on a phone, revoke,
upload figures whose bad line is named, and filter the audit log; no serious
accessibility violations."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from playwright.async_api import expect
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from content import Content
from storage.models import UnitPopulation
from tests.web.browser.helpers import serious_violations, sign_in_browser
from tests.web.conftest import Clock, World

Sessions = async_sessionmaker[AsyncSession]


async def test_invite_with_a_qr_then_revoke(
    page: Any, world: World, session_factory: Sessions, content: Content, clock: Clock
) -> None:
    await sign_in_browser(page, session_factory, content, clock, world.admin)
    await page.get_by_role("link", name="Cán bộ").first.click()
    await page.wait_for_url("**/web/people")
    await page.get_by_label("Vai trò").select_option("officer")
    await page.get_by_label("Phạm vi").select_option("20242")
    await page.get_by_role("button", name="Tạo mã mời").click()
    qr = page.locator("figure svg")
    await expect(qr).to_be_visible()
    box = await qr.bounding_box()
    assert box is not None and box["width"] >= 100  # big enough to scan from a screen
    assert await serious_violations(page) == []

    await page.goto("/web/people")
    revoke = page.get_by_role("button", name="Thu hồi quyền của Cán Bộ Hải Châu")
    await revoke.click()
    await page.wait_for_url("**/web/people")
    await expect(page.get_by_text("Cán Bộ Hải Châu")).to_have_count(0)
    assert page.errors == []


async def test_a_csv_with_a_bad_line_then_the_audit_log(
    page: Any,
    world: World,
    session_factory: Sessions,
    content: Content,
    clock: Clock,
    tmp_path: Path,
) -> None:
    await sign_in_browser(page, session_factory, content, clock, world.admin)
    await page.goto("/web/people/units")
    figures = tmp_path / "so-lieu.csv"
    figures.write_text("unit_code,year,adults,staff\n20242,2026,12500,310\n20242,2026,x,1\n")
    await page.get_by_label("Tệp CSV (UTF-8)").set_input_files(str(figures))
    await page.get_by_role("button", name="Tải lên", exact=True).click()
    alert = page.get_by_role("alert")
    await expect(alert).to_contain_text("Dòng 3: số người lớn phải là số nguyên")
    async with session_factory() as session:
        assert await session.scalar(select(UnitPopulation)) is None
    assert await serious_violations(page) == []

    await page.get_by_role("link", name="Nhật ký").click()
    await page.wait_for_url("**/web/people/audit")
    await page.get_by_label("Người thực hiện").select_option(label="Quản Trị")
    await page.get_by_label("Thao tác", exact=True).fill("console.")
    await page.get_by_role("button", name="Lọc").click()
    await page.wait_for_url("**action=console.**")
    actions = page.locator("main table tbody td code")
    await expect(actions).to_have_text(["console.signed_in", "console.signin_link"])
    assert await serious_violations(page) == []
    # The refused upload answers 400 (the browser notes it); nothing else went wrong.
    assert [e for e in page.errors if "status of 400" not in e] == []
