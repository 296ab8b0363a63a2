"""Settings: every knob is an environment variable with the ``PISHKHAN_`` prefix, or a line in ``.env``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from bot.hours import OpeningHours

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATABASE_URL = f"sqlite+aiosqlite:///{PROJECT_ROOT / 'var' / 'pishkhan.db'}"


class SettingsError(RuntimeError):
    """Settings could not be read; the message names every bad variable."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="PISHKHAN_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    # Storage and scale-out
    database_url: str = DEFAULT_DATABASE_URL
    redis_url: str | None = None
    database_pool_size: Annotated[int, Field(ge=1, le=200)] = 10
    # all: HTTP and the background work; web: HTTP only (webhooks store, turns run elsewhere);
    # worker: turns and delivery only (`pishkhan worker`). Several "all" workers are fine too.
    role: Literal["all", "web", "worker"] = "all"
    # A row being sent by a worker that died is sent again by another after this long
    outbox_lease_seconds: Annotated[int, Field(ge=10, le=3600)] = 300

    # Secrets. The development defaults are refused when PISHKHAN_ENV=production.
    env: Literal["development", "production", "test"] = "development"
    secret_key: SecretStr = SecretStr("dev-secret-change-me")
    api_key: SecretStr = SecretStr("dev-api-key")

    # Shop
    shop_name: str = "فروشگاه نمونه"
    support_hours: str = "sat-wed 09:00-18:00, thu 09:00-13:00"  # Tehran time; outside them no agent answers
    support_phone: str = "021-91000000"
    return_window_days: Annotated[int, Field(ge=0, le=365)] = 7
    return_excluded_categories: str = "آرایشی و بهداشتی,لباس زیر,کارت هدیه"
    memory_slots: str = "order_id,serial_number,email"  # remembered across a verified customer's channels
    shop_webhook_url: str | None = None
    shop_webhook_secret: SecretStr | None = None  # signs X-Pishkhan-Signature; PISHKHAN_SECRET_KEY when unset
    public_url: str = "http://127.0.0.1:8000"

    # HTTP
    host: str = "127.0.0.1"
    port: Annotated[int, Field(ge=1, le=65535)] = 8000
    max_body_bytes: Annotated[int, Field(ge=1024)] = 1_048_576
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"

    # NLU
    nlu_model: Path = PROJECT_ROOT / "models" / "nlu"

    # Channels (used by the channel adapters)
    channel_timeout_seconds: Annotated[float, Field(ge=1, le=120)] = 30.0  # one call to a platform API
    telegram_token: SecretStr | None = None
    telegram_webhook_secret: SecretStr | None = None
    telegram_api_base: str = "https://api.telegram.org"
    telegram_polling: bool = False  # getUpdates instead of the webhook (`pishkhan serve --telegram-polling`)
    # Bale (بله) serves the Telegram Bot API shape: a second instance of the Telegram channel, named "bale"
    bale_token: SecretStr | None = None
    bale_webhook_secret: SecretStr | None = None
    bale_api_base: str = "https://tapi.bale.ai"
    bale_polling: bool = False
    instagram_app_secret: SecretStr | None = None
    instagram_verify_token: SecretStr | None = None
    instagram_access_token: SecretStr | None = None
    graph_api_base: str = "https://graph.facebook.com/v21.0"
    instagram_account_id: str | None = None  # the IG professional account (or Page) id; "me" when unset
    instagram_human_agent_tag: bool = False  # agents may reply for 7 days (needs Meta's Human Agent approval)
    widget_identity_secret: SecretStr | None = None
    widget_new_conversations_per_ip_per_hour: Annotated[int, Field(ge=1, le=100_000)] = 20
    widget_demo_shop_user: str = "u1001"  # who the demo page at / logs in as (bot.demo's Sara)
    rest_token: SecretStr | None = None
    sms_provider: Literal["development", "kavenegar"] = "development"
    kavenegar_api_key: SecretStr | None = None
    kavenegar_sender: str | None = None
    kavenegar_api_base: str = "https://api.kavenegar.com/v1"

    # Email (invoices, data exports): "development" records messages in the outbox instead of sending
    email_mode: Literal["development", "smtp"] = "development"
    smtp_host: str = "localhost"
    smtp_port: Annotated[int, Field(ge=1, le=65535)] = 587
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_starttls: bool = True
    email_from: str = "support@example.com"

    # Signed links sent to customers
    invoice_link_hours: Annotated[int, Field(ge=1, le=24 * 30)] = 72
    export_link_hours: Annotated[int, Field(ge=1, le=24 * 7)] = 24

    @field_validator("database_url")
    @classmethod
    def _known_driver(cls, url: str) -> str:
        if not url.startswith(("sqlite+aiosqlite://", "postgresql+asyncpg://")):
            raise ValueError("must start with sqlite+aiosqlite:// or postgresql+asyncpg://")
        return url

    @model_validator(mode="after")
    def _no_development_secrets_in_production(self) -> Settings:
        if self.env == "production":
            for name in ("secret_key", "api_key"):
                if getattr(self, name).get_secret_value().startswith("dev-"):
                    raise ValueError(f"PISHKHAN_{name.upper()} must be set to a real secret in production")
        return self

    @field_validator("support_hours")
    @classmethod
    def _readable_hours(cls, spec: str) -> str:
        OpeningHours.parse(spec)
        return spec

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


def load_settings(**overrides: object) -> Settings:
    """Read settings from the environment and ``.env``; raise SettingsError naming each bad variable."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        problems = [
            f"PISHKHAN_{'_'.join(str(p) for p in err['loc']).upper()}: {err['msg']}"
            if err["loc"]
            else err["msg"]
            for err in exc.errors()
        ]
        raise SettingsError("invalid settings: " + "; ".join(problems)) from None
