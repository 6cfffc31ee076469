"""Certificates on the runtime's side: the PDF made when the message carrying it is sent
(the `certificate` document maker), a unit's certificates in one PDF for a ceremony, and
verification by code for the CLI and the web page. Verification shows only name, commune,
year and status."""

from __future__ import annotations

import asyncio
import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import NamedTuple
from urllib.parse import urlsplit

from sqlalchemy.ext.asyncio import AsyncSession

from bot.documents.makers import Document
from bot.settings import Settings
from content import Content
from handlers.context import LOCAL_TZ
from storage.models import Certificate
from storage.repositories import certificates
from storage.repositories.reports import Scope


@dataclass(frozen=True, slots=True)
class Signature:
    """Who signs under the issuer: title and name (empty: not printed) and a scanned
    signature and seal (None: room to sign by hand)."""

    title: str = ""
    name: str = ""
    image: Path | None = None


class Sheet(NamedTuple):
    """One certificate: the values of the wording's placeholders (a detail line whose value
    is None is left out), its verification address, and the holder's target group (which
    can change the detail lines)."""

    values: Mapping[str, object]
    url: str
    group: str


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

    @property
    def revoked_on(self) -> date | None:
        """The day of the revocation in Vietnam."""
        return self.revoked_at.astimezone(LOCAL_TZ).date() if self.revoked_at else None


def public_url_problem(public_url: str) -> str | None:
    """Why certificates and links made with this address could not be opened by anyone
    else (None when they can): PUBLIC_URL unset, not http(s), or on this machine."""
    if not public_url:
        return (
            "PUBLIC_URL is not set: the certificates' QR codes and the download links would "
            "point at this machine, and no printed certificate could ever be verified. Set "
            "PUBLIC_URL to the bot's public address (https://...)."
        )
    parts = urlsplit(public_url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return f"PUBLIC_URL {public_url!r} is not an http(s) address"
    host = parts.hostname
    try:
        local = ipaddress.ip_address(host)
        here = local.is_loopback or local.is_unspecified
    except ValueError:
        here = host == "localhost" or host.endswith(".localhost")
    if here:
        return (
            f"PUBLIC_URL {public_url!r} points at this machine: no one else could verify a "
            "certificate or open a link. Set PUBLIC_URL to the bot's public address."
        )
    return None


class Certificates:
    def __init__(
        self,
        content: Content,
        *,
        issuer: str,
        public_url: str,
        signature: Signature | None = None,
    ) -> None:
        self.content = content
        self.issuer = issuer
        self.public_url = public_url.rstrip("/")
        self.signature = signature or Signature()

    @classmethod
    def of(cls, settings: Settings, content: Content) -> Certificates:
        image = settings.certificate_signature_image
        return cls(
            content,
            issuer=settings.issuer,
            public_url=settings.site_url,
            signature=Signature(
                settings.certificate_signer_title,
                settings.certificate_signer_name,
                Path(image) if image else None,
            ),
        )

    def verify_url(self, code: str) -> str:
        return f"{self.public_url}/verify/{code}"

    async def make(self, session: AsyncSession, code: str) -> Document | None:
        """The certificate's PDF; None once it is revoked or its holder erased."""
        certificate = await certificates.by_code(session, code)
        if certificate is None or certificate.revoked_at is not None:
            return None
        # Imported here: the PDF library loads fonttools and Pillow (a quarter of a second),
        # which verification and the other commands do not need.
        from bot.documents.certificate_pdf import render

        sheet = self.sheet(certificate)
        wording = self.content.certificate
        pdf = await asyncio.to_thread(render, wording, sheet, self.signature)
        return Document(pdf, wording.file_name.format_map(sheet.values))

    async def batch(self, session: AsyncSession, year: int, scope: Scope) -> tuple[bytes, int]:
        """Every valid certificate of the year in a commune or unit, one page each in one
        PDF, and how many."""
        from bot.documents.certificate_pdf import render_many

        sheets = [self.sheet(c) for c in await certificates.valid_in(session, year, scope)]
        pdf = await asyncio.to_thread(render_many, self.content.certificate, sheets, self.signature)
        return pdf, len(sheets)

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

    def sheet(self, c: Certificate) -> Sheet:
        return Sheet(self.fields(c), self.verify_url(c.code), c.target_group)

    def fields(self, c: Certificate) -> dict[str, object]:
        """What fills the wording's placeholders (content/certificate.yaml)."""
        group = self.content.criteria_for(c.target_group, c.year)
        issued = c.issued_at.astimezone(LOCAL_TZ)
        commune = self.commune_name(c.commune_code) or None
        return {
            "issuer": self.issuer,
            "number": c.number,
            "code": certificates.shown_code(c.code),
            "name": c.full_name,
            "title": self.content.certificate.titles[
                self.content.address.form_id(c.birth_year, c.target_group, c.year)
            ],
            "birth_year": c.birth_year,
            "commune": commune,
            "place_commune": ", ".join(p for p in (c.place, commune) if p) or None,
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
