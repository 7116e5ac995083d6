"""Browser fixtures: Debian's chromium driven by Playwright's async API (the suite runs every test
in an asyncio loop, where Playwright's sync API refuses to work), and the real app on a socket.

Browsers are never downloaded: the tests use the ``chromium`` on the PATH, and skip with the
install command when there is none (a failure where ``AFTERCART_TEST_FORBID_SKIPS`` is set).
"""

import shutil
from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI
from playwright.async_api import Browser, async_playwright

from tests.stream.helpers import served

MISSING_CHROMIUM = "chromium not installed: apt-get install -y chromium"


@pytest.fixture(scope="session")
def chromium_path() -> str:
    path = shutil.which("chromium")
    if path is None:
        pytest.skip(MISSING_CHROMIUM)
    return path


@pytest.fixture
async def browser(chromium_path: str) -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path=chromium_path, headless=True)
        try:
            yield launched
        finally:
            await launched.close()


@pytest.fixture
async def live_url(app: FastAPI) -> AsyncIterator[str]:
    """The test's app served by uvicorn on a free 127.0.0.1 port, in this event loop."""
    async with served(app) as url:
        yield url


@pytest.fixture
async def live_http(live_url: str) -> AsyncIterator[httpx.AsyncClient]:
    """A client of :func:`live_url`: the links in its answers point at the live server."""
    # Generous: the pages are what these tests judge, not the server's latency
    # (bench.page_latency measures that). The 10 s stalls once seen here were full garbage
    # collections of a heap that kept every test's app (tests/test_app_memory.py).
    async with httpx.AsyncClient(base_url=live_url, timeout=30) as client:
        yield client
