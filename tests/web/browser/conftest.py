"""The console in a real browser: Playwright driving the system's Chromium (never a
downloaded one) against the real server on a free local port. A failing test leaves a
screenshot in test-artifacts/. Without Chromium these tests are skipped, saying why."""

from __future__ import annotations

import os
import shutil
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[3] / "test-artifacts"

if not (Path(CHROMIUM).is_file() or shutil.which(CHROMIUM)):
    pytest.skip(
        f"Chromium not found at {CHROMIUM} (apt-get install chromium, or set CHROMIUM)",
        allow_module_level=True,
    )

playwright_api = pytest.importorskip("playwright.async_api", reason="playwright is not installed")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[Any]) -> Iterator[None]:
    outcome = yield
    report = outcome.get_result()  # type: ignore[attr-defined]
    if report.when == "call":
        item.failed_call = report.failed  # type: ignore[attr-defined]


@pytest.fixture
def sqlite_only(backend: str) -> None:
    if backend != "sqlite":
        pytest.skip("the browser tests run on SQLite; the server tests cover PostgreSQL")


@pytest.fixture
async def page(
    sqlite_only: None, client: TestClient, request: pytest.FixtureRequest
) -> AsyncIterator[Any]:
    """A fresh browser page whose base URL is the console's server."""
    async with playwright_api.async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        context = await browser.new_context(
            base_url=str(client.make_url("")).rstrip("/"), locale="vi-VN"
        )
        tab = await context.new_page()
        errors: list[str] = []
        tab.on("pageerror", lambda exc: errors.append(str(exc)))
        tab.on(
            "console",
            lambda msg: errors.append(msg.text) if msg.type == "error" else None,
        )
        tab.errors = errors
        try:
            yield tab
        finally:
            if getattr(request.node, "failed_call", False):
                ARTIFACTS.mkdir(exist_ok=True)
                name = request.node.name.replace("/", "_").replace("[", "-").strip("]")
                await tab.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
            await browser.close()
