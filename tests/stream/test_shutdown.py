"""Stopping a server ends its open streams cleanly, so clients resume elsewhere at once."""

import signal
from pathlib import Path

import httpx
import pytest

from tests import factories
from tests.stream.helpers import Reader
from tests.stream.processes import arrange_order, start, stop, until_healthy

pytestmark = pytest.mark.slow


async def test_sigterm_ends_open_streams_with_a_complete_response(tmp_path: Path) -> None:
    database_url = f"sqlite+aiosqlite:///{tmp_path / 'aftercart.db'}"
    creds, user_id, order_id = await arrange_order(database_url)
    log_path = tmp_path / "server.log"
    with log_path.open("wb") as log:
        process, url = start(database_url, log, log_level="info")
        try:
            async with httpx.AsyncClient(base_url=url, timeout=10) as http:
                await until_healthy(http)
                headers = factories.bearer(await factories.user_token(http, creds, user_id))
                path = f"/v2/post_checkout/orders/{order_id}/events"
                async with http.stream("GET", path, headers=headers) as response:
                    stream = Reader(response)
                    await stream.opened()
                    process.send_signal(signal.SIGTERM)
                    # An incomplete chunked body would raise httpx.RemoteProtocolError here.
                    assert await stream.ended(timeout=10)
            assert process.wait(timeout=10) in (0, -signal.SIGTERM)  # uvicorn re-raises it
        finally:
            stop(process)
    assert "without completing response" not in log_path.read_text()
