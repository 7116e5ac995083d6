"""The in-memory token cache: what it serves, and how revocations and deactivations end it."""

from collections.abc import AsyncIterator
from datetime import timedelta

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from aftercart.app import create_app
from aftercart.auth.cache import CachedToken, TokenCache
from aftercart.auth.service import LiveToken, TokenContext
from aftercart.config import Settings
from aftercart.db.types import utcnow
from tests import factories
from tests.auth.helpers import UNKNOWN_USER, answer_within, prove_revocation_reaches

CONTEXT = TokenContext("client", 1, "client_credentials", frozenset({"connect:fulfillment"}), None)


def _entry(cache: TokenCache, *, expires_in: float = 3600, read_at: float = 0.0) -> CachedToken:
    live = LiveToken(CONTEXT, utcnow() + timedelta(seconds=expires_in), True)
    return CachedToken(live, cache.generation, read_at)


def _synced(**kwargs: float) -> TokenCache:
    cache = TokenCache(**kwargs)  # type: ignore[arg-type]
    cache.database_changed(0)
    return cache


def test_a_cached_token_is_served_until_a_change_is_counted() -> None:
    cache = _synced()
    cache.put("a", _entry(cache))
    assert cache.get("a", now=1.0) is not None
    cache.database_changed(0)
    assert cache.get("a", now=1.0) is not None
    cache.database_changed(1)
    assert cache.get("a", now=1.0) is None


def test_an_entry_read_before_a_change_is_not_stored() -> None:
    cache = _synced()
    stale = _entry(cache)
    cache.forget_all()
    cache.put("a", stale)
    assert cache.get("a", now=0.0) is None
    assert len(cache) == 0


def test_nothing_is_cached_until_the_change_count_was_read() -> None:
    cache = TokenCache()
    cache.put("a", _entry(cache))
    assert len(cache) == 0
    cache.database_changed(3)
    cache.put("a", _entry(cache))
    cache.unsynced()
    assert cache.get("a", now=0.0) is None


def test_expired_and_old_entries_are_dropped() -> None:
    cache = _synced(max_age_seconds=10)
    cache.put("soon", _entry(cache, expires_in=-1))
    cache.put("old", _entry(cache, read_at=0.0))
    assert cache.get("soon", now=1.0) is None
    assert cache.get("old", now=5.0) is not None
    assert cache.get("old", now=11.0) is None


def test_the_cache_is_bounded_and_keeps_the_recently_used() -> None:
    cache = _synced(max_entries=3)
    for key in "abc":
        cache.put(key, _entry(cache))
    assert cache.get("a", now=0.0) is not None
    cache.put("d", _entry(cache))
    assert len(cache) == 3
    assert cache.get("b", now=0.0) is None
    assert all(cache.get(key, now=0.0) is not None for key in "acd")


async def test_a_cached_token_needs_no_database(
    app: FastAPI, http: httpx.AsyncClient, creds: factories.IssuedCredentials
) -> None:
    token = await factories.client_token(http, creds)
    headers = factories.bearer(token)
    assert (
        await http.get("/v2/fulfillment/users/nobody", headers=headers)
    ).status_code == UNKNOWN_USER
    statements: list[str] = []
    engine = app.state.engine.sync_engine

    def note(*args: object) -> None:
        statements.append(str(args[2]))

    event.listen(engine, "before_cursor_execute", note)
    try:
        assert (
            await http.get("/v2/fulfillment/users/nobody", headers=headers)
        ).status_code == UNKNOWN_USER
    finally:
        event.remove(engine, "before_cursor_execute", note)
    assert not [s for s in statements if "access_tokens" in s]


@pytest.fixture
async def other_app(settings: Settings) -> AsyncIterator[FastAPI]:
    """A second application on the same database, with its own token cache: as another
    process would be."""
    application = create_app(settings.model_copy(update={"token_cache_poll_seconds": 0.2}))
    async with application.router.lifespan_context(application):
        yield application


async def test_a_revocation_reaches_another_process_within_a_second(
    http: httpx.AsyncClient, other_app: FastAPI, creds: factories.IssuedCredentials
) -> None:
    transport = httpx.ASGITransport(app=other_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://other") as other:
        await prove_revocation_reaches(http, other, creds)


async def test_a_deactivated_user_is_refused_by_another_process_within_a_second(
    http: httpx.AsyncClient,
    other_app: FastAPI,
    creds: factories.IssuedCredentials,
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with sessions() as session:
        user = await factories.insert_user(session)
        store = await factories.insert_store(session)
        order = await factories.insert_order(session, user=user, store=store, products=[])
        await session.commit()
    client = factories.bearer(await factories.client_token(http, creds))
    customer = factories.bearer(await factories.user_token(http, creds, user.user_id))
    path = f"/v2/post_checkout/orders/{order.order_id}/items"
    transport = httpx.ASGITransport(app=other_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://other") as other:
        assert (await other.get(path, headers=customer)).status_code == 200
        deactivated = await http.put(
            f"/v2/fulfillment/users/{user.user_id}", json={"active": False}, headers=client
        )
        assert deactivated.status_code == 200, deactivated.text
        assert (await http.get(path, headers=customer)).status_code == 403
        await answer_within(other, path, headers=customer, status=403, seconds=1.0)
        assert "User Not Active" in (await other.get(path, headers=customer)).text
