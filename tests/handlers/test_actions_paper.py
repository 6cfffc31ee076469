"""Paper forms entered by an officer: read as the chat reads answers, matched against people
already known, queued for another officer, never decided by the one who entered them."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from handlers import paper_form
from handlers.actions import Reason, review, staff
from handlers.actions import paper as act
from handlers.digest import review_digest
from handlers.engine import Engine
from storage.models import Assessment, Profile, StaffRole
from tests.handlers.actions_helpers import act as run
from tests.handlers.actions_helpers import actor, refused
from tests.handlers.conftest import Clock
from tests.handlers.test_notices import join, notices

HAI_CHAU = "20242"
GOOD = {
    "I1": "Gần như mỗi ngày",
    "I2": "1",
    "I3": "mười",  # words for numbers, as in chat
    "I4": "thuong xuyen",
    "I5": "Tự làm được hầu hết các việc này",
    "I6": "Nói chuyện được",
    "I7": "Thường xuyên",
    "I8": "Luôn kiểm tra",
    "I9": "Luôn như vậy",
    "I10": "Thường xuyên",
}


def written(**changes: object) -> paper_form.Written:
    fields: dict[str, object] = {
        "full_name": "Trần Văn Bảy",
        "birth_year": 1950,
        "group": "Người dân trong xã, phường",
        "commune": "Phường Hải Châu",
        "place": "Tổ 3",
        "form_date": "20/02/2026",
        "answers": GOOD,
    }
    return paper_form.Written(**(fields | changes))  # type: ignore[arg-type]


def form(engine: Engine, **changes: object) -> paper_form.Form:
    read = paper_form.read(engine.content, written(**changes), date(2026, 3, 10))
    assert isinstance(read, paper_form.Form), read
    return read


def test_a_form_is_read_as_the_chat_reads_answers(bot_engine: Engine) -> None:
    read = form(bot_engine)
    assert read.commune_code == HAI_CHAU and read.target_group == "residents"
    assert read.answers["I3"].raw_value == 10 and read.answers["I3"].points == 10
    assert read.answers["I2"].option_id and read.year == 2026
    bad = paper_form.read(
        bot_engine.content,
        written(birth_year="năm mươi", answers=GOOD | {"I3": "nhiều", "I6": "giỏi"}),
        date(2026, 3, 10),
    )
    assert isinstance(bad, list)
    assert {(p.field, p.trouble) for p in bad} == {
        ("birth_year", paper_form.Trouble.BAD_YEAR),
        ("I3", paper_form.Trouble.NOT_A_NUMBER),
        ("I6", paper_form.Trouble.NOT_AN_OPTION),
    }
    later = paper_form.read(bot_engine.content, written(form_date="2026-04-01"), date(2026, 3, 10))
    assert isinstance(later, list) and later[0].trouble == paper_form.Trouble.BAD_DATE


async def test_entered_forms_queue_for_another_officer_who_alone_decides(
    bot_engine: Engine,
) -> None:
    entering = await join(bot_engine, "entering", StaffRole.OFFICER, HAI_CHAU)
    other = await join(bot_engine, "other", StaffRole.OFFICER, HAI_CHAU)
    me, colleague = await actor(entering), await actor(other)

    checked = await run(bot_engine, act.check, me, form(bot_engine))
    assert isinstance(checked, act.Checked) and checked.result.passed and not checked.known
    done = await run(bot_engine, act.enter, me, form(bot_engine))
    assert isinstance(done, act.Entered) and done.outcome == act.Outcome.CREATED
    async with bot_engine.sessions() as session:
        a = await session.get(Assessment, done.assessment_id)
        p = await session.get(Profile, a.user_id)
    assert (a.source, a.entered_by, a.form_date, a.status) == (
        "paper",
        me.user_id,
        date(2026, 2, 20),
        "submitted",
    )
    assert p.consent_how == "paper" and p.is_registered
    # Only the colleague is told, and only they may decide.
    assert any("phiếu tự đánh giá trên giấy" in t for t in await notices(other, "other"))
    assert not await notices(entering, "entering")
    assert refused(await run(bot_engine, review.approve, me, a.id), Reason.ENTERED)
    mine = await run(bot_engine, review.listed, me)
    assert a.id not in [row.assessment_id for row in mine]
    approved = await run(bot_engine, review.approve, colleague, a.id)
    assert isinstance(approved, review.Decided) and approved.certificate is not None


async def test_a_known_person_is_not_entered_twice(bot_engine: Engine) -> None:
    me = await actor(await join(bot_engine, "entering", StaffRole.OFFICER, HAI_CHAU))
    first = await run(bot_engine, act.enter, me, form(bot_engine))
    assert isinstance(first, act.Entered)
    again = await run(bot_engine, act.enter, me, form(bot_engine, full_name="tran van bay"))
    assert isinstance(again, act.Entered) and again.outcome == act.Outcome.UNCHANGED
    changed = form(bot_engine, answers=GOOD | {"I3": "4"})
    assert refused(await run(bot_engine, act.enter, me, changed), Reason.MATCHED)
    checked = await run(bot_engine, act.check, me, changed)
    assert [k.assessment_id for k in checked.known] == [first.assessment_id]
    skipped = await run(bot_engine, act.enter, me, changed, choice=act.Choice.SKIP)
    assert skipped.outcome == act.Outcome.SKIPPED
    updated = await run(bot_engine, act.enter, me, changed, choice=act.Choice.UPDATE)
    assert updated.outcome == act.Outcome.UPDATED
    assert updated.assessment_id == first.assessment_id
    other = await run(bot_engine, act.enter, me, changed, choice=act.Choice.NEW)
    assert other.outcome == act.Outcome.UNCHANGED  # the updated record is exactly this form
    async with bot_engine.sessions() as session:
        assert len((await session.scalars(select(Assessment))).all()) == 1


async def test_a_sole_officer_decides_their_own_forms_only_when_an_admin_allows(
    bot_engine: Engine,
) -> None:
    entering = await join(bot_engine, "entering", StaffRole.OFFICER, HAI_CHAU)
    admin = await actor(await join(bot_engine, "admin", StaffRole.ADMIN))
    me = await actor(entering)
    done = await run(bot_engine, act.enter, me, form(bot_engine))
    assert refused(await run(bot_engine, review.approve, me, done.assessment_id), Reason.ENTERED)
    [role] = [
        m.role for m in await run(bot_engine, staff.people, admin) if m.role.user_id == me.user_id
    ]
    assert refused(await run(bot_engine, staff.allow_sole, me, role.id, True), Reason.NOT_STAFF)
    assert await run(bot_engine, staff.allow_sole, admin, role.id, True) is None
    approved = await run(bot_engine, review.approve, me, done.assessment_id)
    assert isinstance(approved, review.Decided)


async def test_a_second_officer_ends_the_sole_officers_allowance(bot_engine: Engine) -> None:
    me = await actor(await join(bot_engine, "entering", StaffRole.OFFICER, HAI_CHAU))
    admin = await actor(await join(bot_engine, "admin", StaffRole.ADMIN))
    [role] = [
        m.role for m in await run(bot_engine, staff.people, admin) if m.role.user_id == me.user_id
    ]
    assert await run(bot_engine, staff.allow_sole, admin, role.id, True) is None
    await join(bot_engine, "second", StaffRole.OFFICER, HAI_CHAU)
    done = await run(bot_engine, act.enter, me, form(bot_engine))
    assert refused(await run(bot_engine, review.approve, me, done.assessment_id), Reason.ENTERED)
    assert refused(await run(bot_engine, staff.allow_sole, admin, role.id, True), Reason.NOT_SOLE)


async def test_in_chat_the_entering_officer_is_told_another_officer_decides(
    bot_engine: Engine,
) -> None:
    entering = await join(bot_engine, "entering", StaffRole.OFFICER, HAI_CHAU)
    done = await run(bot_engine, act.enter, await actor(entering), form(bot_engine))
    await entering.payload(f"*review:{done.assessment_id}")  # they may read it
    await entering.press("Duyệt")
    assert "đã nhập phiếu này nên không tự xác minh được" in entering.text
    async with bot_engine.sessions() as session:
        assert (await session.get(Assessment, done.assessment_id)).status == "submitted"


async def test_the_reminder_of_a_waiting_form_goes_to_another_officer(
    bot_engine: Engine, clock: Clock
) -> None:
    entering = await join(bot_engine, "entering", StaffRole.OFFICER, HAI_CHAU)
    other = await join(bot_engine, "other", StaffRole.OFFICER, HAI_CHAU)
    me, colleague = await actor(entering), await actor(other)
    await run(bot_engine, act.enter, me, form(bot_engine))
    clock.advance(days=10)
    async with bot_engine.sessions() as session:
        replies = await review_digest(
            session,
            bot_engine.content,
            bot_engine.catalogs,
            clock(),
            remind_days=3,
            escalate_days=7,
        )
    assert [r.to_user_id for r in replies] == [colleague.user_id]
