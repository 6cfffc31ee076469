"""Documents made at delivery time: the bytes come from the maker just before sending, and a
document that can no longer be made is never sent."""

from __future__ import annotations

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from bot.delivery.errors import Rejected
from bot.documents.makers import Document, Documents
from handlers.events import Attachment, Reply
from storage.models import OutboxStatus
from storage.repositories import outbox
from tests.bot.test_delivery import Platform, make_worker, row
from tests.storage.factories import T0, Sessions


async def certificate(session: AsyncSession, code: str) -> Document | None:
    return Document(f"PDF of {code}".encode(), f"{code}.pdf") if code != "gone" else None


def with_document(document: str, name: str = "") -> Reply:
    return Reply("Giấy chứng nhận", attachment=Attachment(document=document, name=name))


async def test_the_maker_fills_in_the_bytes_and_a_file_name(session_factory: Sessions) -> None:
    documents = Documents(session_factory, {"certificate": certificate})

    made = await documents.attach(with_document("certificate:AB12"))

    assert made.attachment is not None
    assert (made.attachment.content, made.attachment.name) == (b"PDF of AB12", "AB12.pdf")
    named = await documents.attach(with_document("certificate:AB12", name="giay.pdf"))
    assert named.attachment is not None and named.attachment.name == "giay.pdf"


async def test_replies_without_a_document_pass_unchanged(session_factory: Sessions) -> None:
    documents = Documents(session_factory, {})
    plain = Reply("Xin chào", attachment=Attachment(ref="file-1", kind="photo"))

    assert await documents.attach(plain) is plain


@pytest.mark.parametrize("document", ["certificate:gone", "report:2026"])
async def test_a_document_that_cannot_be_made_is_rejected(
    session_factory: Sessions, document: str
) -> None:
    documents = Documents(session_factory, {"certificate": certificate})

    with pytest.raises(Rejected):
        await documents.attach(with_document(document))


def test_the_bytes_are_never_stored() -> None:
    reply = Reply("x", attachment=Attachment(document="certificate:AB12", content=b"%PDF"))

    stored = reply.to_payload()

    assert stored["attachment"]["document"] == "certificate:AB12"
    assert "content" not in stored["attachment"]
    assert Reply.from_payload(stored).attachment == Attachment(document="certificate:AB12")


async def send(
    sessions: Sessions, platform: Platform, user_id: int, replies: dict[str, Reply]
) -> None:
    """Queue a reply to each chat and let a worker that makes certificates send them."""
    async with sessions() as session, session.begin():
        await outbox.enqueue(
            session,
            [
                outbox.NewMessage(user_id, "telegram", chat, "notice", reply.to_payload())
                for chat, reply in replies.items()
            ],
            T0,
        )
    worker = make_worker(
        sessions, platform, documents=Documents(sessions, {"certificate": certificate})
    )
    await worker.run_once()


async def test_the_worker_ends_a_gone_document_dead_without_sending_it(
    session_factory: Sessions, platform: Platform, user_id: int
) -> None:
    await send(session_factory, platform, user_id, {"7": with_document("certificate:gone")})

    assert platform.tried == []
    dead = await row(session_factory, 1)
    assert dead.status == OutboxStatus.DEAD
    assert "no longer exists" in (dead.last_error or "")


async def test_the_person_sees_the_bot_at_work_while_their_document_is_made(
    session_factory: Sessions, platform: Platform, user_id: int
) -> None:
    replies = {"7": with_document("certificate:AB12"), "8": Reply("Không có tệp")}
    await send(session_factory, platform, user_id, replies)

    assert platform.typing == ["7"]  # not for the plain text
    assert sorted(r.chat_id for r in platform.received) == ["7", "8"]
