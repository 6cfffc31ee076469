"""People's other tabs: units, population figures (a form and an all-or-nothing CSV) and
the audit log, for a province admin and a commune's admin (inside their commune only), and
refused to an officer, to another commune and to a form without the CSRF token."""

from __future__ import annotations

import aiohttp
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from content import Content
from handlers.actions import Actor, Work, audit_log
from handlers.i18n import load_catalogs
from storage.models import AuditEntry, Invite, Staff, StaffRole, Unit, UnitPopulation
from tests.web import seed
from tests.web.conftest import Clock, World
from tests.web.seed import HAI_CHAU, OTHER


async def commune_admin(session_factory: async_sessionmaker[AsyncSession], clock: Clock) -> int:
    async with session_factory() as session, session.begin():
        return await seed.staff(session, "Quản Trị Hải Châu", StaffRole.ADMIN, HAI_CHAU, clock())


async def figures(session_factory: async_sessionmaker[AsyncSession]) -> dict[str, tuple]:
    async with session_factory() as session:
        rows = await session.scalars(select(UnitPopulation))
        return {r.unit_code: (r.year, r.adults, r.staff) for r in rows}


async def upload(browser, body: str) -> tuple[int, str, str]:
    form = aiohttp.FormData()
    form.add_field("csrf", browser.csrf)
    form.add_field("file", body.encode(), filename="so-lieu.csv", content_type="text/csv")
    response = await browser.client.post(
        "/web/people/populations/upload", data=form, allow_redirects=False
    )
    return response.status, response.headers.get("Location", ""), await response.text()


async def test_a_commune_admin_manages_units_and_figures_of_their_commune_only(
    sign_in, world: World, session_factory: async_sessionmaker[AsyncSession], clock: Clock
) -> None:
    browser = await sign_in(await commune_admin(session_factory, clock))
    status, page = await browser.get("/web/people/units")
    assert status == 200 and "Chưa có đơn vị nào." in page
    added = await browser.post(
        "/web/people/units", {"commune": HAI_CHAU, "name": " Tổ  5 ", "kind": "village"}
    )
    async with session_factory() as session:
        unit = await session.scalar(select(Unit))
    assert unit is not None and unit.name == "Tổ 5"
    assert added[:2] == (303, f"/web/people/units#unit-{unit.code}")
    again = await browser.post(
        "/web/people/units", {"commune": HAI_CHAU, "name": "Tổ 5", "kind": "village"}
    )
    assert again[0] == 400 and "đã có đơn vị cùng tên" in again[2]
    elsewhere = await browser.post(
        "/web/people/units", {"commune": OTHER, "name": "Tổ 1", "kind": "village"}
    )
    assert elsewhere[0] == 403 and "không thuộc phạm vi" in elsewhere[2]

    done = await browser.post(
        "/web/people/populations",
        {"place": unit.code, "year": "2026", "adults": "450", "staff": ""},
    )
    assert done[:2] == (303, "/web/people/units?year=2026")
    outside = await browser.post(
        "/web/people/populations", {"place": OTHER, "year": "2026", "adults": "9"}
    )
    assert outside[0] == 400 and f"{OTHER} không thuộc phạm vi bạn quản lý" in outside[2]
    assert await figures(session_factory) == {unit.code: (2026, 450, None)}
    _, page = await browser.get("/web/people/units?year=2026")
    assert "Tổ 5" in page and "450" in page

    good = f"unit_code,year,adults,staff\n{HAI_CHAU},2026,12500,310\n{unit.code},2026,,\n"
    assert (await upload(browser, good))[:2] == (303, "/web/people/units?imported=2")
    after = {HAI_CHAU: (2026, 12500, 310), unit.code: (2026, None, None)}
    assert await figures(session_factory) == after
    bad = (
        f"unit_code,year,adults,staff\n{HAI_CHAU},2026,1,2\n{unit.code},2026,3,4\n"
        f"{HAI_CHAU},2026,mười,2\n"
    )
    status, _, page = await upload(browser, bad)
    assert status == 400 and "Dòng 4: số người lớn phải là số nguyên, không phải “mười”" in page
    status, _, page = await upload(browser, f"unit_code,year,adults,staff\n{OTHER},2026,1,2\n")
    assert status == 400 and f"Dòng 2: {OTHER} không thuộc phạm vi" in page
    assert await figures(session_factory) == after  # not even the good lines were taken


async def test_officers_and_forged_forms_are_refused(
    sign_in, world: World, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    officer = await sign_in(world.officer)
    for path in ("/web/people/units", "/web/people/audit"):
        status, page = await officer.get(path)
        assert status == 403 and "dành cho quản trị viên" in page, path
    unit = {"commune": HAI_CHAU, "name": "Tổ 5", "kind": "village"}
    assert (await officer.post("/web/people/units", unit))[0] == 403
    figures_form = {"place": HAI_CHAU, "year": "2026", "adults": "1"}
    assert (await officer.post("/web/people/populations", figures_form))[0] == 403
    assert (await upload(officer, "unit_code,year,adults,staff\n"))[0] == 403

    admin = await sign_in(world.admin)
    assert (await admin.post("/web/people/units", unit, csrf=False))[0] == 403
    assert (await admin.post("/web/people/populations", figures_form, csrf=False))[0] == 403
    admin.csrf = "forged"
    assert (await upload(admin, "unit_code,year,adults,staff\n"))[0] == 403
    async with session_factory() as session:
        assert await session.scalar(select(Unit)) is None
        assert await session.scalar(select(UnitPopulation)) is None


async def test_the_audit_log_filters_pages_and_keeps_to_the_commune(
    sign_in,
    world: World,
    session_factory: async_sessionmaker[AsyncSession],
    clock: Clock,
    content: Content,
) -> None:
    # One browser at a time: a sign-in replaces the client's session cookie.
    admin = await sign_in(world.admin)
    for n in range(3):
        await admin.post(
            "/web/people/units", {"commune": OTHER, "name": f"Tổ {n}", "kind": "village"}
        )
    clock.advance(days=2)
    local = await sign_in(await commune_admin(session_factory, clock))
    await local.post("/web/people/units", {"commune": HAI_CHAU, "name": "Tổ 9", "kind": "village"})
    # The commune's admin sees their commune's people only, not the province admin's work.
    _, page = await local.get("/web/people/audit?action=unit.added")
    assert page.count("<code>unit.added</code>") == 1 and "Quản Trị Hải Châu" in page
    _, page = await local.get(f"/web/people/audit?who={world.admin}")
    assert "Không có mục nào." in page

    admin = await sign_in(world.admin)
    status, page = await admin.get("/web/people/audit?action=unit.added")
    assert status == 200 and page.count("<code>unit.added</code>") == 4
    assert "Quản Trị Hải Châu" in page and "<td>Quản Trị</td>" in page
    _, page = await admin.get(f"/web/people/audit?who={world.admin}&action=unit.")
    assert page.count("<code>unit.added</code>") == 3 and "<td>Quản Trị Hải Châu" not in page
    _, page = await admin.get("/web/people/audit?action=unit.added&from=2026-11-21")
    assert page.count("<code>unit.added</code>") == 1
    _, page = await admin.get("/web/people/audit?action=unit.added&to=2026-11-20")
    assert page.count("<code>unit.added</code>") == 3

    async with session_factory() as session:
        viewed = list(
            await session.scalars(
                select(AuditEntry)
                .where(AuditEntry.action == "audit.viewed")
                .order_by(AuditEntry.id)
            )
        )
    assert len(viewed) == 6
    assert viewed[3].details["filters"] == {"who": str(world.admin), "action": "unit."}

    async with session_factory() as session, session.begin():
        work = Work(session, content, load_catalogs(), clock())
        asked = audit_log.Filters(action="unit.added")
        first = await audit_log.log(work, Actor.operator(), asked, limit=3)
        rest = await audit_log.log(work, Actor.operator(), asked, before=first.older, limit=3)
    assert len(first.entries) == 3 and first.older is not None
    assert len(rest.entries) == 1 and rest.older is None
    _, page = await admin.get(f"/web/people/audit?action=unit.added&before={first.older}")
    assert page.count("<code>unit.added</code>") == 1 and "« Mới nhất" in page


async def test_a_commune_admin_manages_only_their_communes_people(
    sign_in, world: World, session_factory: async_sessionmaker[AsyncSession], clock: Clock
) -> None:
    local_admin = await commune_admin(session_factory, clock)
    browser = await sign_in(local_admin)
    status, page = await browser.get("/web/people")
    assert status == 200 and "Cán Bộ Hải Châu" in page
    assert "Cán Bộ Thanh Khê" not in page and "Thành phố Đà Nẵng" not in page
    refused = await browser.post("/web/people/invite", {"role": "officer", "scope": OTHER})
    assert refused[0] == 400 and "Phạm vi không hợp lệ" in refused[2]
    async with session_factory() as session:
        theirs = await session.scalar(select(Staff.id).where(Staff.user_id == world.other_officer))
        assert await session.scalar(select(Invite)) is None
    assert (await browser.post(f"/web/people/{theirs}/revoke", {}))[0] == 404
    async with session_factory() as session:
        listed = await session.scalar(select(AuditEntry).where(AuditEntry.action == "staff.listed"))
        assert (await session.get(Staff, theirs)).revoked_at is None  # type: ignore[union-attr]
    # Reading the names is noted, with how many and from where, and no names.
    assert listed is not None and listed.actor_user_id == local_admin
    assert listed.details == {"roles": 2, "via": "web"}
