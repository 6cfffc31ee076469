"""The review queue: only the viewer's scope, its filters, search, sort and pages."""

from __future__ import annotations

import re

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from content import Content
from storage.models import Assessment, AssessmentStatus, OutboxMessage, Profile
from tests.web import seed
from tests.web.conftest import YEAR, Clock, World

ROW = re.compile(r'<a href="/web/case/(\d+)">')


def listed(page: str) -> list[int]:
    return [int(n) for n in ROW.findall(page)]


async def test_an_officer_sees_the_waiting_submissions_of_their_commune_oldest_first(
    sign_in, world: World
) -> None:
    browser = await sign_in(world.officer)
    _, page = await browser.get("/web/")
    lan, anh, hong, _approved = world.mine
    assert listed(page) == [lan, hong, anh]
    assert "Võ Thị Đào" not in page  # another commune's
    assert "12 ngày" in page and "✗" in page and "✓" in page


async def test_an_admin_sees_the_province(sign_in, world: World) -> None:
    browser = await sign_in(world.admin)
    _, page = await browser.get("/web/")
    assert set(listed(page)) == {*world.mine[:3], *world.theirs}


async def test_filters_search_and_counts(sign_in, world: World) -> None:
    browser = await sign_in(world.officer)
    lan, anh, hong, approved = world.mine
    assert listed((await browser.get("/web/?passed=no"))[1]) == [anh]
    assert listed((await browser.get("/web/?evidence=yes"))[1]) == [lan]
    assert listed((await browser.get("/web/?days=4"))[1]) == [lan, hong]
    assert listed((await browser.get("/web/?group=workers"))[1]) == [anh]
    assert listed((await browser.get("/web/?q=tran+van+anh"))[1]) == [anh]  # no accents
    assert listed((await browser.get("/web/?q=Hồng"))[1]) == [hong]
    assert listed((await browser.get("/web/?q=1968"))[1]) == [lan]
    assert listed((await browser.get("/web/?state=approved"))[1]) == [approved]
    assert listed((await browser.get("/web/?sort=newest"))[1]) == [anh, hong, lan]
    assert listed((await browser.get(f"/web/?year={YEAR - 1}"))[1]) == []
    _, page = await browser.get("/web/?state=all")
    counts = dict(re.findall(r'state=(\w+)[^"]*"[^>]*>[^<]*<span class="count">(\d+)</span>', page))
    assert counts == {"waiting": "3", "returned": "0", "approved": "1", "rejected": "0", "all": "4"}


async def test_nonsense_in_the_query_string_is_ignored(sign_in, world: World) -> None:
    browser = await sign_in(world.officer)
    status, page = await browser.get("/web/?year=abc&days=-3&sort=DROP&state=x&after=%%%")
    assert status == 200 and len(listed(page)) == 3


async def test_keyset_pages_cover_every_row_once(
    sign_in,
    world: World,
    session_factory: async_sessionmaker[AsyncSession],
    content: Content,
    clock: Clock,
) -> None:
    async with session_factory() as session, session.begin():
        await seed.citizens(session, content, seed.many(120), YEAR, clock())
    browser = await sign_in(world.officer)
    for sort in ("oldest", "newest", "total", "name"):
        seen: list[int] = []
        path = f"/web/?sort={sort}"
        while path:
            _, page = await browser.get(path)
            seen += listed(page)
            found = re.search(r'href="(/web/\?[^"]*after=[^"]*)" rel="next"', page)
            path = found.group(1).replace("&amp;", "&") if found else ""
        assert len(seen) == len(set(seen)) == 123, sort


async def test_bulk_approve_confirms_how_many_meet_the_rules_then_approves_them(
    sign_in, world: World, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    browser = await sign_in(world.officer)
    lan, anh, hong, _ = world.mine
    theirs = world.theirs[0]
    # Another commune's id slipped into the form is not even counted.
    ids = [str(lan), str(anh), str(hong), str(theirs)]
    status, _, page = await browser.post("/web/queue/bulk", {"do": "approve", "id": ids})
    assert status == 200 and "Duyệt 2 bản đạt tiêu chí trong số 4 bản đã chọn" in page
    assert "Võ Thị Đào" not in page
    status, location, _ = await browser.post(
        "/web/queue/bulk", {"do": "approve", "confirm": "yes", "id": [*ids]}
    )
    assert (status, location) == (303, "/web/?done=approved-2-2")
    async with session_factory() as session:
        rows = await session.execute(select(Assessment.id, Assessment.status))
        states = {assessment_id: status for assessment_id, status in rows}
    assert states[lan] == states[hong] == AssessmentStatus.APPROVED
    assert states[anh] == states[theirs] == AssessmentStatus.SUBMITTED
    _, page = await browser.get(location)
    assert "Đã duyệt 2 bản. 2 bản không duyệt được" in page
    assert listed(page) == [anh]


async def test_bulk_return_sends_one_comment_to_each(
    sign_in, world: World, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    browser = await sign_in(world.officer)
    lan, anh, _, _ = world.mine
    status, location, _ = await browser.post(
        "/web/queue/bulk",
        {"do": "return", "id": [str(lan), str(anh)], "comment": "Bổ sung ảnh giấy xác nhận"},
    )
    assert (status, location) == (303, "/web/?done=returned-2-0")
    async with session_factory() as session:
        returned = (
            await session.scalars(
                select(Assessment).where(Assessment.status == AssessmentStatus.RETURNED)
            )
        ).all()
        notices = await session.scalars(select(OutboxMessage.payload))
        texts = [p["text"] for p in notices]
    assert {a.id for a in returned} == {lan, anh}
    assert all(len(a.reopened) == 10 for a in returned)
    assert sum("Bổ sung ảnh giấy xác nhận" in text for text in texts) == 2


async def test_bulk_without_the_csrf_token_changes_nothing(
    sign_in, world: World, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    browser = await sign_in(world.officer)
    status, _, _ = await browser.post(
        "/web/queue/bulk",
        {"do": "approve", "confirm": "yes", "id": [str(world.mine[0])]},
        csrf=False,
    )
    assert status == 403
    async with session_factory() as session:
        assert (
            await session.scalar(select(Assessment.status).where(Assessment.id == world.mine[0]))
            == AssessmentStatus.SUBMITTED
        )


def counted(page: str) -> dict[str, str]:
    return dict(re.findall(r'state=(\w+)[^"]*"[^>]*>[^<]*<span class="count">(\d+)</span>', page))


async def test_the_counts_follow_every_change_whoever_makes_it(
    sign_in, world: World, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    """The counts are kept between pages, and counted again after any change: here made
    outside the console (as the chat would), twice at the same instant of the clock."""
    browser = await sign_in(world.officer)
    lan, _, hong, _ = world.mine
    assert counted((await browser.get("/web/?state=all"))[1])["waiting"] == "3"
    async with session_factory() as session, session.begin():
        await session.execute(
            update(Assessment).where(Assessment.id == hong).values(status=AssessmentStatus.APPROVED)
        )
    counts = counted((await browser.get("/web/?state=all"))[1])
    assert (counts["waiting"], counts["approved"]) == ("2", "2")
    async with session_factory() as session, session.begin():  # the citizen moved away
        await session.execute(
            update(Profile)
            .where(
                Profile.user_id
                == select(Assessment.user_id).where(Assessment.id == lan).scalar_subquery()
            )
            .values(commune_code=seed.OTHER)
        )
    assert counted((await browser.get("/web/?state=all"))[1])["waiting"] == "1"


async def test_a_possible_duplicate_is_hinted_in_the_list(
    sign_in,
    world: World,
    session_factory: async_sessionmaker[AsyncSession],
    content: Content,
    clock: Clock,
) -> None:
    """The same name (accents, case and spaces aside), birth year and commune as another
    person's submission this year: both rows say so; no one else's does."""
    async with session_factory() as session, session.begin():
        (again,) = await seed.citizens(
            session, content, [seed.Citizen("nguyen thi  LAN", birth_year=1968)], YEAR, clock()
        )
    browser = await sign_in(world.officer)
    _, page = await browser.get("/web/")
    rows = {int(n): row for n, row in re.findall(r'href="/web/case/(\d+)">(.*?)</tr>', page, re.S)}
    hinted = {n for n, row in rows.items() if "có thể trùng người" in row}
    assert hinted == {world.mine[0], again}
