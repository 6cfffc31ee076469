"""Revoking a certificate: who may, what is kept (when, why, who) and who is told."""

from __future__ import annotations

from sqlalchemy import select

from handlers.actions import Actor, Reason, staff
from handlers.actions import certificates as act
from handlers.engine import Engine
from storage.models import Certificate, StaffRole
from tests.handlers.actions_helpers import act as run
from tests.handlers.actions_helpers import actor, refused
from tests.handlers.conftest import Chat
from tests.handlers.test_certificates import approve
from tests.handlers.test_review import told


async def the_certificate(engine: Engine) -> Certificate:
    async with engine.sessions() as session:
        return await session.scalar(select(Certificate))


async def test_an_admin_revokes_with_a_reason_kept_with_who_and_when(
    chat: Chat, bot_engine: Engine
) -> None:
    officer = await approve(chat, bot_engine)
    code = (await the_certificate(bot_engine)).code
    assert refused(
        await run(bot_engine, act.revoke, await actor(officer), code, "Khai sai"), "not_staff"
    )
    elsewhere = await run(
        bot_engine, staff.invite, Actor.operator(), role=StaffRole.ADMIN, scope="20257"
    )
    other_admin = Chat(bot_engine, user="other-admin")
    await other_admin.command("officer", elsewhere.code)
    far = await run(bot_engine, act.revoke, await actor(other_admin), code, "Khai sai minh chứng")
    assert refused(far, Reason.NOT_FOUND)  # another commune's certificate: as if unknown

    province = await run(
        bot_engine, staff.invite, Actor.operator(), role=StaffRole.ADMIN, scope=None
    )
    admin = Chat(bot_engine, user="admin")
    await admin.command("officer", province.code)
    me = await actor(admin)
    assert refused(await run(bot_engine, act.revoke, me, code, " x "), Reason.NOTE_TOO_SHORT)
    done = await run(bot_engine, act.revoke, me, code.lower(), "Khai sai minh chứng")
    assert isinstance(done, act.Revoked)
    kept = await the_certificate(bot_engine)
    assert (kept.revoke_reason, kept.revoked_by) == ("Khai sai minh chứng", me.user_id)
    assert kept.revoked_at == bot_engine.clock()
    assert any("thu hồi" in t and "Khai sai minh chứng" in t for t in await told(chat))
    again = await run(bot_engine, act.revoke, me, code, "Lần thứ hai")
    assert refused(again, Reason.DECIDED)
    assert (await the_certificate(bot_engine)).revoke_reason == "Khai sai minh chứng"
