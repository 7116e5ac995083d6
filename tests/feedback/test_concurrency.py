"""Several first ratings of one order at the same moment still make one row."""

import asyncio

import httpx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from aftercart.events import names
from tests.feedback.helpers import backend_path, count_events, place_order, ratings
from tests.marketplace.helpers import feedback_body, marketplace_headers

RACERS = 6


async def test_concurrent_first_ratings_make_one_row(
    http: httpx.AsyncClient,
    client_headers: dict[str, str],
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    placed = await place_order(sessions)
    path = backend_path(placed)
    values = [f"STARS{n % 5 + 1}" for n in range(RACERS)]
    responses = await asyncio.gather(
        *(http.post(path, json={"rating_value": v}, headers=client_headers) for v in values)
    )
    assert [r.status_code for r in responses] == [200] * RACERS, [r.text for r in responses]
    [row] = await ratings(sessions)
    assert row.rating_value in values
    assert row.created_at <= row.updated_at
    assert await count_events(sessions, names.RATING_UPDATED) == RACERS


async def test_concurrent_marketplace_resends_make_one_row(
    http: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession]
) -> None:
    headers = await marketplace_headers(http, sessions)
    bodies = [feedback_body(rating=n % 5 + 1) for n in range(RACERS)]
    responses = await asyncio.gather(
        *(http.post("/v1/feedback", json=body, headers=headers) for body in bodies)
    )
    assert [r.status_code for r in responses] == [200] * RACERS, [r.text for r in responses]
    assert len(await ratings(sessions)) == 1
