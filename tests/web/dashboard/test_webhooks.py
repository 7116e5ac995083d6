"""The webhooks page: the client's subscriptions, their deliveries and attempts, and redelivery
through the API's own service (CSRF-checked, and only of the client's own deliveries)."""

import re

import httpx
from fastapi import FastAPI
from sqlalchemy import select

from aftercart.auth.service import IssuedCredentials
from aftercart.events.webhooks import service, worker
from aftercart.events.webhooks.rules import message_id
from aftercart.models import WebhookDelivery
from tests import factories
from tests.web.dashboard.helpers import browser_client, log_in
from tests.webhooks.helpers import Receiver, Sessions, attempts, delivery, sender_for, subscribe

OTHER_RECEIVER = "https://hooks.other-retailer.example/in"


async def send_test(sessions: Sessions, subscription_id: int, client_id: str) -> int:
    """A ``webhook.test`` delivery owed to the subscription; its id."""
    async with sessions() as session:
        owed = await service.send_test(
            session, subscription_id=subscription_id, client_id=client_id
        )
        await session.commit()
    return owed.id


async def failed_delivery(sessions: Sessions, client_id: str, url: str) -> int:
    """A delivery tried once and answered 500, then once more and answered 404 (failed)."""
    subscription = await subscribe(sessions, client_id, url=url)
    owed = await send_test(sessions, subscription.id, client_id)
    await worker.send(sessions, owed, sender=sender_for(Receiver(status=500)))
    await worker.send(sessions, owed, sender=sender_for(Receiver(status=404)))
    assert (await delivery(sessions, owed)).status == "failed"
    return owed


def redeliver_path(delivery_id: int | str) -> str:
    return f"/dashboard/webhooks/deliveries/{delivery_id}/redeliver"


async def test_subscriptions_deliveries_and_attempts_are_listed(
    http: httpx.AsyncClient, creds: IssuedCredentials, sessions: Sessions
) -> None:
    owed = await failed_delivery(sessions, creds.client_id, "https://hooks.retailer.example/a")
    await log_in(http, creds)
    page = (await http.get("/dashboard/webhooks")).text
    assert "https://hooks.retailer.example/a" in page
    assert f'data-delivery-id="{owed}"' in page
    assert "webhook.test" in page
    assert '<span class="badge dash-status-failed">Failed</span>' in page
    assert re.findall(r'data-status-code="(\d*)"', page) == ["500", "404"]
    assert re.search(r"<td>\d+ ms</td>", page)
    assert f'action="{redeliver_path(owed)}"' in page


async def test_redeliver_schedules_the_delivery_again_as_the_api_does(
    http: httpx.AsyncClient, creds: IssuedCredentials, sessions: Sessions
) -> None:
    owed = await failed_delivery(sessions, creds.client_id, "https://hooks.retailer.example/a")
    csrf = await log_in(http, creds)
    before = await delivery(sessions, owed)

    answer = await http.post(redeliver_path(owed), data={"csrf": csrf})
    assert (answer.status_code, answer.headers["location"]) == (
        303,
        f"/dashboard/webhooks?redelivered={owed}",
    )
    after = await delivery(sessions, owed)
    assert after.status == "pending"
    assert after.next_attempt_at > before.next_attempt_at
    notice = await http.get(answer.headers["location"])
    assert f"Delivery {owed} is scheduled to be sent again now." in notice.text

    # The worker then makes a new attempt with the same webhook-id, as after the API's redeliver.
    receiver = Receiver(status=200)
    await worker.send(sessions, owed, sender=sender_for(receiver))
    assert [a.status_code for a in await attempts(sessions, owed)] == [500, 404, 200]
    assert (await delivery(sessions, owed)).status == "succeeded"
    [call] = receiver.calls
    assert call.headers["webhook-id"] == message_id(owed)
    page = (await http.get("/dashboard/webhooks")).text
    assert re.findall(r'data-status-code="(\d*)"', page) == ["500", "404", "200"]


async def test_a_redeliver_without_the_csrf_token_changes_nothing(
    app: FastAPI, http: httpx.AsyncClient, creds: IssuedCredentials, sessions: Sessions
) -> None:
    owed = await failed_delivery(sessions, creds.client_id, "https://hooks.retailer.example/a")
    await log_in(http, creds)
    before = await delivery(sessions, owed)
    async with browser_client(app) as other:
        foreign = await log_in(other, creds)  # the same client's other session
    for data in ({}, {"csrf": ""}, {"csrf": "x" * 64}, {"csrf": foreign}):
        refused = await http.post(redeliver_path(owed), data=data)
        assert refused.status_code == 403, data
        assert "Nothing was changed" in refused.text
    after = await delivery(sessions, owed)
    assert (after.status, after.next_attempt_at, after.updated_at) == (
        before.status,
        before.next_attempt_at,
        before.updated_at,
    )


async def test_another_clients_deliveries_are_invisible_and_not_redeliverable(
    http: httpx.AsyncClient, creds: IssuedCredentials, sessions: Sessions
) -> None:
    mine = await failed_delivery(sessions, creds.client_id, "https://hooks.retailer.example/a")
    other = await factories.make_api_client(sessions, "Other retailer")
    theirs = await failed_delivery(sessions, other.client_id, OTHER_RECEIVER)
    csrf = await log_in(http, creds)

    page = (await http.get("/dashboard/webhooks")).text
    assert f'data-delivery-id="{mine}"' in page
    assert f'data-delivery-id="{theirs}"' not in page
    assert OTHER_RECEIVER not in page

    before = await delivery(sessions, theirs)
    for path in (redeliver_path(theirs), redeliver_path(10**9), redeliver_path("abc")):
        answer = await http.post(path, data={"csrf": csrf})
        assert answer.status_code == 404, path
        assert "There is no such delivery" in answer.text
    after = await delivery(sessions, theirs)
    assert (after.status, after.next_attempt_at) == (before.status, before.next_attempt_at)
    async with sessions() as session:
        statuses = (await session.scalars(select(WebhookDelivery.status))).all()
    assert sorted(statuses) == ["failed", "failed"]


async def test_a_logged_out_redeliver_goes_to_the_login_page(
    http: httpx.AsyncClient, creds: IssuedCredentials, sessions: Sessions
) -> None:
    owed = await failed_delivery(sessions, creds.client_id, "https://hooks.retailer.example/a")
    answer = await http.post(redeliver_path(owed), data={"csrf": "x"})
    assert (answer.status_code, answer.headers["location"]) == (303, "/dashboard/login")
    assert (await delivery(sessions, owed)).status == "failed"
