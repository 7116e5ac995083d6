"""An application that is dropped is freed: nothing module-level keeps it (or its routes,
engine and settings) alive. One per process would not notice; one per test (this suite, or a
retailer's suite using the ``aftercart`` fixture) grew the heap until each full garbage
collection paused the event loop for seconds, and timed tests failed."""

import gc
import weakref

import httpx
from fastapi import FastAPI

from aftercart.app import create_app
from aftercart.config import Settings
from tests.conftest import suite_settings


def _made(settings: Settings) -> "weakref.ref[FastAPI]":
    return weakref.ref(create_app(settings, migrate=False))


def test_an_application_never_started_is_freed(settings: Settings) -> None:
    made = [_made(settings) for _ in range(3)]
    gc.collect()
    assert [ref() for ref in made] == [None, None, None]


async def test_an_application_that_ran_and_served_is_freed(database_url: str) -> None:
    async def run_once() -> "weakref.ref[FastAPI]":
        application = create_app(suite_settings(database_url), migrate=False)
        async with application.router.lifespan_context(application):
            transport = httpx.ASGITransport(app=application)
            async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
                for path in ("/healthz", "/docs", "/redoc", "/openapi.json"):
                    assert (await client.get(path)).status_code == 200, path
        await application.state.engine.dispose()
        return weakref.ref(application)

    made = [await run_once() for _ in range(2)]
    gc.collect()
    assert [ref() for ref in made] == [None, None]
