"""Deployment settings, read from the environment and an optional `.env` file."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from handlers.context import Settings as ConversationSettings
from storage.db import DEFAULT_DATABASE_URL


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    database_url: str = Field(DEFAULT_DATABASE_URL, description="SQLAlchemy URL of the database")
    province_code: int = Field(48, description="Official code of the deployment's province")
    data_controller: str = Field(
        "Hội Khuyến học thành phố Đà Nẵng",
        description="Who controls the personal data, named in the consent notice",
    )
    association_name: str = Field(
        "", description="The issuing association printed on certificates (default: DATA_CONTROLLER)"
    )
    public_url: str = Field(
        "",
        description="Public address of the web server (https://...), for the certificates' "
        "verification links and the download links on Zalo; default http://HOST:PORT",
    )
    certificate_signer_title: str = Field(
        "",
        description="Printed under the issuer on certificates, e.g. CHỦ TỊCH (default: none)",
    )
    certificate_signer_name: str = Field(
        "", description="The signer's full name printed under the signature (default: none)"
    )
    certificate_signature_image: str = Field(
        "",
        description="A scanned signature and seal (PNG or JPEG, transparent background best) "
        "drawn above the signer's name on certificates (default: room to sign by hand)",
    )
    notice_version: str = Field("2026-01", description="Version of the data notice consented to")
    content_dir: str | None = Field(None, description="Content folder (default: the package's)")
    log_level: str = Field("INFO", description="Logging level")

    telegram_bot_token: str | None = Field(
        None, description="Token from @BotFather; when set, `make run` runs on Telegram"
    )
    telegram_bot_username: str = Field(
        "", description="The bot's @username without the @, for invite links in the web console"
    )
    telegram_api_url: str | None = Field(
        None, description="Another Bot API server (self-hosted telegram-bot-api, a test fake)"
    )
    telegram_global_rate: float = Field(25.0, description="Most Telegram messages per second")
    webhook_secret: str = Field(
        "",
        description="Secret Telegram echoes in X-Telegram-Bot-Api-Secret-Token (1-256 "
        "characters of A-Z a-z 0-9 _ -); required by `serve`",
    )
    zalo_bot_token: str | None = Field(
        None,
        description="Token from the Zalo Bot Creator; when set, the bot runs on Zalo Bot too",
    )
    zalo_bot_api_url: str = Field(
        "https://bot-api.zaloplatforms.com",
        description="Zalo Bot API base (the older https://bot-api.zapps.me, a test fake)",
    )
    zalo_global_rate: float = Field(
        10.0, description="Most Zalo Bot messages per second (Zalo publishes no limit)"
    )
    zalo_webhook_secret: str = Field(
        "",
        description="Secret Zalo echoes in X-Bot-Api-Secret-Token (8-256 characters); "
        "required by `serve` for Zalo Bot",
    )
    zalo_oa_proactive_monthly: int = Field(
        500,
        ge=0,
        description="Most proactive Zalo OA messages (outside the 48 h / 8 replies window) a "
        "calendar month; beyond them messages wait until the person writes. Zalo's help centre "
        "(unconfirmed) gives a verified OA 1,000 free a month; an unverified OA has none: set 0",
    )
    zalo_oa_proactive_reserve: int = Field(
        100,
        ge=0,
        description="Of those, how many reminders and broadcasts may not use: kept for answers "
        "and notices to officers and citizens",
    )
    deferred_expiry_days: int = Field(
        7,
        ge=1,
        description="Days a reminder or broadcast waiting for its person to write again (reply "
        "window closed, no proactive budget) may still go out; then it is dropped",
    )
    zalo_oa_app_id: str = Field(
        "",
        description="App ID of the Zalo developer app linked to the Official Account; when "
        "set, the bot runs on the OA too (webhook only)",
    )
    zalo_oa_app_secret: str = Field(
        "", description="That app's secret key (Zalo for Developers), for the OAuth tokens"
    )
    zalo_oa_secret_key: str = Field(
        "",
        description="The OA secret key of the app's webhook settings, which signs each event "
        "(X-ZEvent-Signature); required by `serve` for the OA",
    )
    zalo_oa_api_url: str = Field(
        "https://openapi.zalo.me", description="Zalo OA Open API base (a test fake)"
    )
    zalo_oauth_url: str = Field(
        "https://oauth.zaloapp.com", description="Zalo OAuth v4 server (a test fake)"
    )
    zalo_oa_global_rate: float = Field(
        5.0,
        description="Most Zalo OA messages per second (Zalo publishes no per-second limit: "
        "kept low, as every message past the free replies is counted against a quota)",
    )
    quiet_hours: str = Field(
        "21:00-07:00",
        pattern=r"^\d{2}:\d{2}-\d{2}:\d{2}$",
        description="Local hours (Asia/Ho_Chi_Minh) when no reminder, campaign or broadcast "
        "is sent",
    )
    weekly_push_cap: int = Field(3, description="Most reminders and campaigns a person gets a week")
    reminder_days: list[int] = Field(
        [3, 10], description="Idle days before each reminder to finish a self-assessment"
    )
    max_reminders: int = Field(2, description="Most such reminders a person gets in a year")
    inbox_retention_days: int = Field(
        7, ge=1, description="Days a processed raw update is kept (for investigating problems)"
    )
    evidence_types: list[str] = Field(
        default_factory=lambda: sorted(ConversationSettings().evidence_types),
        description="File extensions taken as evidence (images, PDF, office documents; "
        "those known in handlers/flows/evidence_limits.py)",
    )
    evidence_max_mb: float = Field(10, gt=0, description="Largest evidence file, in MB")
    outbox_retention_days: int = Field(
        30,
        ge=1,
        description="Days a sent, dead or cancelled message (not a broadcast's) is kept",
    )
    documents_dir: str = Field(
        "data/documents",
        description="Folder where the console saves the documents it is sent, one folder "
        "per person (removed when they erase their data)",
    )
    dedupe_retention_days: int = Field(
        30, ge=2, description="Days an event's dedupe key is kept (platforms redeliver for a day)"
    )
    review_remind_days: int = Field(
        3, ge=1, description="Officers' daily digest lists submissions waiting longer than this"
    )
    review_escalate_days: int = Field(
        10, ge=1, description="Submissions waiting longer than this go to the parent scope too"
    )
    review_digest_hour: int = Field(
        8, ge=0, le=23, description="Hour of the day (Vietnam time) the digest goes out"
    )
    link_secret: str = Field(
        "",
        description="Key that signs download links for channels that cannot send files "
        "(Zalo Bot) and keys the stored hashes of link codes; default: derived from the bot "
        "tokens",
    )
    document_link_hours: int = Field(
        24, ge=1, le=24 * 30, description="Hours a download link keeps working"
    )
    web_session_hours: int = Field(
        8, ge=1, le=24 * 7, description="Hours a web console session lasts without activity"
    )
    public_stats: bool = Field(
        False, description="Serve the public progress page (/web/progress): figures, no names"
    )
    scheduled_jobs: str = Field(
        "all",
        pattern=r"^(all|none|[a-z.]+(,[a-z.]+)*)$",
        description="Scheduled jobs this process runs: all, none, or some of review.digest, "
        "pushes, retention, deferred.expiry (comma-separated). Each runs once per period "
        "however many processes run it; a deployment may keep them to one process",
    )
    host: str = Field("127.0.0.1", description="Address the web server listens on")
    port: int = Field(8080, description="Port the web server listens on")
    health_token: str = Field(
        "",
        description="Token that shows /healthz's details (Authorization: Bearer TOKEN, or "
        "?token=TOKEN); without it /healthz says only ok or not ok",
    )
    health_max_delay_seconds: int = Field(
        120,
        ge=1,
        description="/healthz answers 503 when an update has waited, or a reply has been "
        "due, longer than this",
    )
    health_dead_letter_hours: int = Field(
        24,
        ge=1,
        description="/healthz answers 503 while an update set aside as a dead letter in "
        "these last hours is neither retried nor dropped",
    )

    @field_validator("certificate_signature_image")
    @classmethod
    def _image_exists(cls, value: str) -> str:
        if value and not Path(value).is_file():
            raise ValueError(f"no such file: {value}")
        return value

    @property
    def issuer(self) -> str:
        return self.association_name or self.data_controller

    @property
    def site_url(self) -> str:
        return self.public_url or f"http://{self.host}:{self.port}"
