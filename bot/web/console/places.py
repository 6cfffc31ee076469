"""The communes and units a staff member may filter by: their own scope, no wider."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from bot.web.console.config import Viewer
from content import Content
from storage.repositories import staff


@dataclass(frozen=True)
class Places:
    # (value for the filter, label): a commune's code, or a unit's `<commune>-<id>`.
    choices: list[tuple[str, str]]
    names: dict[str, str]  # commune code -> name

    def commune_name(self, code: str | None) -> str:
        return self.names.get(code or "", code or "")


async def places(session: AsyncSession, content: Content, who: Viewer) -> Places:
    communes = content.units.communes
    names = {code: commune.name for code, commune in communes.items()}
    if who.province:
        codes = list(communes)
        units = await staff.units(session)
    else:
        codes = sorted({r.commune_code for r in who.roles if r.commune_code and r.unit_id is None})
        units = [u for code in codes for u in await staff.units(session, code)]
        unit_ids = {r.unit_id for r in who.roles if r.unit_id is not None}
        units += [u for u in await staff.units(session) if u.id in unit_ids and u not in units]
    unit_of: dict[str, list[tuple[str, str]]] = {}
    for unit in units:
        unit_of.setdefault(unit.commune_code, []).append((unit.code, f"— {unit.name}"))
    choices: list[tuple[str, str]] = []
    for code in sorted(set(codes) | set(unit_of), key=lambda c: names.get(c, c)):
        if code in codes:
            choices.append((code, names.get(code, code)))
        choices.extend(unit_of.get(code, []))
    return Places(choices, names)
