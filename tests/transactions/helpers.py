"""Arranging orders to pay for, bodies to send, and reading back what was stored."""

import copy
import itertools
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from aftercart.db.types import utcnow
from aftercart.models import Event, PosTransaction
from aftercart.transactions.rules import format_timestamp
from aftercart.transactions.schemas import EXAMPLE
from tests import factories

PATH = "/v2/retailer_transaction/pos_transactions"
_ids = itertools.count(1)


@dataclass(frozen=True)
class Placed:
    order_id: str
    location_code: str


async def place_order(sessions: async_sessionmaker[AsyncSession], **overrides: Any) -> Placed:
    """An order (being shopped) of a new user at a new store."""
    async with sessions() as session:
        user = await factories.insert_user(session)
        store = await factories.insert_store(session)
        values: dict[str, Any] = {"workflow_state": "checkout", **overrides}
        order = await factories.insert_order(session, user=user, store=store, products=[], **values)
        await session.commit()
        return Placed(order.order_id, store.location_code)


def sold_at(minutes_ago: float = 1) -> str:
    return format_timestamp(utcnow() - timedelta(minutes=minutes_ago))


def body_for(
    placed: Placed | None, store_id: str | None = None, **overrides: Any
) -> dict[str, Any]:
    """The tutorial's body (https://docs.instacart.com/connect/transactions_guide/tutorials/
    send_via_transaction_api) for ``placed`` (without ``order_id`` when None), sold a minute ago,
    with a new ``id``."""
    body: dict[str, Any] = copy.deepcopy(EXAMPLE)
    del body["order_id"]
    body |= {
        "transaction_timestamp": sold_at(),
        "id": f"12_0200_0036_{next(_ids)}",
        "store_id": store_id if store_id is not None else placed.location_code if placed else "",
        "items": [
            {
                "line_item_number": "1",
                "bar_code": "7789048811",
                "retailer_reference_code": "48811",
                "description": "Bananas",
                "category": "Produce",
                "price_per_unit": 0.69,
                "item_price": 1.45,
                "quantity": 2.1,
            }
        ],
    }
    if placed is not None:
        body["order_id"] = placed.order_id
    return body | overrides


async def stored(sessions: async_sessionmaker[AsyncSession]) -> list[PosTransaction]:
    async with sessions() as session:
        rows = await session.scalars(select(PosTransaction).order_by(PosTransaction.received_at))
        return list(rows)


async def count_events(sessions: async_sessionmaker[AsyncSession]) -> int:
    async with sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(Event)) or 0)


def connect_error(body: dict[str, Any]) -> tuple[str, int | None, dict[str, Any]]:
    return body["error"]["message"], body["error"]["code"], body["meta"]


def parse(moment: str) -> datetime:
    return datetime.fromisoformat(moment)
