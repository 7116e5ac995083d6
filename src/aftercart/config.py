"""Settings, read from ``AFTERCART_*`` environment variables."""

from functools import lru_cache
from typing import Annotated, Literal

from fastapi import Depends, Request
from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="AFTERCART_", extra="ignore")

    database_url: str = Field(
        default="sqlite+aiosqlite:///./aftercart.db",
        description="SQLAlchemy URL: SQLite (aiosqlite) by default, or PostgreSQL (asyncpg).",
    )
    sandbox: bool = Field(default=True, description="Expose /v2/fulfillment_sandbox endpoints.")
    token_ttl_seconds: int = 86_400
    token_cache_poll_seconds: float = Field(
        default=0.5,
        gt=0,
        description="How often each process checks for revoked tokens and deactivated users "
        "(tokens are cached in memory; a revocation takes effect everywhere within this).",
    )
    hold_ttl_seconds: int = 600
    max_body_bytes: int = 1_048_576
    log_level: str = "INFO"
    run_worker: bool = Field(default=True, description="Run the webhook delivery worker in serve.")
    webhooks_allow_private: bool | None = Field(
        default=None,
        description="Allow webhook URLs on private/loopback addresses (default: sandbox).",
    )
    webhook_concurrency: int = Field(
        default=200,
        ge=1,
        description="Webhook sends in flight per worker (a quarter per subscription).",
    )
    webhook_lease_seconds: float = Field(
        default=60.0, gt=0, description="How long a claimed delivery stays reserved to its worker."
    )
    webhook_retention_days: int = Field(
        default=30,
        ge=0,
        description="Finished webhook deliveries older than this are deleted (0 keeps them).",
    )
    slot_capacity: int = Field(default=20, description="Orders one generated time slot takes.")
    slot_days: int = Field(default=3, description="How many days ahead time slots are offered.")
    broker: Literal["auto", "memory", "postgres"] = Field(
        default="auto",
        description="How live-stream notifications travel: in this process only (memory), or "
        "between processes through PostgreSQL LISTEN/NOTIFY; auto picks postgres on PostgreSQL.",
    )
    stream_keepalive_seconds: float = Field(
        default=15, gt=0, description="Seconds between keep-alive comments on an event stream."
    )
    stream_max_seconds: float = Field(
        default=3600, gt=0, description="An event stream is closed after this long; clients resume."
    )
    stream_poll_seconds: float = Field(
        default=5,
        gt=0,
        description="Fallback: how often the events table is checked for events "
        "whose notification was missed.",
    )
    stream_max_pending: int = Field(
        default=64, ge=1, description="Notifications a stream may fall behind before it is dropped."
    )

    @property
    def allow_private_webhooks(self) -> bool:
        if self.webhooks_allow_private is None:
            return self.sandbox
        return self.webhooks_allow_private


@lru_cache
def get_settings() -> Settings:
    return Settings()


async def _settings_of(request: Request) -> Settings:
    """Async, as every dependency here: FastAPI runs a plain ``def`` one in a worker thread."""
    settings: Settings = request.app.state.settings
    return settings


SettingsDep = Annotated[Settings, Depends(_settings_of)]
