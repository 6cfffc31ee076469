"""The units under communes (villages, agencies, enterprises, schools): the list an admin
manages and adding one. A commune's admin manages their commune's units; a province admin
(and the command line) every commune's."""

from __future__ import annotations

from sqlalchemy import select

from handlers.actions.base import Actor, Reason, Refused, Work
from handlers.actions.staff import manager, manages
from storage.models import Unit
from storage.repositories import staff


async def listed(work: Work, actor: Actor) -> list[Unit]:
    """The units the actor manages, by commune and name."""
    roles = await manager(work, actor)
    return [u for u in await staff.units(work.session) if manages(roles, u.commune_code)]


async def add(work: Work, actor: Actor, *, commune: str, name: str, kind: str) -> Unit:
    """A new unit under `commune`. BAD_SCOPE for an unknown commune, OUT_OF_SCOPE for
    another commune than the actor's, BAD_KIND, NO_NAME, TAKEN (the name is the commune's
    already)."""
    roles = await manager(work, actor)
    if work.content.units.get(commune) is None:
        raise Refused(Reason.BAD_SCOPE)
    if not manages(roles, commune):
        await work.record(actor, "unit.refused", None, commune=commune)
        raise Refused(Reason.OUT_OF_SCOPE)
    if kind not in work.content.routing.kinds:
        raise Refused(Reason.BAD_KIND)
    clean = " ".join(name.split())
    if not clean:
        raise Refused(Reason.NO_NAME)
    taken = await work.session.scalar(
        select(Unit.id).where(Unit.commune_code == commune, Unit.name == clean)
    )
    if taken is not None:
        raise Refused(Reason.TAKEN)
    unit = await staff.add_unit(
        work.session, commune_code=commune, name=clean, kind=kind, now=work.now
    )
    await work.record(actor, "unit.added", unit.code, kind=kind)
    return unit
