"""Download links to made documents, for channels that cannot carry a file (Zalo Bot).

The link names the document (``"<maker>:<argument>"``, as a reply does) signed with the
bot's secret and stamped with its time, so it cannot be forged or altered and stops working
after ``ttl``. The web server makes the document when the link is opened (bot/documents/makers.py),
so it shows the database as it is then, and an erased or revoked one is gone.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import replace
from datetime import timedelta

from itsdangerous import BadSignature, URLSafeTimedSerializer

from bot.settings import Settings
from handlers.events import Reply

SALT = "document-link"


class DocumentLinks:
    def __init__(self, secret: str, site_url: str, ttl: timedelta) -> None:
        if not secret:
            raise ValueError("document links need a secret")
        self._signer = URLSafeTimedSerializer(secret, salt=SALT)
        self.site_url = site_url.rstrip("/")
        self.ttl = ttl

    @classmethod
    def of(cls, settings: Settings) -> DocumentLinks | None:
        """None without any secret to sign with: then no channel that needs links is
        configured either."""
        secret = settings.link_secret or _derived_secret(settings)
        if not secret:
            return None
        return cls(secret, settings.site_url, timedelta(hours=settings.document_link_hours))

    def url(self, document: str) -> str:
        return f"{self.site_url}/files/{self._signer.dumps(document)}"

    def document(self, token: str) -> str | None:
        """The document a link names, or None when it is forged, altered or too old."""
        try:
            document = self._signer.loads(token, max_age=int(self.ttl.total_seconds()))
        except BadSignature:  # SignatureExpired is one too
            return None
        return document if isinstance(document, str) else None

    def instead_of_file(self, reply: Reply) -> Reply:
        """``reply`` with its made document replaced by the handler's words for a link to
        it (``Attachment.instead``, which has a ``{link}`` field)."""
        att = reply.attachment
        if att is None or not att.document or not att.instead:
            return reply
        text = att.instead.format(link=self.url(att.document))
        return replace(reply, text="\n\n".join(p for p in (reply.text, text) if p), attachment=None)


def _derived_secret(settings: Settings) -> str:
    """Every process of one bot shares its tokens, so a secret derived from them signs the
    same everywhere without another setting; changing a token ends the old links."""
    tokens = [settings.telegram_bot_token, settings.zalo_bot_token, settings.webhook_secret]
    material = "\n".join(t or "" for t in tokens)
    return hashlib.sha256(f"{SALT}\n{material}".encode()).hexdigest() if material.strip() else ""


def link_code_key(settings: Settings) -> bytes:
    """The key of link codes' hashes (storage/repositories/links.py): from the same secret
    as download links, kept apart by its own label."""
    secret = settings.link_secret or _derived_secret(settings)
    return hmac.new(secret.encode(), b"cdht link codes", hashlib.sha256).digest()
