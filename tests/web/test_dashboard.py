"""The dashboard: the scope's figures, charts against the targets, the report's download."""

from __future__ import annotations

import io
import re

from openpyxl import load_workbook

from tests.web.conftest import Clock, World


async def test_an_officer_sees_their_commune_with_charts_and_days_left(
    sign_in, world: World
) -> None:
    browser = await sign_in(world.officer)
    status, page = await browser.get("/web/dashboard")
    assert status == 200
    assert "Tiến độ năm 2026: Phường Hải Châu" in page
    # 20 November 2026 in Vietnam: 25 days to the 15 December report.
    assert "Còn 25 ngày đến hạn nộp báo cáo (15/12/2026)" in page
    assert page.count("<svg") == 4  # funnel, two ratios, digital skills
    assert 'class="target"' in page  # the target line
    funnel = re.search(r"<desc id=\"funnel-d\">([^<]*)</desc>", page)
    assert funnel is not None
    # 4 citizens and the officer registered in Hải Châu; 4 submitted; 1 approved.
    assert funnel.group(1) == "Đăng ký: 5; Đã nộp: 4; Được công nhận: 1"
    assert "Thanh Khê" not in page


async def test_an_admin_sees_the_province_and_may_pick_a_commune(sign_in, world: World) -> None:
    browser = await sign_in(world.admin)
    _, page = await browser.get("/web/dashboard")
    assert "Thành phố Đà Nẵng" in page and "Phường Thanh Khê" in page
    _, page = await browser.get("/web/dashboard?scope=20209")
    assert "Tiến độ năm 2026: Phường Thanh Khê" in page


async def test_an_officer_cannot_pick_another_commune(sign_in, world: World) -> None:
    browser = await sign_in(world.officer)
    _, page = await browser.get("/web/dashboard?scope=20209")
    assert "Tiến độ năm 2026: Phường Hải Châu" in page


async def test_days_left_follow_the_clock(sign_in, world: World, clock: Clock) -> None:
    clock.advance(days=26)
    browser = await sign_in(world.officer)
    _, page = await browser.get("/web/dashboard")
    assert "Đã quá hạn nộp báo cáo" in page


async def test_the_annual_report_downloads_for_the_scope(sign_in, world: World) -> None:
    browser = await sign_in(world.officer)
    response = await browser.client.get("/web/dashboard/report.xlsx?year=2026")
    assert response.status == 200
    book = load_workbook(io.BytesIO(await response.read()))
    assert "Phường Hải Châu" in str(
        [c.value for row in book.worksheets[0].iter_rows() for c in row]
    )
