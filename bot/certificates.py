"""Certificates on the runtime's side: the PDF made when the message carrying it is sent
(the `certificate` document maker), and verification by code for the CLI and the web page.
Verification shows only name, commune, year and status."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.documents import Document
from bot.settings import Settings
from content import Content
from handlers.context import LOCAL_TZ
from storage.models import Certificate
from storage.repositories import certificates


@dataclass(frozen=True, slots=True)
class Verdict:
    name: str
    commune: str
    year: int
    revoked_at: datetime | None
    revoke_reason: str | None

    @property
    def valid(self) -> bool:
        return self.revoked_at is None


class Certificates:
    def __init__(self, content: Content, *, issuer: str, public_url: str) -> None:
        self.content = content
        self.issuer = issuer
        self.public_url = public_url.rstrip("/")

    @classmethod
    def of(cls, settings: Settings, content: Content) -> Certificates:
        return cls(content, issuer=settings.issuer, public_url=settings.site_url)

    def verify_url(self, code: str) -> str:
        return f"{self.public_url}/verify/{code}"

    async def make(self, session: AsyncSession, code: str) -> Document | None:
        """The certificate's PDF; None once it is revoked or its holder erased."""
        certificate = await certificates.by_code(session, code)
        if certificate is None or certificate.revoked_at is not None:
            return None
        # Imported here: the PDF library loads fonttools and Pillow (a quarter of a second),
        # which verification and the other commands do not need.
        from bot.certificate_pdf import render

        values = self.fields(certificate)
        wording = self.content.certificate
        pdf = await asyncio.to_thread(render, wording, values, self.verify_url(certificate.code))
        return Document(pdf, wording.file_name.format_map(values))

    async def verify(self, session: AsyncSession, code: str) -> Verdict | None:
        certificate = await certificates.by_code(session, code)
        if certificate is None:
            return None
        return Verdict(
            name=certificate.full_name,
            commune=self.commune_name(certificate.commune_code),
            year=certificate.year,
            revoked_at=certificate.revoked_at,
            revoke_reason=certificate.revoke_reason,
        )

    def commune_name(self, code: str | None) -> str:
        commune = self.content.units.get(code or "")
        return commune.name if commune is not None else (code or "")

    def fields(self, c: Certificate) -> dict[str, object]:
        """What fills the wording's placeholders (content/certificate.yaml)."""
        group = self.content.criteria_for(c.target_group, c.year)
        issued = c.issued_at.astimezone(LOCAL_TZ)
        return {
            "issuer": self.issuer,
            "number": c.number,
            "code": certificates.shown_code(c.code),
            "name": c.full_name,
            "birth_year": c.birth_year,
            "commune": self.commune_name(c.commune_code) or None,
            "province": self.content.units.province_name,
            "group": group.title.vi,
            "year": c.year,
            "total": c.total,
            "max_total": sum(i.max_points for i in group.indicators),
            "day": issued.day,
            "month": issued.month,
            "issued_year": issued.year,
            "url": self.verify_url(c.code),
        }
