"""Evidence a citizen sent on Telegram or Zalo, shown in the console: the bot reads the file
from the platform (Telegram's getFile and file server, Zalo's media server; here the local
fakes) and streams it to an officer who may see the case, with its type, never with the
platform's address or the bot's token; every read is audited."""

from __future__ import annotations

import io

import pytest
from aiogram import Bot
from PIL import Image
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.channels import files
from storage.models import Answer, AuditEntry
from tests.fakes.fixtures import fake_telegram, fake_zalo_oa, telegram_bot  # noqa: F401
from tests.fakes.telegram import FakeTelegram
from tests.fakes.zalo_oa import FakeZaloOA
from tests.web.conftest import World

PDF = b"%PDF-1.4 giay khen\n" * 50


def jpeg() -> bytes:
    """A real photo, as Telegram gives them (JPEG)."""
    out = io.BytesIO()
    Image.new("RGB", (120, 90), (200, 120, 40)).save(out, "JPEG")
    return out.getvalue()


@pytest.fixture
def readers(
    telegram_bot: Bot,  # noqa: F811
    fake_zalo_oa: FakeZaloOA,  # noqa: F811
) -> dict[str, files.Reader]:
    return {"telegram": files.telegram(telegram_bot), "zalo_oa": files.media(fake_zalo_oa.base_url)}


async def sent_on_apps(
    session_factory: async_sessionmaker[AsyncSession],
    telegram: FakeTelegram,
    zalo: FakeZaloOA,
    assessment_id: int,
    image: bytes,
) -> list[dict[str, object]]:
    """A photo and a PDF sent on Telegram, a file sent on Zalo OA, as the chat keeps them."""
    photo = telegram.user_photo(501, content=image)["message"]["photo"][-1]
    document = telegram.user_document(501, content=PDF)["message"]["document"]
    sent = zalo.user_file("z1", "giay-khen.pdf", content=PDF)
    url = sent["message"]["attachments"][0]["payload"]["url"]
    evidence: list[dict[str, object]] = [
        {"ref": photo["file_id"], "mime": "image/jpeg", "kind": "photo", "channel": "telegram"},
        {
            "ref": document["file_id"],
            "mime": "application/pdf",
            "name": "giay-chung-nhan.pdf",
            "kind": "document",
            "channel": "telegram",
        },
        {"ref": url, "mime": "application/pdf", "name": "giay-khen.pdf", "channel": "zalo_oa"},
    ]
    async with session_factory() as session, session.begin():
        await session.execute(
            update(Answer)
            .where(Answer.assessment_id == assessment_id, Answer.indicator_id == "I1")
            .values(evidence=evidence)
        )
    return evidence


async def test_files_sent_on_telegram_and_zalo_are_shown_through_the_bot(
    sign_in,
    world: World,
    session_factory: async_sessionmaker[AsyncSession],
    fake_telegram: FakeTelegram,  # noqa: F811
    fake_zalo_oa: FakeZaloOA,  # noqa: F811
) -> None:
    anh = world.mine[1]
    image = jpeg()
    evidence = await sent_on_apps(session_factory, fake_telegram, fake_zalo_oa, anh, image)
    browser = await sign_in(world.officer)
    _, page = await browser.get(f"/web/case/{anh}")
    base = f"/web/case/{anh}/evidence/I1"
    assert f'<img src="{base}/0"' in page  # the photo as a thumbnail, opening full size
    assert f'<a href="{base}/1">giay-chung-nhan.pdf</a>' in page
    assert f'<a href="{base}/2">giay-khen.pdf</a>' in page
    assert fake_telegram.token not in page and str(evidence[2]["ref"]) not in page

    expected = [(image, "image/jpeg"), (PDF, "application/pdf"), (PDF, "application/pdf")]
    for n, (body, kind) in enumerate(expected):
        response = await browser.client.get(f"{base}/{n}")
        assert response.status == 200
        assert (await response.read(), response.content_type) == (body, kind)
        assert response.headers["Content-Disposition"] == "inline"
        assert fake_telegram.token not in str(response.headers)
    async with session_factory() as session:
        read = list(
            await session.scalars(
                select(AuditEntry.details).where(AuditEntry.action == "review.evidence")
            )
        )
    assert [d["file"] for d in read] == ["I1/0", "I1/1", "I1/2"]


async def test_a_file_is_refused_out_of_scope_and_missing_files_are_not_found(
    sign_in,
    world: World,
    session_factory: async_sessionmaker[AsyncSession],
    fake_telegram: FakeTelegram,  # noqa: F811
    fake_zalo_oa: FakeZaloOA,  # noqa: F811
) -> None:
    anh = world.mine[1]
    await sent_on_apps(session_factory, fake_telegram, fake_zalo_oa, anh, jpeg())
    stranger = await sign_in(world.other_officer)
    response = await stranger.client.get(f"/web/case/{anh}/evidence/I1/0")
    assert response.status == 404 and b"JFIF" not in await response.read()
    async with session_factory() as session:
        refused = await session.scalar(
            select(AuditEntry.subject).where(AuditEntry.action == "review.refused")
        )
    assert refused == str(anh)

    async with session_factory() as session, session.begin():
        answer = await session.get(Answer, (anh, "I1"))
        assert answer is not None
        answer.evidence = [
            {**answer.evidence[0], "ref": "no-such-file"},
            {**answer.evidence[2], "ref": "https://elsewhere.example/giay-khen.pdf"},
        ]
    officer = await sign_in(world.officer)
    for n in (0, 1, 5):  # Telegram has no such file; not Zalo's server; no such position
        assert (await officer.client.get(f"/web/case/{anh}/evidence/I1/{n}")).status == 404
