"""The Zalo Official Account's OAuth v4 tokens: consent with PKCE, exchange, refresh.

Zalo's own pages (Zalo for Developers, "Official Account API: access token"), as quoted by
zalo_sdk's BaseClient and Chatwoot's Zalo OA channel: the consent URL is
``{oauth}/v4/oa/permission?app_id&redirect_uri&code_challenge&state`` (S256 challenge of a
43-128 character verifier); the code and the refresh token are both exchanged at
``POST {oauth}/v4/oa/access_token``, form-encoded, with the app's secret in a ``secret_key``
header; the answer holds ``access_token``, ``refresh_token`` and ``expires_in`` (seconds, a
string in the examples) or ``error`` / ``error_name`` / ``error_description``.

The refresh token is single use (HexaSync's guide: access token about 25 h, refresh token
3 months, used once), so a refresh whose answer is lost may leave us with no valid refresh
token: the consent must then be given again. That must not go unnoticed: every failure is
logged at ERROR with what to do, kept in the database, and reported by ``/healthz``
(`health`). Only the process holding the database lease refreshes (storage/repositories/
oa_tokens.py); every process reads the current access token from the database.

Unconfirmed: the exact lifetimes (we trust ``expires_in``); whether Zalo keeps the old
refresh token valid for a while after a refresh (we assume not).
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import logging
import secrets
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import aiohttp
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.models import OAToken, utcnow
from storage.repositories import oa_tokens

log = logging.getLogger(__name__)

DEFAULT_OAUTH_URL = "https://oauth.zaloapp.com"
# Refreshed this long before the access token expires (Zalo's lifetime is hours).
REFRESH_AHEAD = timedelta(minutes=10)
# Longer than a refresh call may take, so that no other process starts one meanwhile.
LEASE = timedelta(minutes=2)
RETRY_LOST = timedelta(seconds=30)  # after a refresh whose answer never came
RETRY_REFUSED = timedelta(minutes=5)  # after Zalo refused: only a new consent helps
REAUTHORIZE = "run `cdht zalo-oa authorize` and `cdht zalo-oa exchange CODE` again"


class OAuthError(Exception):
    """Zalo's OAuth server answered with an error."""


class NoToken(Exception):
    """No access token is stored yet: the consent was never given."""


@dataclass(frozen=True, slots=True)
class Grant:
    access_token: str
    refresh_token: str
    expires_in: int  # seconds


@dataclass(frozen=True, slots=True)
class Token:
    value: str
    version: int
    expires_at: datetime


def new_verifier() -> str:
    return secrets.token_urlsafe(64)[:96]  # RFC 7636: 43-128 unreserved characters


def challenge(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).decode("ascii").rstrip("=")


def consent_url(oauth_url: str, app_id: str, redirect_uri: str, verifier: str) -> str:
    query = urlencode(
        {
            "app_id": app_id,
            "redirect_uri": redirect_uri,
            "code_challenge": challenge(verifier),
            "state": secrets.token_urlsafe(16),
        }
    )
    return f"{oauth_url.rstrip('/')}/v4/oa/permission?{query}"


class OAuthClient:
    def __init__(
        self, app_id: str, app_secret: str, oauth_url: str = DEFAULT_OAUTH_URL, timeout: float = 30
    ) -> None:
        self.app_id = app_id
        self.app_secret = app_secret
        self.url = f"{oauth_url.rstrip('/')}/v4/oa/access_token"
        self.timeout = timeout

    async def exchange(self, code: str, verifier: str) -> Grant:
        return await self._grant(
            {"grant_type": "authorization_code", "code": code, "code_verifier": verifier}
        )

    async def refresh(self, refresh_token: str) -> Grant:
        return await self._grant({"grant_type": "refresh_token", "refresh_token": refresh_token})

    async def _grant(self, form: dict[str, str]) -> Grant:
        """OAuthError for a refusal; aiohttp's errors or TimeoutError when no answer came."""
        async with (
            aiohttp.ClientSession() as session,
            session.post(
                self.url,
                data={"app_id": self.app_id, **form},
                headers={"secret_key": self.app_secret},
                timeout=aiohttp.ClientTimeout(total=self.timeout),
            ) as response,
        ):
            try:
                body: Any = await response.json(content_type=None)
            except ValueError:
                body = None
        if not isinstance(body, dict):
            raise OAuthError(f"not JSON (HTTP {response.status})")
        if not body.get("access_token") or not body.get("refresh_token"):
            raise OAuthError(
                f"{body.get('error', response.status)}: "
                f"{body.get('error_name') or ''} {body.get('error_description') or ''}".strip()
            )
        return Grant(str(body["access_token"]), str(body["refresh_token"]), int(body["expires_in"]))


def health(row: OAToken | None, now: datetime) -> dict[str, Any]:
    """The tokens' state for /healthz and `zalo-oa status`: ``status`` is ok, or what is
    wrong (not_authorized, refresh_failed, expired)."""
    if row is None or not row.refresh_token:
        return {"status": "not_authorized", "action": REAUTHORIZE}
    report: dict[str, Any] = {
        "status": "ok",
        "expires_at": row.expires_at.isoformat() if row.expires_at else None,
        "version": row.version,
    }
    if row.error:
        report.update(status="refresh_failed", error=row.error, action=REAUTHORIZE)
    elif row.expires_at is None or row.expires_at <= now:
        report.update(status="expired", action=REAUTHORIZE)
    return report


class TokenKeeper:
    """The current access token for senders (read from the database, cached until near its
    expiry), and the refresh, by whichever process wins the lease."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        oauth: OAuthClient,
        *,
        clock: Callable[[], datetime] = utcnow,
        ahead: timedelta = REFRESH_AHEAD,
        interval: float = 30.0,
    ) -> None:
        self.sessions = sessions
        self.oauth = oauth
        self.app_id = oauth.app_id
        self.clock = clock
        self.ahead = ahead
        self.interval = interval
        self.owner = f"{uuid.uuid4().hex[:12]}"
        self._token: Token | None = None

    async def current(self) -> Token:
        """The access token to use; NoToken before the first exchange. Read again from the
        database once a refresh is due, so that whichever process refreshes, all use the new
        token."""
        token = self._token
        if token is None or token.expires_at - self.ahead <= self.clock():
            token = await self._load()
        return token

    async def refused(self, token: Token) -> Token:
        """Zalo refused ``token``: refresh it unless someone already did, and return the
        newest token."""
        await self.refresh_if_due(stale_version=token.version)
        return await self._load()

    async def _load(self) -> Token:
        async with self.sessions() as session:
            row = await oa_tokens.get(session, self.app_id)
        if row is None or not row.access_token or row.expires_at is None:
            raise NoToken(f"no Zalo OA access token for app {self.app_id}: {REAUTHORIZE}")
        self._token = Token(row.access_token, row.version, row.expires_at)
        return self._token

    async def refresh_if_due(self, *, stale_version: int | None = None) -> bool:
        """Refresh when due and no other process is at it; True when this call did."""
        now = self.clock()
        async with self.sessions() as session, session.begin():
            claimed = await oa_tokens.claim_refresh(
                session,
                self.app_id,
                self.owner,
                now,
                lease=LEASE,
                due_before=now + self.ahead,
                stale_version=stale_version,
            )
        if claimed is None:
            return False
        version, refresh_token = claimed
        try:
            grant = await self.oauth.refresh(refresh_token)
        except OAuthError as exc:
            await self._failed(f"refresh refused: {exc}", RETRY_REFUSED)
            log.error(
                "Zalo OA token refresh refused (%s): the bot cannot send on Zalo OA; %s",
                exc,
                REAUTHORIZE,
            )
            return False
        except (aiohttp.ClientError, TimeoutError) as exc:
            # The request left: Zalo may have used the refresh token up and answered into
            # the void. Retried soon; if Zalo refuses then, only a new consent helps.
            await self._failed(f"refresh answer lost: {type(exc).__name__}", RETRY_LOST)
            log.error(
                "Zalo OA token refresh got no answer (%s); retrying in %s s. If the retry "
                "is refused, the refresh token was used up: %s",
                type(exc).__name__,
                int(RETRY_LOST.total_seconds()),
                REAUTHORIZE,
            )
            return False
        now = self.clock()
        async with self.sessions() as session, session.begin():
            stored = await oa_tokens.store_tokens(
                session,
                self.app_id,
                access_token=grant.access_token,
                refresh_token=grant.refresh_token,
                expires_at=now + timedelta(seconds=grant.expires_in),
                now=now,
                version=version,
            )
        if not stored:
            log.error(
                "Zalo OA tokens were replaced during our refresh; the ones Zalo just gave us "
                "are lost. If sends fail with an invalid token: %s",
                REAUTHORIZE,
            )
            return False
        log.info("Zalo OA access token refreshed; valid for %s s", grant.expires_in)
        return True

    async def _failed(self, error: str, retry: timedelta) -> None:
        now = self.clock()
        async with self.sessions() as session, session.begin():
            await oa_tokens.record_failure(
                session, self.app_id, self.owner, error, now, retry_at=now + retry
            )

    async def run(self, stop: asyncio.Event) -> None:
        """Refresh ahead of expiry until ``stop``; every process may run this, one refreshes."""
        while not stop.is_set():
            await self.refresh_if_due()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), self.interval)
