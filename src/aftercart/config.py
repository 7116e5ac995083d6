"""Settings, read from ``AFTERCART_*`` environment variables."""

from functools import lru_cache
from typing import Annotated, Any, Literal

from fastapi import Depends, Request
from pydantic import AfterValidator, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from aftercart.db.engine import MAX_OVERFLOW, POOL_SIZE
from aftercart.limits.rules import parse_rate

Environment = Literal["development", "production"]


def _check_rate(value: str) -> str:
    parse_rate(value)
    return value


# A rate-limit setting: "10/minute", "1200 per hour", "off"; anything else fails at startup.
RateSetting = Annotated[str, AfterValidator(_check_rate)]


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="AFTERCART_", extra="ignore")

    database_url: str = Field(
        default="sqlite+aiosqlite:///./aftercart.db",
        description="SQLAlchemy URL: SQLite (aiosqlite) by default, or PostgreSQL (asyncpg).",
    )
    database_pool_size: int = Field(
        default=POOL_SIZE,
        ge=1,
        description="PostgreSQL connections each process keeps open; size it to the requests a "
        "process has in flight at once.",
    )
    database_max_overflow: int = Field(
        default=MAX_OVERFLOW,
        ge=0,
        description="PostgreSQL connections a process may open beyond the pool under a burst "
        "(closed as soon as they are returned).",
    )
    env: Environment = Field(
        default="production",
        description="development: the sandbox, private webhook receivers and localhost CORS are "
        "on unless turned off; production: each is off unless turned on.",
    )
    sandbox: bool | None = Field(
        default=None,
        description="Expose /v2/fulfillment_sandbox endpoints (default: on in development only).",
    )
    cors_origins: Annotated[list[str] | None, NoDecode] = Field(
        default=None,
        description="Comma-separated origins a browser page may call the API from "
        "(default: localhost origins in development, none in production).",
    )
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
    log_format: Literal["json", "text"] = Field(
        default="json", description="Log lines as JSON objects, or as plain text."
    )
    metrics: bool = Field(default=True, description="Serve Prometheus metrics at GET /metrics.")
    metrics_token: SecretStr | None = Field(
        default=None, description="When set, /metrics asks for it as a bearer token."
    )
    run_worker: bool = Field(default=True, description="Run the webhook delivery worker in serve.")
    debug: bool = Field(
        default=False,
        description="The aftercart command shows a failure's full traceback, not one line.",
    )
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
    shopper_move_seconds: float = Field(
        default=15,
        ge=0,
        description="Sandbox: how often shoppers of delivering orders move towards the customer "
        "(each move records an Order location callback); 0 turns the timer off.",
    )
    shopper_trip_seconds: float = Field(
        default=900,
        gt=0,
        description="Sandbox: how long a shopper takes from the store to the customer.",
    )
    autopilot_tick_seconds: float = Field(
        default=1.0,
        ge=0,
        description="Sandbox: how often the steps of autopilot shoppers that have fallen due are "
        "played, for tenants whose sandbox clock is not frozen; 0 turns the loop off.",
    )
    late_pickup_seconds: float = Field(
        default=60,
        ge=0,
        description="How often staged pickup orders whose pickup window has ended are looked "
        "for (each gets one Late pickup callback); 0 turns the timer off.",
    )
    late_delivery_seconds: float = Field(
        default=60,
        ge=0,
        description="How often delivery orders still under way when their delivery window has "
        "ended are looked for (each gets one Late delivery callback); 0 turns the timer off.",
    )
    rating_reminder_seconds: float = Field(
        default=86_400,
        ge=0,
        description="How long after delivery an order still without a rating gets its one Rating "
        "reminder callback; 0 turns the reminders off.",
    )
    pickup_category: Literal["curbside", "locker", "in_store"] = Field(
        default="curbside",
        description="The pickup category of the retailer's pickup orders (Get pickup "
        "instructions' categories); schedule pickup needs curbside.",
    )
    pickup_instructions: dict[str, str] = Field(
        default={
            "curbside": "Park in a numbered pickup spot and tell us you're here; a store "
            "associate brings your order to your car.",
            "locker": "Go to the pickup lockers by the entrance and scan the code from your "
            "order confirmation.",
            "in_store": "Go to the pickup counter inside the store and give your name.",
        },
        description="Pickup instructions by pickup category (curbside, locker, in_store), as "
        "Get pickup instructions answers them; JSON in the environment.",
    )
    remove_shopper_information: bool = Field(
        default=False,
        description="Instacart's 'remove shopper information' account feature: the shopper's "
        "location and the order's messages answer 403, order handling has no shopper.",
    )
    slot_capacity: int = Field(default=20, description="Orders one generated time slot takes.")
    slot_days: int = Field(default=3, description="How many days ahead time slots are offered.")
    public_url: str | None = Field(
        default=None,
        description="The base URL customers reach this service at, for the links it hands out "
        "(the Order object's order_url); default: the base URL of each request.",
    )
    order_url_secret: SecretStr | None = Field(
        default=None,
        description="Key of the HMAC that signs order status page links (order_url). Unset: "
        "one generated on the first start and kept in the database (table server_secrets).",
    )
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
    rate_limit_token_failures_per_client: RateSetting = Field(
        default="10/minute",
        description="Failed client authentications on the token endpoints per client_id, "
        "e.g. '10/minute', '100/hour' or 'off'; beyond it the endpoint answers 429.",
    )
    rate_limit_token_failures_per_address: RateSetting = Field(
        default="30/minute",
        description="Failed client authentications on the token endpoints per source address.",
    )
    rate_limit_token_requests: RateSetting = Field(
        default="1200/minute",
        description="All requests to the token endpoints, per client_id and per source address.",
    )
    rate_limit_chat: RateSetting = Field(
        default="60/minute",
        description="Chat messages per customer (post-checkout) and per shopper (sandbox).",
    )
    rate_limit_api: RateSetting = Field(
        default="100000/minute",
        description="Requests with a bearer token, per API client (its user tokens included).",
    )
    rate_limit_sync_seconds: float = Field(
        default=0.5,
        gt=0,
        description="On PostgreSQL, how often each process adds its per-client API counts to "
        "the shared ones and reads back the others'.",
    )
    max_tokens_per_client: int = Field(
        default=100_000,
        ge=0,
        description="Live (unexpired, unrevoked) tokens a client may hold; a request for one "
        "more is refused (0: no cap).",
    )
    max_webhooks_per_client: int = Field(
        default=50, ge=0, description="Webhook subscriptions a client may have (0: no cap)."
    )
    max_streams_per_token: int = Field(
        default=100,
        ge=0,
        description="Event streams one token may hold open, across processes (0: no cap).",
    )
    monitor_size: int = Field(
        default=200,
        ge=0,
        description="Sandbox: how many of its last requests the request monitor keeps per "
        "client (0 turns recording off).",
    )

    @field_validator("cors_origins", mode="before")
    @classmethod
    def _split_origins(cls, value: Any) -> Any:
        if isinstance(value, str):
            return [origin.strip() for origin in value.split(",") if origin.strip()]
        return value

    @property
    def development(self) -> bool:
        return self.env == "development"

    @property
    def sandbox_enabled(self) -> bool:
        return self.development if self.sandbox is None else self.sandbox

    @property
    def allow_private_webhooks(self) -> bool:
        if self.webhooks_allow_private is None:
            return self.sandbox_enabled
        return self.webhooks_allow_private


@lru_cache
def get_settings() -> Settings:
    return Settings()


async def _settings_of(request: Request) -> Settings:
    """Async, as every dependency here: FastAPI runs a plain ``def`` one in a worker thread."""
    settings: Settings = request.app.state.settings
    return settings


SettingsDep = Annotated[Settings, Depends(_settings_of)]
