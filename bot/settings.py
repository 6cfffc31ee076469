"""Deployment settings, read from the environment and an optional `.env` file."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from storage.db import DEFAULT_DATABASE_URL


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    database_url: str = Field(DEFAULT_DATABASE_URL, description="SQLAlchemy URL of the database")
    province_code: int = Field(48, description="Official code of the deployment's province")
    data_controller: str = Field(
        "Hội Khuyến học thành phố Đà Nẵng",
        description="Who controls the personal data, named in the consent notice",
    )
    notice_version: str = Field("2026-01", description="Version of the data notice consented to")
    content_dir: str | None = Field(None, description="Content folder (default: the package's)")
    log_level: str = Field("INFO", description="Logging level")

    telegram_bot_token: str | None = Field(
        None, description="Token from @BotFather; when set, `make run` runs on Telegram"
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
    host: str = Field("127.0.0.1", description="Address the web server listens on")
    port: int = Field(8080, description="Port the web server listens on")
