"""``GET /metrics``: Prometheus's scrape, outside ``/v2`` and the OpenAPI document."""

import asyncio
import hmac
import logging

from fastapi import APIRouter, Request, Response
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from aftercart.config import SettingsDep
from aftercart.events.webhooks import queue
from aftercart.observability import metrics

log = logging.getLogger(__name__)

router = APIRouter(tags=["operations"], include_in_schema=False)

#: A scrape still answers, without the queue depth, when the database is this slow or down.
DEPTH_TIMEOUT_SECONDS = 2.0


@router.get("/metrics")
async def scrape(request: Request, settings: SettingsDep) -> Response:
    if settings.metrics_token is not None:
        expected = f"Bearer {settings.metrics_token.get_secret_value()}"
        given = request.headers.get("authorization", "")
        if not hmac.compare_digest(given.encode(), expected.encode()):
            return Response(status_code=401, headers={"WWW-Authenticate": "Bearer"})
    state = request.app.state
    body, content_type = metrics.render(
        state.engine,
        queue_depth=await _queue_depth(state.read_sessions),
        accept=request.headers.get("accept", ""),
    )
    return Response(body, media_type=content_type)


async def _queue_depth(sessions: async_sessionmaker[AsyncSession]) -> int | None:
    """One indexed COUNT in a read transaction of its own: the scrape writes nothing."""
    try:
        async with asyncio.timeout(DEPTH_TIMEOUT_SECONDS), sessions() as session:
            return await queue.depth(session)
    except Exception as exc:
        log.warning("metrics: reading the webhook queue depth failed: %s", exc)
        return None
