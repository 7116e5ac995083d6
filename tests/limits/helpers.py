"""Helpers for the limit tests: settings with low limits, and the checks of a 429."""

from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from aftercart.config import Settings

Sessions = async_sessionmaker[AsyncSession]


#: The token-endpoint limits the token tests run under.
TOKEN_LIMITS = {
    "rate_limit_token_failures_per_client": "3/minute",
    "rate_limit_token_failures_per_address": "5/minute",
    "rate_limit_token_requests": "8/minute",
}


def limited(database_url: str, **limits: Any) -> Settings:
    """The suite's test settings with every limit off, but those given."""
    values: dict[str, Any] = {
        "rate_limit_token_failures_per_client": "off",
        "rate_limit_token_failures_per_address": "off",
        "rate_limit_token_requests": "off",
        "rate_limit_chat": "off",
        "rate_limit_api": "off",
    }
    return Settings(database_url=database_url, sandbox=True, run_worker=False, **values | limits)


def retry_after(response: httpx.Response, *, at_most: int) -> int:
    """Asserts a 429 with a ``Retry-After`` of whole seconds, from 1 to ``at_most`` (up to
    two periods of the rate: a full window's hits keep counting, less and less, in the next)."""
    assert response.status_code == 429, response.text
    seconds = int(response.headers["retry-after"])
    assert 1 <= seconds <= at_most
    return seconds


def credentials(client_id: str, secret: str, **body: str) -> dict[str, str]:
    return {"client_id": client_id, "client_secret": secret, **body}
