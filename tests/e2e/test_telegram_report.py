"""`/report` over Telegram: the admin is told what is coming, then gets the province's
workbook, made when it is sent and uploaded as a document."""

from __future__ import annotations

import asyncio
import io

import openpyxl
from sqlalchemy.ext.asyncio import AsyncEngine

from content import load_content
from storage.models import StaffRole, utcnow
from storage.repositories import staff
from tests.bot.test_report import SHEETS
from tests.e2e.telegram_stack import TelegramUser, running
from tests.fakes import fixtures
from tests.fakes.telegram import FakeTelegram

fake_telegram = fixtures.fake_telegram


async def test_an_admin_receives_the_province_report(
    fake_telegram: FakeTelegram, engine: AsyncEngine
) -> None:
    async def deliver(update: dict) -> None:
        fake_telegram.queue(update)

    async with running(fake_telegram, engine, load_content(), "poll") as services:
        async with services.sessions() as session, session.begin():
            code = await staff.invite(
                session, role=StaffRole.ADMIN, commune_code=None, unit_id=None, now=utcnow()
            )
        admin = TelegramUser(fake_telegram, 9101, deliver)
        await admin.say(f"/start o_{code}", "quản trị")
        await admin.say("/report", "Đang lập báo cáo năm")
        async with asyncio.timeout(30):
            while not (
                sent := [m for m in fake_telegram.sent(9101) if m["method"] == "sendDocument"]
            ):
                await asyncio.sleep(0.05)

    [document] = sent
    caption = document.get("caption") or ""  # a short text travels with the file
    assert caption.startswith("Báo cáo năm ") and caption.endswith(": Thành phố Đà Nẵng")
    upload = document["document"]
    assert upload["file_name"].startswith("bao-cao-cdht-") and upload["file_name"].endswith(
        "-toan-tinh.xlsx"
    )
    book = openpyxl.load_workbook(io.BytesIO(upload["content"]), read_only=True)
    assert book.sheetnames == SHEETS
    rows = [r[0] for r in book["Tổng hợp"].iter_rows(values_only=True) if r]
    assert "Phạm vi: Thành phố Đà Nẵng" in rows
