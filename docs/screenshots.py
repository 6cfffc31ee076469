"""README's screenshots of the web console, made again from demo data: a fresh SQLite
database with an admin, an officer of Phường Hải Châu and a dozen citizens (some waiting,
one with photos as evidence, some decided), the console served on a free local port, and
Debian's Chromium (Playwright) signing in by link as the chat's `/web` does.

    make screenshots        # or: .venv/bin/python docs/screenshots.py [--out docs]

The pictures are the same on every run but for the invite's code: the clock is fixed at
20 November 2026."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from aiohttp import web  # noqa: E402
from playwright.async_api import async_playwright  # noqa: E402

from bot.web.console import ConsoleConfig  # noqa: E402
from bot.web.server import make_app  # noqa: E402
from content import load_content  # noqa: E402
from handlers.actions import Actor, Work, console, populations  # noqa: E402
from handlers.i18n import load_catalogs  # noqa: E402
from storage import migrate  # noqa: E402
from storage.db import create_engine, make_sessionmaker  # noqa: E402
from storage.models import AssessmentStatus, StaffRole  # noqa: E402
from tests.web import seed  # noqa: E402
from tests.web.seed import HAI_CHAU, OTHER, Citizen  # noqa: E402

SHOTS = ("console-queue.png", "console-case.png", "console-dashboard.png", "console-people.png")
NOW = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)  # 09:00 in Vietnam
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
APPROVED, RETURNED = AssessmentStatus.APPROVED, AssessmentStatus.RETURNED
PEOPLE = [
    Citizen("Nguyễn Thị Lan", evidence=2, days_ago=12, birth_year=1968),
    Citizen("Trần Văn Ánh", passed=False, days_ago=9, group="workers", birth_year=1990),
    Citizen("Lê Thị Hồng", days_ago=7, birth_year=1975, evidence=1),
    Citizen("Phạm Đức Minh", days_ago=6, birth_year=1959),
    Citizen("Hoàng Thị Mai", days_ago=4, birth_year=1983, evidence=1),
    Citizen("Đỗ Văn Hùng", passed=False, days_ago=3, birth_year=1971),
    Citizen("Bùi Thị Thu", days_ago=2, group="learners", birth_year=2008),
    Citizen("Vũ Quang Huy", days_ago=1, birth_year=1988, evidence=3),
    Citizen("Ngô Thị Hạnh", status=APPROVED, days_ago=20, group="officials", birth_year=1965),
    Citizen("Đặng Văn Tâm", status=APPROVED, days_ago=18, birth_year=1979),
    Citizen("Lý Thị Kim", status=APPROVED, days_ago=15, birth_year=1992),
    Citizen("Trương Văn Phúc", status=RETURNED, days_ago=11, birth_year=1970),
    Citizen("Võ Thị Đào", commune=OTHER, days_ago=5),
]


async def demo(url: str, evidence: Path) -> tuple[int, int, int]:
    """Seed the database; the admin's and the officer's user ids and a case with photos."""
    engine = create_engine(url)
    content, catalogs = load_content(), load_catalogs()
    try:
        async with make_sessionmaker(engine)() as session, session.begin():
            admin = await seed.staff(session, "Quản Trị Tỉnh", StaffRole.ADMIN, None, NOW)
            officer = await seed.staff(session, "Trần Thị Bích", StaffRole.OFFICER, HAI_CHAU, NOW)
            cases = await seed.citizens(
                session, content, PEOPLE, 2026, NOW, evidence_file=str(evidence)
            )
            work = Work(session, content, catalogs, NOW)
            for code, adults, staff in ((HAI_CHAU, 4, 2), (OTHER, 30, 8)):
                await populations.set_figures(
                    work, Actor.operator("cli:demo"), code, 2026, adults=adults, staff=staff
                )
    finally:
        await engine.dispose()
    return admin, officer, cases[0]


def paper(path: Path) -> None:
    """A photo of a paper certificate, as a citizen sends one: a page with a title, lines
    of text and a stamp."""
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (240, 240), "#fbf6e4")
    draw = ImageDraw.Draw(image)
    draw.rectangle((8, 8, 231, 231), outline="#9b1c1c", width=4)
    draw.rectangle((40, 30, 200, 46), fill="#9b1c1c")
    for y in range(70, 170, 18):
        draw.line((32, y, 208, y), fill="#5b5b5b", width=3)
    draw.ellipse((150, 160, 214, 224), outline="#c62828", width=5)
    image.save(path)


def shrink(path: Path) -> None:
    """A screenshot in a palette of 64 colours: a third of the bytes, the same to the eye
    (the pages are flat colours and text)."""
    from PIL import Image

    with Image.open(path) as shot:
        small = shot.convert("RGB").quantize(colors=64, method=Image.Quantize.MEDIANCUT)
    small.save(path, optimize=True)


async def main(out: Path, tmp: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp}/demo.db"
    evidence = tmp / "giay-xac-nhan.png"
    paper(evidence)
    admin, officer, case = await demo(url, evidence)
    engine = create_engine(url)
    sessions = make_sessionmaker(engine)
    content, catalogs = load_content(), load_catalogs()
    app = make_app(
        sessions,
        webhook_secret="demo",
        clock=lambda: NOW,
        console=ConsoleConfig(
            sessions=sessions, content=content, catalogs=catalogs, clock=lambda: NOW
        ),
    )
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    base = f"http://127.0.0.1:{port}"

    async def link(user_id: int) -> str:
        async with sessions() as session, session.begin():
            work = Work(session, content, catalogs, NOW)
            return await console.signin_link(work, Actor(user_id, "chat"))

    try:
        async with async_playwright() as p:
            browser = await p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
            context = await browser.new_context(
                base_url=base, viewport={"width": 1200, "height": 760}, locale="vi-VN"
            )
            page = await context.new_page()
            await page.goto(f"/web/signin/{await link(officer)}")
            await page.get_by_role("button", name="Đăng nhập").click()
            await page.wait_for_url("**/web/")
            await page.screenshot(path=str(out / "console-queue.png"))
            await page.goto(f"/web/case/{case}")
            for thumbnail in await page.locator("img").all():  # drawn before the picture
                await thumbnail.evaluate("img => img.decode()")
            await page.screenshot(path=str(out / "console-case.png"))
            await page.goto("/web/dashboard")
            await page.screenshot(path=str(out / "console-dashboard.png"))
            await context.clear_cookies()
            await page.goto(f"/web/signin/{await link(admin)}")
            await page.get_by_role("button", name="Đăng nhập").click()
            await page.wait_for_url("**/web/")
            await page.goto("/web/people")
            await page.get_by_label("Phạm vi").select_option(HAI_CHAU)
            await page.get_by_role("button", name="Tạo mã mời").click()
            await page.screenshot(path=str(out / "console-people.png"))
            await browser.close()
    finally:
        await runner.cleanup()
        await engine.dispose()
    for name in SHOTS:
        shrink(out / name)
        print(f"{out / name}: {(out / name).stat().st_size // 1024} KiB")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs")
    target = parser.parse_args().out
    target.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as scratch:
        migrate.upgrade(f"sqlite+aiosqlite:///{scratch}/demo.db")
        asyncio.run(main(target, Path(scratch)))
