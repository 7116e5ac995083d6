"""``GET /metrics`` for a process without the API: ``aftercart worker --metrics-port``.

The app's own route (token check, queue depth read at scrape) in an app of its own, which uvicorn
serves in the process's event loop on a socket bound beforehand, so that a port in use fails
before anything starts.
"""

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator

import uvicorn
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncEngine

from aftercart.config import Settings
from aftercart.db.engine import read_session_factory
from aftercart.observability.router import router


def create_app(settings: Settings, engine: AsyncEngine) -> FastAPI:
    """``/metrics`` and nothing else, over the state the route reads."""
    app = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)
    app.state.settings = settings
    app.state.engine = engine
    app.state.read_sessions = read_session_factory(engine)
    app.include_router(router)
    return app


@contextlib.asynccontextmanager
async def serving(
    sock: socket.socket | None, settings: Settings, engine: AsyncEngine
) -> AsyncIterator[None]:
    """Serves ``/metrics`` on ``sock`` while the block runs; nothing without a socket."""
    if sock is None:
        yield
        return
    config = uvicorn.Config(
        create_app(settings, engine),
        lifespan="off",
        log_config=None,  # the process has set its logging up already
        log_level=settings.log_level.lower(),
        access_log=False,
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve(sockets=[sock]), name="metrics-server")
    try:
        yield
    finally:
        server.should_exit = True
        await task
