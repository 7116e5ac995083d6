"""``/v2/webhooks``: subscriptions, test events, the delivery log and redelivery."""

from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from aftercart.auth.service import IssuedCredentials
from aftercart.events import names
from aftercart.events.webhooks import worker
from tests import factories
from tests.webhooks.helpers import RECEIVER, TOKEN_URL, Receiver, Sessions, deliveries, sender_for

OAUTH = {"token_url": TOKEN_URL, "client_id": "aftercart", "client_secret": "s3cret"}


async def _create(http: httpx.AsyncClient, headers: dict[str, str], **body: Any) -> dict[str, Any]:
    response = await http.post("/v2/webhooks", json={"url": RECEIVER, **body}, headers=headers)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


async def test_the_signing_secret_is_shown_once(
    http: httpx.AsyncClient, client_headers: dict[str, str]
) -> None:
    created = await _create(
        http, client_headers, event_names=[names.BRAND_NEW], oauth={**OAUTH, "scope": "hooks"}
    )
    assert created["signing_secret"].startswith("whsec_")
    assert created["event_names"] == [names.BRAND_NEW]
    assert created["oauth"] == {"token_url": TOKEN_URL, "client_id": "aftercart", "scope": "hooks"}
    assert (created["active"], created["disabled_reason"]) == (True, None)

    read = (await http.get(f"/v2/webhooks/{created['id']}", headers=client_headers)).json()
    listed = (await http.get("/v2/webhooks", headers=client_headers)).json()["webhooks"]
    assert "signing_secret" not in read
    assert listed == [read]
    assert "client_secret" not in str(read)


async def test_unknown_event_names_are_refused_by_index(
    http: httpx.AsyncClient, client_headers: dict[str, str]
) -> None:
    body = {"url": RECEIVER, "event_names": [names.PICKING, "fulfillment.nope"]}
    response = await http.post("/v2/webhooks", json=body, headers=client_headers)
    assert response.status_code == 400
    assert response.json() == {
        "error": {"message": "is not included in the list", "code": 1001},
        "meta": {"key": "event_names[1]"},
    }
    body["event_names"] = ["a", "b"]
    response = await http.post("/v2/webhooks", json=body, headers=client_headers)
    assert response.json()["error"]["code"] == 9999
    keys = [e["meta"]["key"] for e in response.json()["error"]["errors"]]
    assert keys == ["event_names[0]", "event_names[1]"]
    body = {"url": "ftp://x", "event_names": ["a"]}
    response = await http.post("/v2/webhooks", json=body, headers=client_headers)
    keys = [e["meta"]["key"] for e in response.json()["error"]["errors"]]
    assert keys == ["event_names[0]", "url"]


@pytest.mark.parametrize("url", ["ftp://hooks.example/x", "hooks.example/x", "https://"])
async def test_only_http_urls(
    http: httpx.AsyncClient, client_headers: dict[str, str], url: str
) -> None:
    response = await http.post("/v2/webhooks", json={"url": url}, headers=client_headers)
    assert response.status_code == 400
    assert response.json()["meta"] == {"key": "url"}


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:9000/hook",
        "http://localhost/hook",
        "https://10.0.0.8/hook",
        "http://192.168.1.20/hook",
        "http://[::1]:8080/hook",
        "http://169.254.169.254/latest/meta-data",
    ],
)
async def test_private_addresses_are_refused_outside_the_sandbox(
    app: FastAPI, http: httpx.AsyncClient, client_headers: dict[str, str], url: str
) -> None:
    app.state.settings = app.state.settings.model_copy(update={"webhooks_allow_private": False})
    response = await http.post("/v2/webhooks", json={"url": url}, headers=client_headers)
    assert response.status_code == 400
    assert response.json() == {
        "error": {
            "message": "must not point to a private, loopback or link-local address",
            "code": 1001,
        },
        "meta": {"key": "url"},
    }


async def test_public_addresses_pass_and_the_token_url_is_checked_too(
    app: FastAPI, http: httpx.AsyncClient, client_headers: dict[str, str]
) -> None:
    app.state.settings = app.state.settings.model_copy(update={"webhooks_allow_private": False})
    public = "https://93.184.216.34/hook"
    await _create(http, client_headers, url=public)
    body = {"url": public, "oauth": {**OAUTH, "token_url": "http://127.0.0.1/token"}}
    response = await http.post("/v2/webhooks", json=body, headers=client_headers)
    assert response.status_code == 400
    assert response.json()["meta"] == {"key": "oauth.token_url"}


async def test_the_sandbox_allows_local_receivers(
    http: httpx.AsyncClient, client_headers: dict[str, str]
) -> None:
    await _create(http, client_headers, url="http://127.0.0.1:9000/hook")


async def test_a_client_sees_and_changes_only_its_own(
    http: httpx.AsyncClient,
    client_headers: dict[str, str],
    sessions: Sessions,
) -> None:
    created = await _create(http, client_headers)
    other = await factories.make_api_client(sessions, name="Other retailer")
    other_headers = factories.bearer(await factories.client_token(http, other))
    path = f"/v2/webhooks/{created['id']}"

    assert (await http.get("/v2/webhooks", headers=other_headers)).json() == {"webhooks": []}
    for method in ("GET", "DELETE"):
        response = await http.request(method, path, headers=other_headers)
        assert response.status_code == 404
        assert response.json()["error"] == {"message": "Resource not found", "code": 4000}
    response = await http.patch(path, json={"active": False}, headers=other_headers)
    assert response.status_code == 404
    assert (await http.post(f"{path}/test", headers=other_headers)).status_code == 404
    assert (await http.get(f"{path}/deliveries", headers=other_headers)).status_code == 404


async def test_patch_put_and_delete(
    http: httpx.AsyncClient, client_headers: dict[str, str]
) -> None:
    created = await _create(http, client_headers, oauth=OAUTH)
    path = f"/v2/webhooks/{created['id']}"

    patched = await http.patch(
        path, json={"event_names": [names.CHECKOUT], "active": False}, headers=client_headers
    )
    assert patched.status_code == 200
    assert patched.json()["event_names"] == [names.CHECKOUT]
    assert patched.json()["oauth"]["client_id"] == "aftercart", "untouched fields stay"
    assert patched.json()["active"] is False

    put = await http.put(path, json={"url": "https://new.example/hook"}, headers=client_headers)
    assert put.status_code == 200
    assert (put.json()["url"], put.json()["event_names"], put.json()["oauth"]) == (
        "https://new.example/hook",
        None,
        None,
    )
    assert put.json()["active"] is True

    blank = await http.patch(path, json={"event_names": []}, headers=client_headers)
    assert blank.status_code == 400
    assert blank.json()["meta"] == {"key": "event_names"}

    assert (await http.delete(path, headers=client_headers)).status_code == 204
    assert (await http.get(path, headers=client_headers)).status_code == 404


async def test_a_test_event_goes_to_that_subscription_only(
    http: httpx.AsyncClient, client_headers: dict[str, str], sessions: Sessions
) -> None:
    created = await _create(http, client_headers, event_names=[names.DELIVERED])
    await _create(http, client_headers, url="https://other.example/hook")

    response = await http.post(f"/v2/webhooks/{created['id']}/test", headers=client_headers)

    assert response.status_code == 202
    sent = response.json()
    assert sent["webhook_id"] == f"msg_{sent['delivery_id']}"
    [owed] = await deliveries(sessions)
    assert (owed.id, owed.subscription_id, owed.event_id) == (
        sent["delivery_id"],
        created["id"],
        sent["event_id"],
    )


async def test_the_delivery_log_and_redelivery(
    http: httpx.AsyncClient, client_headers: dict[str, str], sessions: Sessions
) -> None:
    created = await _create(http, client_headers)
    sent = (await http.post(f"/v2/webhooks/{created['id']}/test", headers=client_headers)).json()
    await worker.send(sessions, sent["delivery_id"], sender=sender_for(Receiver(status=500)))

    log = await http.get(f"/v2/webhooks/{created['id']}/deliveries", headers=client_headers)
    [entry] = log.json()["deliveries"]
    assert entry["webhook_id"] == sent["webhook_id"]
    assert (entry["event_name"], entry["status"], entry["attempt_count"]) == (
        "webhook.test",
        "pending",
        1,
    )
    assert entry["last_error"] == "HTTP 500"
    assert entry["next_attempt_at"] is not None

    detail = await http.get(f"/v2/webhooks/deliveries/{entry['id']}", headers=client_headers)
    body = detail.json()
    assert body["payload"]["event_id"] == sent["event_id"]
    assert body["payload"]["event_metadata"]["subscription_id"] == created["id"]
    [attempt] = body["attempts"]
    assert (attempt["status_code"], attempt["response_excerpt"]) == (500, "answered 500")
    assert {"started_at", "latency_ms", "error"} <= set(attempt)

    await worker.send(sessions, entry["id"], sender=sender_for(Receiver(status=404)))
    failed = await http.get(
        f"/v2/webhooks/{created['id']}/deliveries?status=failed", headers=client_headers
    )
    assert [d["id"] for d in failed.json()["deliveries"]] == [entry["id"]]

    again = await http.post(
        f"/v2/webhooks/deliveries/{entry['id']}/redeliver", headers=client_headers
    )
    assert again.status_code == 202
    assert (again.json()["status"], again.json()["webhook_id"]) == ("pending", sent["webhook_id"])


async def test_a_disabled_subscription_gets_no_test(
    http: httpx.AsyncClient, client_headers: dict[str, str]
) -> None:
    created = await _create(http, client_headers, active=False)
    response = await http.post(f"/v2/webhooks/{created['id']}/test", headers=client_headers)
    assert response.status_code == 409


async def test_a_token_is_required(http: httpx.AsyncClient, creds: IssuedCredentials) -> None:
    response = await http.get("/v2/webhooks")
    assert response.status_code == 401
    rating_only = await factories.client_token(http, creds, scope="Connect::Orders::RatingService")
    response = await http.get("/v2/webhooks", headers=factories.bearer(rating_only))
    assert response.status_code == 403
