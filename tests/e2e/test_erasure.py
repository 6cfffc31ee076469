"""Erasure that erases, on the deployed stack: a citizen's whole journey (over the webhook,
with a shared phone number and a captioned photo as evidence, an officer's review and
approval, the certificate, their data exported on a second app, the console, linked with a
code), then `/delete`. Afterwards nothing of theirs is left anywhere we keep things: not in
a table, not in the SQLite files (WAL included), not in a file under the data directory,
not in the log."""

from __future__ import annotations

import asyncio
import io
import logging
import re
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.channels.console import ConsoleChannel
from content import Content
from storage.models import Base, Certificate, StaffRole, utcnow
from storage.repositories import staff
from tests.e2e.telegram_stack import TelegramUser, quiet_outbox, register_and_assess, running
from tests.fakes import fixtures
from tests.fakes.telegram import FakeTelegram

fake_telegram = fixtures.fake_telegram

pytestmark = pytest.mark.usefixtures("brisk_chats")

NAME = "Trần Văn Ba"
PHONE = "0905123456"
BIRTH_YEAR = "1951"
VILLAGE = "Tổ dân phố Quyết Thắng"
FIRST_NAME = "Bazzinga"


def traces(blob: str, secrets: list[str]) -> list[str]:
    """Which of the person's details appear in ``blob`` (a year only as a number of its own,
    not as digits of a longer one)."""
    return [s for s in secrets if re.search(rf"(?<!\d){re.escape(s)}(?!\d)", blob)]


def files_with(root: Path, secrets: list[str]) -> dict[str, list[str]]:
    found = {
        path.name: traces(path.read_bytes().decode("utf-8", "replace"), secrets)
        for path in root.rglob("*")
        if path.is_file()
    }
    return {name: seen for name, seen in found.items() if seen}


async def table_dump(db: AsyncEngine) -> str:
    lines = []
    async with db.connect() as connection:
        for table in Base.metadata.sorted_tables:
            for row in await connection.execute(select(table)):
                lines.append(f"{table.name}: {tuple(row)}")
    return "\n".join(lines)


async def test_after_delete_nothing_of_the_person_is_left(
    fake_telegram: FakeTelegram,
    engine: AsyncEngine,
    content: Content,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO)
    documents = tmp_path / "documents"

    async def deliver(update: dict) -> None:
        assert await fake_telegram.post_webhook(update) == 200

    async with running(
        fake_telegram, engine, content, "serve", configure={"documents_dir": str(documents)}
    ) as services:
        async with services.sessions() as session, session.begin():
            code = await staff.invite(
                session, role=StaffRole.OFFICER, commune_code="20242", unit_id=None, now=utcnow()
            )
        officer = TelegramUser(fake_telegram, 9201, deliver)
        await officer.say(f"/start o_{code}", "cán bộ xác minh của Phường Hải Châu")

        citizen = TelegramUser(fake_telegram, 9202, deliver)
        await deliver(fake_telegram.user_text(citizen.id, "xin chào", first_name=FIRST_NAME))
        await register_and_assess(
            citizen,
            content,
            name=NAME,
            photo=True,
            year=BIRTH_YEAR,
            village=VILLAGE,
            caption=f"Giấy khen của {NAME}",
        )
        shared = fake_telegram.user_text(citizen.id, "số của tôi")
        del shared["message"]["text"]
        shared["message"]["contact"] = {"phone_number": PHONE, "first_name": FIRST_NAME}
        await citizen.deliver(shared)
        await citizen.wait_for("không cần số điện thoại")

        await officer.wait_for("Có bản tự đánh giá mới cần xác minh")
        await officer.say("/pending", "Danh sách chờ xác minh")
        await officer.press(NAME, "sinh năm")
        await officer.press("Xem minh chứng", "Đã gửi 1 tệp minh chứng")
        await officer.press("Xem câu trả lời", "BẢN TỰ ĐÁNH GIÁ NĂM")
        await officer.press("Duyệt", "Tổng điểm: ")  # the summary to confirm
        await officer.press("Duyệt", "Đã duyệt")
        await citizen.wait_for_document()  # the certificate
        await citizen.deliver(fake_telegram.user_text(citizen.id, "/mydata"))
        assert NAME in (await citizen.wait_for_document())["content"].decode()

        # The console linked as a second app, and the data exported there too: a file on disk.
        await citizen.say("/link", "MÃ LIÊN KẾT")
        link_code = re.search(r"MÃ LIÊN KẾT: (\d{5} \d{5})", citizen.texts()[-1])
        assert link_code
        screen = io.StringIO()
        console = ConsoleChannel(
            services.runtime.engine,
            "ba",
            stdin=io.StringIO(),
            stdout=screen,
            documents=services.documents,
            folder=documents,
        )
        await console.send(console.parse(f"/link {link_code.group(1)}"))
        await console.send(console.parse("/mydata"))
        assert "Đã liên kết!" in screen.getvalue()
        exported = list(documents.rglob("*.json"))
        assert exported and NAME in exported[0].read_text(encoding="utf-8")
        await quiet_outbox(services)

        async with services.sessions() as session:
            certificate_code = await session.scalar(select(Certificate.code))
        assert certificate_code
        secrets = [NAME, PHONE, BIRTH_YEAR, VILLAGE, FIRST_NAME, certificate_code]
        assert set(traces(await table_dump(engine), secrets)) >= {NAME, PHONE, certificate_code}

        await citizen.say("/delete", "giấy chứng nhận")
        await citizen.press("Xóa hết", "Đã xóa toàn bộ dữ liệu")
        await quiet_outbox(services)
        assert documents.exists() and not any(documents.rglob("*.json"))

        assert traces(await table_dump(engine), secrets) == []
        # Every file under the data directory: the SQLite database, its WAL, the documents.
        on_disk = await asyncio.to_thread(files_with, tmp_path, secrets)
    assert on_disk == {}
    assert traces(caplog.text, secrets) == []
