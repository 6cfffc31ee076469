"""The case page and its decisions, taken through the same actions as the chat."""

from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from content import Content
from storage.models import Assessment, AssessmentStatus, AuditEntry, Certificate, OutboxMessage
from tests.web import seed
from tests.web.conftest import YEAR, Clock, World


async def status_of(sessions: async_sessionmaker[AsyncSession], assessment_id: int) -> str:
    async with sessions() as session:
        a = await session.get(Assessment, assessment_id)
        assert a is not None
        return a.status


async def notices(sessions: async_sessionmaker[AsyncSession]) -> list[str]:
    async with sessions() as session:
        rows = await session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))
        return [r.payload["text"] for r in rows]


async def test_the_case_shows_answers_in_words_points_evidence_and_history(
    sign_in, world: World, content: Content
) -> None:
    browser = await sign_in(world.officer)
    status, page = await browser.get(f"/web/case/{world.mine[0]}")
    assert status == 200
    group = content.criteria_for("residents", YEAR)
    best = max(group.indicators[1].options, key=lambda o: o.points)
    assert best.label.vi in page  # the option's words, not its id
    assert "Nộp bản tự đánh giá" in page  # the history, from the audit log
    assert page.count(f"/web/case/{world.mine[0]}/evidence/I1/") == 2 * 2  # link + image, 2 files
    assert "Đạt các tiêu chí" in page


async def test_approve_issues_the_certificate_and_tells_the_citizen(
    sign_in, world: World, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    browser = await sign_in(world.officer)
    await browser.get(f"/web/case/{world.mine[0]}")
    status, location, _ = await browser.post(f"/web/case/{world.mine[0]}/approve", {})
    assert (status, location) == (303, f"/web/case/{world.mine[0]}?done=approved")
    assert await status_of(session_factory, world.mine[0]) == AssessmentStatus.APPROVED
    async with session_factory() as session:
        assert await session.scalar(select(Certificate.assessment_id)) == world.mine[0]
        actions = list(await session.scalars(select(AuditEntry.action)))
    assert "review.approved" in actions
    assert any("đã duyệt" in text for text in await notices(session_factory))
    _, page = await browser.get(location)
    assert "Đã duyệt." in page and "Mở lại" in page


async def test_a_failing_case_cannot_be_approved_but_can_be_with_adjustments(
    sign_in, world: World, session_factory: async_sessionmaker[AsyncSession], content: Content
) -> None:
    browser = await sign_in(world.officer)
    anh = world.mine[1]
    await browser.get(f"/web/case/{anh}")
    status, _, page = await browser.post(f"/web/case/{anh}/approve", {})
    assert status == 409 and "chưa đạt các tiêu chí" in page
    assert await status_of(session_factory, anh) == AssessmentStatus.SUBMITTED
    group = content.criteria_for("workers", YEAR)
    raised = {}
    for ind in group.indicators:
        raised[f"points-{ind.id}"] = str(ind.max_points)
        raised[f"reason-{ind.id}"] = "Đã xem giấy xác nhận của chi hội"
    status, _, _ = await browser.post(f"/web/case/{anh}/approve", raised)
    assert status == 303
    async with session_factory() as session:
        a = await session.get(Assessment, anh)
        assert a is not None and a.status == AssessmentStatus.APPROVED and a.adjustments


async def test_return_and_reject_need_words_and_reach_the_citizen(
    sign_in, world: World, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    browser = await sign_in(world.officer)
    lan, _, hong, _ = world.mine
    await browser.get(f"/web/case/{lan}")
    status, _, page = await browser.post(
        f"/web/case/{lan}/return", {"indicator": "I2", "comment": "ok"}
    )
    assert status == 409 and "quá ngắn" in page
    status, _, _ = await browser.post(
        f"/web/case/{lan}/return", {"indicator": "I2", "comment": "Cần giấy xác nhận"}
    )
    assert status == 303
    async with session_factory() as session:
        a = await session.get(Assessment, lan)
        assert a is not None and a.status == AssessmentStatus.RETURNED and a.reopened == ["I2"]
    status, _, _ = await browser.post(f"/web/case/{hong}/reject", {"reason": "Khai không đúng"})
    assert status == 303
    assert await status_of(session_factory, hong) == AssessmentStatus.REJECTED
    texts = await notices(session_factory)
    assert any("Cần giấy xác nhận" in text for text in texts)
    assert any("Khai không đúng" in text for text in texts)


async def test_reopen_takes_a_decision_back(
    sign_in, world: World, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    browser = await sign_in(world.officer)
    lan = world.mine[0]
    await browser.get(f"/web/case/{lan}")
    await browser.post(f"/web/case/{lan}/approve", {})
    status, location, _ = await browser.post(
        f"/web/case/{lan}/reopen", {"reason": "Minh chứng bị nhầm người"}
    )
    assert (status, location) == (303, f"/web/case/{lan}?done=reopened")
    assert await status_of(session_factory, lan) == AssessmentStatus.REOPENED
    async with session_factory() as session:
        certificate = await session.scalar(select(Certificate))
        assert certificate is not None and certificate.revoked_at is not None
    _, page = await browser.get(location)
    assert "Mở lại quyết định" in page and f'action="/web/case/{lan}/approve"' in page


async def test_the_second_officer_is_told_who_decided(
    sign_in, world: World, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    first = await sign_in(world.officer)
    second = await sign_in(world.admin)
    lan = world.mine[0]
    await first.get(f"/web/case/{lan}")
    await second.get(f"/web/case/{lan}")
    # Each browser has its own cookie jar in reality; here the client shares one, so the
    # second sign-in's cookie is the one sent: act as the admin first, then sign in again.
    assert (await second.post(f"/web/case/{lan}/approve", {}))[0] == 303
    late = await sign_in(world.officer)
    status, _, page = await late.post(f"/web/case/{lan}/reject", {"reason": "Khai không đúng"})
    assert status == 409
    assert "đã được quyết định trước" in page and "Quản Trị" in page
    assert await status_of(session_factory, lan) == AssessmentStatus.APPROVED


async def test_another_communes_case_is_not_found_and_noted(
    sign_in, world: World, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    browser = await sign_in(world.officer)
    theirs = world.theirs[0]
    status, page = await browser.get(f"/web/case/{theirs}")
    assert status == 404 and "Võ Thị Đào" not in page
    status, _ = await browser.get(f"/web/case/{theirs}/evidence/I1/0")
    assert status == 404
    status, _, _ = await browser.post(f"/web/case/{theirs}/approve", {})
    assert status == 404
    assert await status_of(session_factory, theirs) == AssessmentStatus.SUBMITTED
    async with session_factory() as session:
        refused = await session.scalars(
            select(AuditEntry.action).where(AuditEntry.subject == str(theirs))
        )
        assert list(refused).count("review.refused") == 3
    assert (await browser.get("/web/case/999999"))[0] == 404
    assert (await browser.get("/web/case/abc"))[0] == 404


async def test_evidence_files_are_served_to_the_officer(
    sign_in,
    world: World,
    session_factory: async_sessionmaker[AsyncSession],
    content: Content,
    clock: Clock,
    tmp_path,
) -> None:
    picture = tmp_path / "giay.png"
    picture.write_bytes(b"\x89PNG\r\n\x1a\n" + b"0" * 60)
    async with session_factory() as session, session.begin():
        [case] = await seed.citizens(
            session,
            content,
            [seed.Citizen("Đỗ Văn Bình", evidence=1)],
            YEAR,
            clock(),
            evidence_file=str(picture),
        )
    browser = await sign_in(world.officer)
    response = await browser.client.get(f"/web/case/{case}/evidence/I1/0")
    assert response.status == 200 and response.content_type == "image/png"
    assert await response.read() == picture.read_bytes()
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert (await browser.get(f"/web/case/{case}/evidence/I1/5"))[0] == 404
    assert re.search(
        r"<img src=\"/web/case/\d+/evidence/I1/0\"", (await browser.get(f"/web/case/{case}"))[1]
    )
