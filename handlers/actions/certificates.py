"""Certificates of the title: issued with an approval, revoked by an admin (or with the
decision they stand on, when it is taken back). The PDF itself is made when the message is
sent (bot/documents/makers.py), so a certificate revoked or erased meanwhile never leaves."""

from __future__ import annotations

from dataclasses import dataclass

from handlers.actions.base import Actor, Reason, Refused, Work, clean_note
from handlers.actions.rules import roles_of
from handlers.events import Attachment, Reply, ReplyKind
from handlers.i18n import Translator
from storage.models import Assessment, Certificate, Profile
from storage.repositories import certificates


def document(t: Translator, certificate: Certificate) -> Attachment:
    return Attachment(
        document=f"certificate:{certificate.code}",
        instead=t._("Tải giấy chứng nhận (tệp PDF) tại: {link}"),
    )


async def issue(work: Work, actor: Actor, a: Assessment, citizen: Profile) -> Certificate:
    """The certificate of an approval just recorded, sent to the citizen (part of
    `review.approve`, which has checked everything)."""
    certificate = await certificates.issue(
        work.session, a, citizen, province_code=work.content.units.province_code, now=work.now
    )
    await work.record(actor, "certificate.issued", certificate.number)
    t = (await work.speak_to([citizen.user_id]))[citizen.user_id]
    await work.send(
        [
            Reply(
                t._(
                    "Giấy chứng nhận Công dân học tập năm {year} của Anh/Chị, số {number}. "
                    "Gõ /certificate để nhận lại giấy này bất cứ lúc nào."
                ).format(year=certificate.year, number=certificate.number),
                kind=ReplyKind.NOTICE,
                to_user_id=citizen.user_id,
                attachment=document(t, certificate),
            )
        ]
    )
    return certificate


async def withdraw(work: Work, actor: Actor, a: Assessment, reason: str) -> Certificate | None:
    """Revoke the certificate of an approval being taken back (part of `review.reopen`);
    the citizen is told by the reopening. None when it had none valid."""
    certificate = await certificates.of_assessment(work.session, a.id)
    if certificate is None or not certificates.revoke_held(
        certificate, reason=reason, by=actor.user_id, now=work.now
    ):
        return None
    await work.record(actor, "certificate.revoked", certificate.number, assessment=a.id)
    return certificate


@dataclass(frozen=True, slots=True)
class Revoked:
    certificate: Certificate


async def revoke(work: Work, actor: Actor, code: str, reason: str) -> Revoked:
    """Revoke a valid certificate by its code, with a reason: verification then says so,
    it is never sent again, reports leave it out, and the holder is told why. Admins of the
    province, or of the holder's commune; NOT_FOUND for an unknown code, DECIDED for one
    revoked before (that keeps its first date and reason)."""
    roles = [r for r in await roles_of(work, actor) if r.admin]
    if not roles:
        await work.record(actor, "certificate.refused", None)
        raise Refused(Reason.NOT_STAFF)
    note = clean_note(reason)
    certificate = await certificates.by_code(work.session, code)
    if certificate is None or not any(
        r.province or r.commune_code == certificate.commune_code for r in roles
    ):
        await work.record(actor, "certificate.refused", None)
        raise Refused(Reason.NOT_FOUND)
    if not certificates.revoke_held(certificate, reason=note, by=actor.user_id, now=work.now):
        raise Refused(Reason.DECIDED)
    await work.record(actor, "certificate.revoked", certificate.number)
    holder = certificate.user_id
    t = (await work.speak_to([holder]))[holder]
    text = t._(
        "Hội Khuyến học đã thu hồi giấy chứng nhận Công dân học tập năm {year} của Anh/Chị "
        "(số {number}). Lý do: {reason}"
    ).format(year=certificate.year, number=certificate.number, reason=note)
    await work.send([Reply(text, kind=ReplyKind.NOTICE, to_user_id=holder)])
    return Revoked(certificate)
