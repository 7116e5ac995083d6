"""Arranging orders to rate, and reading back what the feedback endpoints stored."""

import itertools
from dataclasses import dataclass
from typing import Any

import httpx
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from aftercart.db.types import utcnow
from aftercart.models import Event, Rating, User
from tests import factories


@dataclass(frozen=True)
class Placed:
    user_id: str
    order_id: str
    location_code: str


async def place_order(
    sessions: async_sessionmaker[AsyncSession],
    *,
    service_type: str = "delivery",
    workflow_state: str = "completed",
    user_id: str | None = None,
    active: bool = True,
    **overrides: Any,
) -> Placed:
    """An order (delivered unless told otherwise) of a new user, or of ``user_id``."""
    async with sessions() as session:
        if user_id is None:
            user_id = (await factories.insert_user(session, active=active)).user_id
        user = await session.get(User, (1, user_id))
        assert user is not None
        store = await factories.insert_store(session)
        order = await factories.insert_order(
            session,
            user=user,
            store=store,
            products=[],
            service_type=service_type,
            workflow_state=workflow_state,
            **overrides,
        )
        await session.commit()
        return Placed(user_id, order.order_id, store.location_code)


def backend_path(placed: Placed) -> str:
    return f"/v2/feedback/users/{placed.user_id}/orders/{placed.order_id}/rating"


async def ratings(sessions: async_sessionmaker[AsyncSession]) -> list[Rating]:
    async with sessions() as session:
        return list(await session.scalars(select(Rating).order_by(Rating.id)))


async def count_events(sessions: async_sessionmaker[AsyncSession], name: str) -> int:
    async with sessions() as session:
        counted = await session.scalar(select(func.count(Event.id)).where(Event.name == name))
        return int(counted or 0)


def connect_error(body: dict[str, Any]) -> tuple[str, int | None, dict[str, Any]]:
    """``(message, code, meta)`` of a Connect error body."""
    return body["error"]["message"], body["error"]["code"], body["meta"]


_refs = itertools.count(1)


async def insert_rating(session: AsyncSession, **overrides: Any) -> Rating:
    """A rating row straight into the store (``created_at`` now unless given)."""
    n = next(_refs)
    now = utcnow()
    values: dict[str, Any] = {
        "tenant_id": 1,
        "source": "connect",
        "dedupe_key": f"rating-{n}",
        "rating": 5,
        "highlights": [],
        "created_at": now,
        "updated_at": now,
    }
    return await factories.added(session, Rating(**values | overrides))


async def walk(
    http: httpx.AsyncClient, headers: dict[str, str], **params: Any
) -> list[dict[str, Any]]:
    """Every rating ``GET /v2/feedback/ratings`` gives, following ``next_cursor``."""
    found: list[dict[str, Any]] = []
    query = {key: value for key, value in params.items() if value is not None}
    while True:
        response = await http.get("/v2/feedback/ratings", params=query, headers=headers)
        assert response.status_code == 200, response.text
        page = response.json()
        found.extend(page["ratings"])
        if page["next_cursor"] is None:
            return found
        query["cursor"] = page["next_cursor"]
