"""The app in the test's own process: its event loop runs on a thread of its own (an anyio
blocking portal), and a synchronous httpx transport hands it each request. No server, no port,
no network."""

import logging
import sqlite3
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path
from typing import Any

import httpx
from anyio.from_thread import BlockingPortal, start_blocking_portal
from fastapi import FastAPI

from aftercart.app import create_app
from aftercart.config import Settings
from aftercart.sample_data import load_sample_data

#: Nothing writes on its own between a test's steps: the webhook worker is off, shoppers do not
#: move by themselves, and the late pickup and delivery timers look once an hour on the wall
#: clock (rating reminders come a day after delivery). Time passes for a test when it advances
#: the sandbox clock, which fires those callbacks.
QUIET: dict[str, Any] = {
    "run_worker": False,
    "shopper_move_seconds": 0,
    "late_pickup_seconds": 3600,
    "late_delivery_seconds": 3600,
    "rating_reminder_seconds": 86_400,
    "log_level": "WARNING",
}
#: Loggers whose set-up ``create_app`` changes, besides the root.
_CONFIGURED_LOGGERS = ("uvicorn", "uvicorn.error", "uvicorn.access")


def settings_for(database: Path, **overrides: Any) -> Settings:
    """The sandbox on a SQLite file, quiet (:data:`QUIET`), with ``overrides`` on top."""
    values: dict[str, Any] = {"sandbox": True, **QUIET, **overrides}
    return Settings(database_url=f"sqlite+aiosqlite:///{database}", **values)


class PortalTransport(httpx.BaseTransport):
    """Runs each request through the ASGI app on the portal's loop and returns the whole
    response, so a response that never ends (an event stream) never returns either."""

    def __init__(self, portal: BlockingPortal, app: FastAPI) -> None:
        self._portal = portal
        self._asgi = httpx.ASGITransport(app=app)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        request.read()  # a streamed body becomes bytes, which the async transport can send
        return self._portal.call(self._send, request)

    async def _send(self, request: httpx.Request) -> httpx.Response:
        response = await self._asgi.handle_async_request(request)
        raw = b"".join([chunk async for chunk in response.aiter_raw()])
        return httpx.Response(
            response.status_code,
            headers=response.headers,
            stream=httpx.ByteStream(raw),
            extensions=response.extensions,
        )


@contextmanager
def _logging_kept() -> Iterator[None]:
    """``create_app`` puts Aftercart's JSON handler on the root logger, as a server should; a
    test suite's logging is its own, so it is put back as it was."""
    root = logging.getLogger()
    saved = [(root, list(root.handlers), root.level, root.propagate)]
    for name in _CONFIGURED_LOGGERS:
        logger = logging.getLogger(name)
        saved.append((logger, list(logger.handlers), logger.level, logger.propagate))
    try:
        yield
    finally:
        for logger, handlers, level, propagate in saved:
            logger.handlers[:] = handlers
            logger.setLevel(level)
            logger.propagate = propagate


@contextmanager
def serving(settings: Settings) -> Iterator[tuple[FastAPI, BlockingPortal]]:
    """The app, migrated and started (its lifespan entered) on a portal's event loop."""
    with _logging_kept():
        app = create_app(settings, migrate=True)
    with (
        start_blocking_portal() as portal,
        portal.wrap_async_context_manager(app.router.lifespan_context(app)),
    ):
        yield app, portal


async def _load_sample_data(app: FastAPI) -> None:
    async with app.state.sessions() as session:
        await load_sample_data(session)
        await session.commit()


def make_template(path: Path) -> Path:
    """A migrated database at ``path`` holding the packaged sample stores and products."""
    with serving(settings_for(path)) as (app, portal):
        portal.call(_load_sample_data, app)
    return path


def copy_database(source: Path, target: Path) -> Path:
    """``source`` copied to ``target`` through SQLite's backup API (a consistent copy)."""
    with closing(sqlite3.connect(source)) as src, closing(sqlite3.connect(target)) as dst:
        src.backup(dst)
    return target
