"""Certificates of the title: issued at approval, looked up by their verification code,
revoked by an admin. Erasing the person erases them (the foreign keys cascade)."""

from __future__ import annotations

import secrets
import unicodedata
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Assessment, Certificate, Profile, Unit
from storage.repositories.reports import Scope

# No 0/O or 1/I: the code is read off paper and typed by hand. 12 of these are 60 random
# bits, far beyond guessing through the verification page.
CODE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
CODE_LENGTH = 12


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def clean_code(typed: str) -> str:
    """A code as typed ("abcd-efgh jklm") in its stored form."""
    return "".join(ch for ch in typed.upper() if ch not in " -")


def shown_code(code: str) -> str:
    """In groups of four, as printed."""
    return "-".join(code[i : i + 4] for i in range(0, len(code), 4))


async def issue(
    session: AsyncSession,
    assessment: Assessment,
    holder: Profile,
    *,
    province_code: int,
    now: datetime,
) -> Certificate:
    """A new certificate for an approved assessment, with what it shows copied in (its
    place: the unit chosen from the commune's list, or the one typed). Its number,
    `<province>-<year>-<row id>`, comes from the row id, so concurrent approvals can never be
    given the same one. An assessment approved again after its decision was taken back gets
    its certificate back: the same number and code, valid again, showing what holds now."""
    if assessment.total is None:
        raise ValueError(f"assessment {assessment.id} has no total to certify")
    unit = await session.get(Unit, holder.unit_id) if holder.unit_id is not None else None
    place = unit.name if unit is not None else holder.subunit_name
    before = await session.scalar(
        select(Certificate).where(Certificate.assessment_id == assessment.id)
    )
    if before is not None:
        _copy(before, assessment, holder, place)
        before.issued_at = now
        before.revoked_at = before.revoked_by = before.revoke_reason = None
        return before
    code = new_code()
    certificate = Certificate(
        code=code,
        number=code,  # unique until the row id is known
        assessment_id=assessment.id,
        user_id=holder.user_id,
        issued_at=now,
    )
    _copy(certificate, assessment, holder, place)
    session.add(certificate)
    await session.flush()
    certificate.number = f"{province_code}-{assessment.year}-{certificate.id:06d}"
    return certificate


def _copy(
    certificate: Certificate, assessment: Assessment, holder: Profile, place: str | None
) -> None:
    # Composed form: some keyboards send "ê" + combining accents, which a PDF font without
    # shaping would draw apart.
    certificate.full_name = unicodedata.normalize("NFC", holder.full_name or "")
    certificate.birth_year = holder.birth_year
    certificate.commune_code = holder.commune_code
    certificate.place = place
    certificate.target_group = assessment.target_group
    certificate.year = assessment.year
    certificate.total = assessment.total or 0


def reissue(certificate: Certificate, holder: Profile, *, now: datetime) -> None:
    """The same certificate (number and verification code) showing the holder's corrected
    name and birth year, as its next version."""
    certificate.full_name = unicodedata.normalize("NFC", holder.full_name or "")
    certificate.birth_year = holder.birth_year
    certificate.version += 1
    certificate.reissued_at = now


async def by_code(session: AsyncSession, typed: str) -> Certificate | None:
    code = clean_code(typed)
    if not code or len(code) > CODE_LENGTH:
        return None
    return await session.scalar(select(Certificate).where(Certificate.code == code))


async def of_user(session: AsyncSession, user_id: int) -> list[Certificate]:
    """The person's certificates, the latest year first."""
    return list(
        await session.scalars(
            select(Certificate)
            .where(Certificate.user_id == user_id)
            .order_by(Certificate.year.desc(), Certificate.id.desc())
        )
    )


async def holds_one(session: AsyncSession, user_id: int) -> bool:
    """Whether the person holds a certificate that is still valid."""
    found = await session.scalar(
        select(Certificate.id)
        .where(Certificate.user_id == user_id, Certificate.revoked_at.is_(None))
        .limit(1)
    )
    return found is not None


async def of_assessment(session: AsyncSession, assessment_id: int) -> Certificate | None:
    return await session.scalar(
        select(Certificate).where(Certificate.assessment_id == assessment_id)
    )


async def revoke(
    session: AsyncSession, typed: str, *, reason: str, now: datetime, by: int | None = None
) -> Certificate | None:
    """Revoke a valid certificate by its code; None when none with this code is valid
    (unknown, or revoked before)."""
    certificate = await by_code(session, typed)
    if certificate is None or not revoke_held(certificate, reason=reason, by=by, now=now):
        return None
    return certificate


def revoke_held(certificate: Certificate, *, reason: str, by: int | None, now: datetime) -> bool:
    """Revoke a valid certificate: when, why and who (None: the server's command line) are
    kept, and reports leave it out. False when it was revoked before (that keeps its first
    date and reason)."""
    if certificate.revoked_at is not None:
        return False
    certificate.revoked_at = now
    certificate.revoke_reason = reason
    certificate.revoked_by = by
    return True


async def of_year(session: AsyncSession, year: int) -> list[Certificate]:
    return list(
        await session.scalars(
            select(Certificate).where(Certificate.year == year).order_by(Certificate.id)
        )
    )


async def valid_in(session: AsyncSession, year: int, scope: Scope) -> list[Certificate]:
    """The year's certificates still valid of the people a commune or unit covers (as their
    profile says now), by commune, then in issue order."""
    return list(
        await session.scalars(
            select(Certificate)
            .join(Profile, Profile.user_id == Certificate.user_id)
            .where(Certificate.year == year, Certificate.revoked_at.is_(None), scope.covers())
            .order_by(Profile.commune_code, Certificate.id)
        )
    )
