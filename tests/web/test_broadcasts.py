"""Broadcasts in the console: the live count and preview, sending now or at a time, the
progress fragment with pause, resume and cancel, the past broadcasts; and the refusals
(another commune, another officer's broadcast, a state that does not allow it, no CSRF)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.models import AuditEntry, Broadcast, Profile, Staff, StaffRole
from tests.web.conftest import Clock, World
from tests.web.seed import HAI_CHAU, OTHER

HX = {"HX-Request": "true"}


async def audited(sessions: async_sessionmaker[AsyncSession]) -> list[str]:
    async with sessions() as session:
        return list(await session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))


async def test_an_officer_composes_counts_previews_sends_and_controls_their_broadcast(
    sign_in, world: World, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    officer = await sign_in(world.officer)
    status, page = await officer.get("/web/broadcasts")
    # An officer reaches their own commune only: it is chosen, and counted at once.
    assert status == 200 and 'href="/web/broadcasts" aria-current="page"' in page
    assert "Toàn " not in page and '<strong id="count">5</strong>' in page

    response = await officer.client.post(
        "/web/broadcasts/preview",
        data={"text": "Họp chi hội tối nay", "place": HAI_CHAU, "group": "workers"},
        headers={**HX, "X-CSRF-Token": officer.csrf},
    )
    fragment = await response.text()
    assert response.status == 200 and "<html" not in fragment
    assert '<strong id="count">1</strong>' in fragment
    assert "Họp chi hội tối nay\n\nGõ /stop để ngừng nhận thông báo." in fragment
    status, _, fragment = await officer.post(
        "/web/broadcasts/preview", {"text": "x", "place": OTHER}
    )
    assert status == 200 and "ngoài phạm vi" in fragment  # the page, with the refusal

    status, _, page = await officer.post("/web/broadcasts", {"text": "Họp", "place": OTHER})
    assert status == 400 and "ngoài phạm vi" in page
    status, _, page = await officer.post("/web/broadcasts", {"text": "Họp", "place": "20242-99"})
    assert status == 400 and "ngoài phạm vi" in page  # a unit that does not exist
    status, _, page = await officer.post("/web/broadcasts", {"text": " ", "place": HAI_CHAU})
    assert status == 400 and "chưa gõ nội dung" in page
    status, _, page = await officer.post("/web/broadcasts", {"text": "x" * 3501, "place": HAI_CHAU})
    assert status == 400 and "Nội dung dài 3.501 ký tự, quá 3.500." in page
    async with session_factory() as session:
        assert list(await session.scalars(select(Broadcast))) == []

    status, location, _ = await officer.post(
        "/web/broadcasts", {"text": "Họp chi hội tối nay", "place": HAI_CHAU, "when": "now"}
    )
    assert status == 303 and location.startswith("/web/broadcasts/")
    status, page = await officer.get(location)
    assert status == 200 and "chờ đến giờ gửi" in page and 'hx-trigger="every 2s"' in page
    status, again, _ = await officer.post(f"{location}/pause", {})
    assert (status, again) == (303, location)
    _, fragment = await officer.get(f"{location}/figures")
    assert "tạm dừng" in fragment and "/resume" in fragment and "<html" not in fragment
    assert (await officer.post(f"{location}/resume", {}))[:2] == (303, location)
    assert (await officer.post(f"{location}/cancel", {}))[:2] == (303, location)
    status, refused, _ = await officer.post(f"{location}/resume", {})  # too late
    assert (status, refused) == (303, f"{location}?error=state")
    _, page = await officer.get(refused)
    assert "không cho phép việc này" in page and "đã hủy" in page
    assert 'hx-trigger="every' not in page  # nothing more to follow

    _, page = await officer.get("/web/broadcasts")
    assert f'href="{location}"' in page and "Phường Hải Châu" in page and "đã hủy" in page
    actions = await audited(session_factory)
    assert actions.count("broadcast.refused") >= 2
    for done in ("created", "scheduled", "paused", "resumed", "cancelled"):
        assert f"broadcast.{done}" in actions


async def test_who_may_control_a_broadcast(
    sign_in, world: World, session_factory: async_sessionmaker[AsyncSession], clock: Clock
) -> None:
    async with session_factory() as session, session.begin():
        # Roles given to people already there (the seed's ids leave PostgreSQL's sequence
        # behind): Thanh Khê's officer also admin of Thanh Khê, a citizen admin of Hải Châu.
        commune_admin = await session.scalar(
            select(Profile.user_id).where(Profile.full_name == "Phạm Đức Minh")
        )
        assert commune_admin is not None
        for user_id, commune in ((world.other_officer, OTHER), (commune_admin, HAI_CHAU)):
            session.add(
                Staff(
                    user_id=user_id, role=StaffRole.ADMIN, commune_code=commune, granted_at=clock()
                )
            )
    officer = await sign_in(world.officer)
    _, location, _ = await officer.post("/web/broadcasts", {"text": "Họp", "place": HAI_CHAU})

    other = await sign_in(world.other_officer)  # an officer and admin of another commune
    assert (await other.get(location))[0] == 404
    assert (await other.post(f"{location}/pause", {}))[0] == 404
    assert f'href="{location}"' not in (await other.get("/web/broadcasts"))[1]
    admin = await sign_in(commune_admin)  # their commune's, made by one of its officers
    assert (await admin.post(f"{location}/pause", {}))[:2] == (303, location)
    province = await sign_in(world.admin)
    _, page = await province.get("/web/broadcasts")
    assert "Toàn " in page
    assert (await province.post(f"{location}/resume", {}))[:2] == (303, location)
    assert (await province.post(f"{location}/rewind", {}))[0] == 404

    officer = await sign_in(world.officer)
    response = await officer.client.post(f"{location}/cancel", data={}, allow_redirects=False)
    assert response.status == 403  # no CSRF token
    async with session_factory() as session:
        assert await session.scalar(select(Broadcast.status)) == "scheduled"


async def test_a_broadcast_at_a_time(
    sign_in, world: World, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    admin = await sign_in(world.admin)  # 09:00 on 20 November 2026 in Vietnam
    form = {"text": "Nhắc nộp bản tự đánh giá", "place": "", "status": "none", "when": "at"}
    status, _, page = await admin.post("/web/broadcasts", {**form, "at": "2026-11-20T08:00"})
    assert status == 400 and "đã qua" in page
    status, _, page = await admin.post("/web/broadcasts", {**form, "at": "hôm nay"})
    assert status == 400 and "chọn ngày và giờ" in page
    status, location, _ = await admin.post("/web/broadcasts", {**form, "at": "2026-11-21T19:30"})
    assert status == 303
    _, page = await admin.get(location)
    assert "Bắt đầu gửi lúc 19:30 21/11/2026." in page
    async with session_factory() as session:
        b = await session.scalar(select(Broadcast))
        assert b is not None and b.segment == {"statuses": ["none"], "year": 2026}
