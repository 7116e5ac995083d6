"""Receivers de-duplicate on ``webhook-id``: a new delivery never carries an old one's, even after
the newest subscription was deleted or the delivery log was pruned."""

from typing import Any

import httpx

from aftercart.config import Settings
from aftercart.events.webhooks import worker
from tests.cli.helpers import cli
from tests.webhooks.helpers import RECEIVER, Receiver, Sessions, sender_for


async def _subscribe(http: httpx.AsyncClient, headers: dict[str, str]) -> int:
    response = await http.post("/v2/webhooks", json={"url": RECEIVER}, headers=headers)
    assert response.status_code == 201, response.text
    subscription_id: int = response.json()["id"]
    return subscription_id


async def _send_test(
    http: httpx.AsyncClient,
    headers: dict[str, str],
    sessions: Sessions,
    receiver: Receiver,
    subscription_id: int,
) -> dict[str, Any]:
    """Sends a test event to the receiver; what the API said about it."""
    response = await http.post(f"/v2/webhooks/{subscription_id}/test", headers=headers)
    assert response.status_code == 202, response.text
    sent: dict[str, Any] = response.json()
    await worker.send(sessions, sent["delivery_id"], sender=sender_for(receiver))
    assert receiver.calls[-1].headers["webhook-id"] == sent["webhook_id"]
    return sent


async def test_a_subscription_made_after_deleting_the_newest_gets_new_ids(
    http: httpx.AsyncClient, client_headers: dict[str, str], sessions: Sessions
) -> None:
    receiver = Receiver()
    first = await _subscribe(http, client_headers)
    before = await _send_test(http, client_headers, sessions, receiver, first)
    deleted = await http.delete(f"/v2/webhooks/{first}", headers=client_headers)
    assert deleted.status_code == 204

    second = await _subscribe(http, client_headers)
    after = await _send_test(http, client_headers, sessions, receiver, second)

    assert second > first
    assert after["delivery_id"] > before["delivery_id"]
    assert after["webhook_id"] != before["webhook_id"]
    gone = await http.get(f"/v2/webhooks/{first}", headers=client_headers)
    assert gone.status_code == 404


async def test_a_delivery_after_pruning_the_log_gets_a_new_webhook_id(
    http: httpx.AsyncClient,
    client_headers: dict[str, str],
    sessions: Sessions,
    settings: Settings,
) -> None:
    receiver = Receiver()
    subscription = await _subscribe(http, client_headers)
    before = await _send_test(http, client_headers, sessions, receiver, subscription)
    pruned = await cli(settings.database_url, "webhooks", "prune", "--older-than-days", "0")
    assert pruned.exit_code == 0, pruned.output
    assert "1 finished deliveries older than 0 days deleted" in pruned.stdout

    after = await _send_test(http, client_headers, sessions, receiver, subscription)

    assert after["delivery_id"] > before["delivery_id"]
    assert [call.headers["webhook-id"] for call in receiver.calls] == [
        before["webhook_id"],
        after["webhook_id"],
    ]
    assert after["webhook_id"] != before["webhook_id"]
