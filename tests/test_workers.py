"""``aftercart serve --workers 2``: two processes on one port behave as one service."""

from pathlib import Path

import httpx
import pytest

from aftercart.events import names
from tests import factories
from tests.conftest import POSTGRES_URL
from tests.stream.helpers import Reader
from tests.stream.processes import arrange_order, scratch_database, serving, until_healthy

pytestmark = pytest.mark.slow

MESSAGES = 12
BUDGET_SECONDS = 2.0


def _poll_settings() -> dict[str, str]:
    """On PostgreSQL the table check is slowed to a minute, so that only LISTEN/NOTIFY meets
    the budget; on SQLite the check is the way between workers, at the 0.25 s `serve` sets."""
    return {"stream_poll_seconds": "60"} if POSTGRES_URL else {}


async def test_events_through_every_worker_reach_a_stream_on_any(tmp_path: Path) -> None:
    async with scratch_database(tmp_path, POSTGRES_URL) as database_url:
        creds, user_id, order_id = await arrange_order(database_url)
        with (
            (tmp_path / "serve.log").open("wb") as log,
            serving(database_url, log, "--workers", "2", **_poll_settings()) as url,
        ):
            async with httpx.AsyncClient(base_url=url, timeout=10) as client:
                await until_healthy(client)
                headers = factories.bearer(await factories.user_token(client, creds, user_id))
                path = f"/v2/post_checkout/orders/{order_id}/events"
                async with client.stream("GET", path, headers=headers) as response:
                    assert response.status_code == 200
                    stream = Reader(response)
                    await stream.opened()
                    for n in range(MESSAGES):
                        # A new connection each time, so that the posts spread over the workers.
                        async with httpx.AsyncClient(base_url=url, timeout=10) as fresh:
                            posted = await fresh.post(
                                f"/v2/post_checkout/chat/{order_id}/messages",
                                json={"body": f"message {n}"},
                                headers=headers,
                            )
                        assert posted.status_code == 200, posted.text
                    bodies = []
                    for _ in range(MESSAGES):
                        message = await stream.event(timeout=BUDGET_SECONDS)
                        assert message.event == names.CHAT_MESSAGE
                        bodies.append(message.json()["event_metadata"]["message"]["body"])
    assert bodies == [f"message {n}" for n in range(MESSAGES)]
