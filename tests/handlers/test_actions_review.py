"""The review actions called directly, as the web console calls them: every check lives in
the action, whoever calls it."""

from __future__ import annotations

from sqlalchemy import select

from handlers.actions import Actor, Reason
from handlers.actions import review as act
from handlers.engine import Engine
from storage.models import Assessment, AssessmentStatus, AuditEntry, Certificate, StaffRole
from tests.handlers.actions_helpers import act as run
from tests.handlers.actions_helpers import actor, refused, state_of
from tests.handlers.conftest import Chat
from tests.handlers.test_notices import join, notices
from tests.handlers.test_review import audited, state, submit, submitted_to_officer, told


async def ids(engine: Engine) -> list[int]:
    async with engine.sessions() as session:
        return list(await session.scalars(select(Assessment.id).order_by(Assessment.id)))


async def audit_rows(engine: Engine, action: str) -> list[AuditEntry]:
    async with engine.sessions() as session:
        return list(await session.scalars(select(AuditEntry).where(AuditEntry.action == action)))


async def test_approve_checks_adjustments_and_rules_then_issues_and_tells(
    chat: Chat, bot_engine: Engine
) -> None:
    officer, a = await submitted_to_officer(chat, bot_engine)
    me = await actor(officer)
    bad = {"I2": {"points": 7, "reason": "Minh chứng chưa đủ"}}  # not a level I2 can give
    assert refused(await run(bot_engine, act.approve, me, a.id, adjustments=bad), "bad_adjustment")
    terse = {"I2": {"points": 5, "reason": "ít"}}
    assert refused(
        await run(bot_engine, act.approve, me, a.id, adjustments=terse), "note_too_short"
    )
    failing = {"I1": {"points": 0, "reason": "Không có minh chứng tham gia"}}
    no = await run(bot_engine, act.approve, me, a.id, adjustments=failing)
    assert refused(no, Reason.FAILS_RULES) and no.result is not None and not no.result.passed
    assert (await state(bot_engine)).status == AssessmentStatus.SUBMITTED

    fair = {"I2": {"points": 5, "reason": "Minh chứng chỉ cho một khóa học"}}
    done = await run(bot_engine, act.approve, me, a.id, adjustments=fair)
    assert isinstance(done, act.Decided) and done.certificate is not None
    assert done.assessment.adjustments == fair and done.assessment.decided_by == me.user_id
    assert any("đã duyệt" in text and "điều chỉnh" in text for text in await told(chat))
    [viewed] = await audit_rows(bot_engine, "review.approved")
    assert viewed.actor_user_id == me.user_id and viewed.details == {"via": "web"}
    again = await run(bot_engine, act.approve, me, a.id)
    assert refused(again, Reason.DECIDED) and again.assessment.status == AssessmentStatus.APPROVED


async def test_return_and_reject_need_what_the_citizen_is_told(
    chat: Chat, bot_engine: Engine
) -> None:
    officer, a = await submitted_to_officer(chat, bot_engine)
    me = await actor(officer)
    no_flag = await run(bot_engine, act.return_, me, a.id, indicators=["X9"], comment="Sửa lại")
    assert refused(no_flag, Reason.NO_INDICATORS)
    assert refused(await run(bot_engine, act.reject, me, a.id, reason="  x "), "note_too_short")
    done = await run(
        bot_engine, act.return_, me, a.id, indicators=["I3", "I1"], comment="Bổ sung minh chứng"
    )
    assert isinstance(done, act.Decided) and done.assessment.reopened == ["I1", "I3"]
    assert any("sửa các chỉ số: 1, 3" in text for text in await told(chat))


async def test_out_of_scope_and_citizens_are_refused_without_saying_whether_it_exists(
    chat: Chat, bot_engine: Engine
) -> None:
    await submit(chat)
    a = await state(bot_engine)
    elsewhere = await actor(await join(bot_engine, "elsewhere", StaffRole.OFFICER, "20257"))
    assert refused(await run(bot_engine, act.approve, elsewhere, a.id), Reason.OUT_OF_SCOPE)
    assert refused(await run(bot_engine, act.read, elsewhere, 9999), Reason.OUT_OF_SCOPE)
    citizen = await actor(chat)
    assert refused(await run(bot_engine, act.queue, citizen, limit=10), Reason.NOT_STAFF)
    assert (await audited(bot_engine)).count("review.refused") == 2
    operator = Actor.operator()  # the server's command line acts for the province
    assert isinstance(
        await run(bot_engine, act.reject, operator, a.id, reason="Khai sai"), act.Decided
    )


async def test_reads_by_staff_are_audited_with_the_actor(chat: Chat, bot_engine: Engine) -> None:
    officer, a = await submitted_to_officer(chat, bot_engine)
    me = await actor(officer)
    queue = await run(bot_engine, act.queue, me, limit=10)
    assert [x.id for x, _ in queue] == [a.id]
    case = await run(bot_engine, act.read, me, a.id)
    assert isinstance(case, act.Case) and case.citizen.full_name == "Nguyễn Thị Lan"
    [listed] = await audit_rows(bot_engine, "review.queue_viewed")
    assert (listed.actor_user_id, listed.details["cases"]) == (me.user_id, [a.id])
    [viewed] = await audit_rows(bot_engine, "review.viewed")
    assert (viewed.actor_user_id, viewed.subject) == (me.user_id, str(a.id))
    await officer.payload(f"*review:{a.id}")  # the chat's review screen is a read too
    assert len(await audit_rows(bot_engine, "review.viewed")) == 2
    assert isinstance(await run(bot_engine, act.evidence, me, a.id), act.Case)
    await officer.payload(f"*evidence:{a.id}")
    opened = await audit_rows(bot_engine, "review.evidence")
    assert [(e.actor_user_id, e.subject) for e in opened] == [(me.user_id, str(a.id))] * 2


async def test_bulk_approve_takes_those_that_may_be_approved_and_says_why_not_the_others(
    chat: Chat, bot_engine: Engine
) -> None:
    officer = await join(bot_engine, "officer", StaffRole.OFFICER, "20242")
    await submit(chat)
    failing = Chat(bot_engine, user="hoa")
    await submit(failing, passing=False, name="Trần Thị Hoa")
    far = Chat(bot_engine, user="binh")
    await submit(far, name="Lê Văn Bình")
    lan, hoa, binh = await ids(bot_engine)
    done = await run(bot_engine, act.bulk_approve, await actor(officer), [lan, hoa, binh, 99, lan])
    assert isinstance(done, act.Bulk)
    assert [d.assessment.id for d in done.approved] == [lan, binh]
    assert done.refused == {hoa: Reason.FAILS_RULES, 99: Reason.OUT_OF_SCOPE}


async def test_an_officer_never_decides_their_own_case_it_goes_to_the_scope_above(
    bot_engine: Engine,
) -> None:
    admin = await join(bot_engine, "admin", StaffRole.ADMIN)
    await join(bot_engine, "colleague", StaffRole.OFFICER, "20242")
    officer = await join(bot_engine, "officer", StaffRole.OFFICER, "20242")
    await submit(officer)  # the officer registers in his own commune and submits
    a = await state(bot_engine)
    # Routed up: neither he nor his commune's officers hear of it; the province's admin does.
    assert await notices(officer, "officer") == []
    assert await notices(officer, "colleague") == []
    assert len(await notices(officer, "admin")) == 1
    me = await actor(officer)
    assert refused(await run(bot_engine, act.approve, me, a.id), Reason.OWN_CASE)
    assert refused(await run(bot_engine, act.read, me, a.id), Reason.OWN_CASE)
    assert await run(bot_engine, act.queue, me, limit=10) == []
    await officer.payload(f"*approve:{a.id}")  # the chat says so and calls the same rule
    assert "chính anh/chị" in officer.text
    conflicts = await audit_rows(bot_engine, "review.conflict")
    assert len(conflicts) == 3 and {c.actor_user_id for c in conflicts} == {me.user_id}
    assert (await state(bot_engine)).status == AssessmentStatus.SUBMITTED
    assert isinstance(await run(bot_engine, act.approve, await actor(admin), a.id), act.Decided)


async def test_the_same_person_on_an_app_not_linked_is_still_their_own(
    chat: Chat, bot_engine: Engine
) -> None:
    officer = await join(bot_engine, "officer", StaffRole.OFFICER, "20242")
    await submit(officer)  # registered once as "Nguyễn Thị Lan", 1968, Hải Châu
    await submit(chat, name="nguyen thi  LAN")  # again, from another app not linked
    second = (await ids(bot_engine))[-1]
    assert refused(await run(bot_engine, act.approve, await actor(officer), second), "own_case")


async def test_reopen_revokes_the_certificate_tells_the_citizen_and_can_decide_again(
    chat: Chat, bot_engine: Engine
) -> None:
    officer, a = await submitted_to_officer(chat, bot_engine)
    me = await actor(officer)
    assert refused(await run(bot_engine, act.reopen, me, a.id, reason="Nhầm người"), "not_decided")
    approved = await run(bot_engine, act.approve, me, a.id)
    assert isinstance(approved, act.Decided) and approved.certificate is not None
    number = approved.certificate.number
    assert refused(await run(bot_engine, act.reopen, me, a.id, reason="sai"), "note_too_short")

    done = await run(bot_engine, act.reopen, me, a.id, reason="Bấm nhầm, duyệt nhầm người")
    assert isinstance(done, act.Reopened) and done.previous == AssessmentStatus.APPROVED
    assert (await state(bot_engine)).status == AssessmentStatus.REOPENED
    async with bot_engine.sessions() as session:
        certificate = await session.scalar(select(Certificate))
    assert certificate.revoked_at is not None and certificate.revoked_by == me.user_id
    assert certificate.revoke_reason == "Bấm nhầm, duyệt nhầm người"
    assert any("mở lại" in t and "Bấm nhầm" in t and number in t for t in await told(chat))
    assert "review.reopened" in await audited(bot_engine)

    # Waiting again: in the queue, and a new approval gives the same certificate back.
    assert [x.id for x, _ in await run(bot_engine, act.queue, me, limit=10)] == [a.id]
    again = await run(bot_engine, act.approve, me, a.id)
    assert isinstance(again, act.Decided) and again.certificate.number == number
    assert again.certificate.revoked_at is None
    rejected = await run(bot_engine, act.reopen, me, a.id, reason="Xem xét lại lần nữa")
    assert isinstance(rejected, act.Reopened)
    await run(bot_engine, act.reject, me, a.id, reason="Minh chứng không hợp lệ")
    reconsider = await run(bot_engine, act.reopen, me, a.id, reason="Có minh chứng mới")
    assert isinstance(reconsider, act.Reopened) and reconsider.certificate is None
    assert reconsider.previous == AssessmentStatus.REJECTED


async def test_duplicates_are_shown_and_a_second_title_needs_confirmation(
    chat: Chat, bot_engine: Engine
) -> None:
    officer, first = await submitted_to_officer(chat, bot_engine)
    me = await actor(officer)
    again = Chat(bot_engine, user="lan-on-zalo")
    await submit(again, name="nguyễn thị lan ")  # the same person from an app not linked
    other = Chat(bot_engine, user="lan-1969")
    await submit(other, name="Nguyễn Thị Lan Anh")  # a different person
    _, second, stranger = await ids(bot_engine)
    case = await run(bot_engine, act.read, me, second)
    assert [x.assessment_id for x in case.likeness] == [first.id]
    assert isinstance(await run(bot_engine, act.approve, me, first.id), act.Decided)
    dup = await run(bot_engine, act.approve, me, second)
    assert refused(dup, Reason.DUPLICATE) and [x.assessment_id for x in dup.likeness] == [first.id]
    assert (await state_of(bot_engine, second)) == AssessmentStatus.SUBMITTED
    assert isinstance(await run(bot_engine, act.approve, me, stranger), act.Decided)  # not alike
    done = await run(bot_engine, act.approve, me, second, confirm_duplicate=True)
    assert isinstance(done, act.Decided)
    assert "review.duplicate_confirmed" in await audited(bot_engine)
