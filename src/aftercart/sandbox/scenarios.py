"""Scenario files from the command line: finding one (a path, or the name of a shipped one),
and playing it on the database of the settings with Aftercart started in the same process.

The steps go through the public sandbox API of that in-process Aftercart, with a client token
of the client that placed the order (made for the run and revoked after it); its webhook worker
and timers stay off, so a running ``aftercart serve`` or ``worker`` delivers the callbacks.
"""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from pathlib import Path
from typing import Final

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from aftercart.app import create_app
from aftercart.auth import scopes
from aftercart.auth.secrets import digest
from aftercart.auth.service import revoke_by_hash, store_token
from aftercart.config import Settings
from aftercart.models import ApiClient, Batch, Event
from aftercart.sandbox.lookup import order_of_tenant
from aftercart.sandbox.scenario_runner import OrderUnderPlay, ScenarioRunner

SHIPPED: Final = Path(__file__).parent / "scenario_files"
#: Long enough for any scenario (waits are capped at ten minutes each).
TOKEN_LIFETIME: Final = timedelta(hours=2)
#: The in-process Aftercart's own loops are off, and its access log: it only answers the
#: scenario's requests, which the command reports itself.
_QUIET: Final = {
    "run_worker": False,
    "shopper_move_seconds": 0,
    "late_pickup_seconds": 0,
    "late_delivery_seconds": 0,
    "rating_reminder_seconds": 0,
    "log_level": "WARNING",
}


class NoClient(Exception):
    """The order's tenant has no API client to play the scenario as."""


def shipped() -> dict[str, Path]:
    """The scenarios that ship with Aftercart, by name."""
    return {path.stem: path for path in sorted(SHIPPED.glob("*.yaml"))}


def locate(file_or_name: str) -> Path:
    """A scenario file: the path given, else the shipped scenario of that name."""
    path = Path(file_or_name)
    if path.is_file():
        return path
    found = shipped().get(file_or_name)
    if found is None:
        known = ", ".join(shipped())
        raise FileNotFoundError(
            2, f"no such file, nor a shipped scenario of that name (shipped: {known})", file_or_name
        )
    return found


@asynccontextmanager
async def playing(
    settings: Settings, order_id: str, *, tenant_id: int | None = None
) -> AsyncIterator[ScenarioRunner]:
    """A runner for ``order_id`` (of ``tenant_id``, which may be left out while only one tenant
    has such an order) on Aftercart started in this process on ``settings``'s database
    (``NotFound`` for an unknown order)."""
    app = create_app(settings.model_copy(update=_QUIET))
    async with app.router.lifespan_context(app):
        sessions = app.state.sessions
        async with sessions() as session:
            order = await order_of_tenant(session, order_id, tenant_id)
            client_id = order.client_id or await session.scalar(
                select(ApiClient.client_id)
                .where(ApiClient.tenant_id == order.tenant_id)
                .order_by(ApiClient.created_at)
                .limit(1)
            )
            if client_id is None:
                raise NoClient(
                    f"tenant {order.tenant_id} has no API client: make one with "
                    f"`aftercart clients create --tenant {order.tenant_id}`"
                )
            batch = await session.get(Batch, order.batch_id) if order.batch_id else None
            grant = scopes.CLIENT_CREDENTIALS
            issued = await store_token(
                session,
                client_id=client_id,
                tenant_id=order.tenant_id,
                grant_type=grant,
                scope=" ".join(scopes.SCOPES_BY_GRANT[grant]),
                ttl_seconds=int(TOKEN_LIFETIME.total_seconds()),
            )
            under_play = OrderUnderPlay(
                order_id=order.order_id,
                user_id=order.user_id,
                shopper_id=order.shopper_id if batch is not None else None,
                batch_id=batch.id if batch is not None else None,
                seen_event_id=await _newest_event_id(session, order.order_id),
            )
            await session.commit()

        async def events_after(event_id: int) -> list[tuple[int, str]]:
            async with app.state.read_sessions() as reading:
                rows = await reading.execute(
                    select(Event.id, Event.name)
                    .where(Event.order_id == order_id, Event.id > event_id)
                    .order_by(Event.id)
                )
                return [(row.id, row.name) for row in rows]

        headers = {"Authorization": f"Bearer {issued.access_token}"}
        transport = httpx.ASGITransport(app=app)
        try:
            async with httpx.AsyncClient(
                transport=transport, base_url="http://aftercart", headers=headers
            ) as http:
                yield ScenarioRunner(http, under_play, events_after)
        finally:
            async with sessions() as session:
                await revoke_by_hash(session, digest(issued.access_token))
                await session.commit()


async def _newest_event_id(session: AsyncSession, order_id: str) -> int:
    newest = await session.scalar(
        select(Event.id).where(Event.order_id == order_id).order_by(Event.id.desc()).limit(1)
    )
    return int(newest or 0)
