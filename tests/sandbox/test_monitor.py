"""The request monitor through the API: what is recorded of each request and answer, what is
masked, how many are kept, who sees what, webhook attempts, event streams, and that recording
never touches the answer."""

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select

from aftercart.app import create_app
from aftercart.auth.service import IssuedCredentials
from aftercart.events.webhooks import service as webhooks
from aftercart.events.webhooks import worker
from aftercart.models import MonitoredRequest
from aftercart.sandbox import monitor
from tests import factories
from tests.conftest import empty_all_tables, suite_settings
from tests.sandbox.helpers import SANDBOX, Sessions, assert_error, create_shopper
from tests.stream.helpers import arrange as arrange_stream
from tests.stream.helpers import watching
from tests.webhooks.helpers import Receiver, sender_for, subscribe

MONITOR = f"{SANDBOX}/monitor"
Headers = dict[str, str]


async def recorded(
    app: FastAPI, http: httpx.AsyncClient, headers: Headers, **params: Any
) -> list[dict[str, Any]]:
    """The caller's monitored requests once everything submitted so far is written."""
    await app.state.monitor.flush()
    response = await http.get(f"{MONITOR}/requests", headers=headers, params=params)
    assert response.status_code == 200, response.text
    requests: list[dict[str, Any]] = response.json()["requests"]
    return requests


async def rows(sessions: Sessions) -> int:
    async with sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(MonitoredRequest)) or 0)


@contextlib.asynccontextmanager
async def app_with(
    database_url: str, **values: Any
) -> AsyncIterator[tuple[FastAPI, httpx.AsyncClient]]:
    """An app of its own with these settings, and a client of it; its tables emptied after."""
    application = create_app(suite_settings(database_url, **values), migrate=False)
    async with application.router.lifespan_context(application):
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            yield application, http
    await empty_all_tables(application.state.sessions)
    await application.state.engine.dispose()


async def test_a_request_and_its_answer_are_recorded(
    app: FastAPI, http: httpx.AsyncClient, client_headers: Headers
) -> None:
    created = await http.post(
        f"{SANDBOX}/shoppers",
        json={"first_name": "Marisol"},
        headers={**client_headers, "X-Request-Id": "monitor-test-1"},
    )
    assert created.status_code == 200
    listed = await http.get(f"{SANDBOX}/shoppers", params={"limit": 5}, headers=client_headers)
    assert listed.status_code == 200

    newest, first, token = await recorded(app, http, client_headers)
    assert (token["method"], token["path"]) == ("POST", "/v2/oauth/token")
    assert (newest["method"], newest["path"], newest["query"], newest["status"]) == (
        "GET",
        f"{SANDBOX}/shoppers",
        "limit=5",
        200,
    )
    assert "Marisol" in newest["response_body"]
    assert (first["method"], first["path"], first["query"], first["status"]) == (
        "POST",
        f"{SANDBOX}/shoppers",
        None,
        200,
    )
    assert first["request_id"] == "monitor-test-1"
    assert first["request_body"] == '{"first_name": "Marisol"}'
    assert first["response_body"] == created.text.replace(",", ", ").replace(":", ": ")
    assert 0 < first["duration_ms"] < 10_000
    assert ["authorization", "Bearer ***"] in first["request_headers"]
    assert ["content-type", "application/json"] in first["response_headers"]
    assert first["id"] < newest["id"]
    assert first["streamed"] is False
    assert first["request_body_truncated"] is False


async def test_refusals_are_recorded_and_the_monitors_own_reads_are_not(
    app: FastAPI, http: httpx.AsyncClient, client_headers: Headers
) -> None:
    refused = await http.post(f"{SANDBOX}/batches", json={"orders": []}, headers=client_headers)
    assert refused.status_code == 400
    await recorded(app, http, client_headers)
    await http.get(f"{MONITOR}/webhook_attempts", headers=client_headers)

    entry, token = await recorded(app, http, client_headers)
    assert (entry["path"], entry["status"]) == (f"{SANDBOX}/batches", 400)
    assert token["path"] == "/v2/oauth/token"
    assert '"code": 9999' in entry["response_body"] or '"code": 1001' in entry["response_body"]


async def test_secrets_are_masked_in_what_the_api_shows(
    app: FastAPI, http: httpx.AsyncClient, creds: IssuedCredentials
) -> None:
    as_json = await http.post(
        "/v2/oauth/token",
        json={
            "client_id": creds.client_id,
            "client_secret": creds.client_secret,
            "grant_type": "client_credentials",
        },
    )
    assert as_json.status_code == 200
    token = as_json.json()["access_token"]
    as_form = await http.post(
        "/v2/oauth/token",
        data={
            "client_id": creds.client_id,
            "client_secret": creds.client_secret,
            "grant_type": "client_credentials",
        },
    )
    assert as_form.status_code == 200
    headers = factories.bearer(token)
    searched = await http.get(
        f"{SANDBOX}/products", params={"query": "milk", "access_token": token}, headers=headers
    )
    assert searched.status_code == 200

    searching, by_form, by_json = await recorded(app, http, headers)
    assert searching["query"] == "query=milk&access_token=***"
    assert ["authorization", "Bearer ***"] in searching["request_headers"]
    assert by_form["request_body"] == (
        f"client_id={creds.client_id}&client_secret=***&grant_type=client_credentials"
    )
    assert by_json["request_body"] == (
        f'{{"client_id": "{creds.client_id}", "client_secret": "***", '
        '"grant_type": "client_credentials"}'
    )
    for answer in (by_form, by_json):
        assert '"access_token": "***"' in answer["response_body"]
    listed = await http.get(f"{MONITOR}/requests", headers=headers)
    secrets = [creds.client_secret, token, as_form.json()["access_token"]]
    assert [secret for secret in secrets if secret in listed.text] == []


async def test_a_token_request_is_recorded_only_for_a_client_that_exists(
    app: FastAPI, http: httpx.AsyncClient, sessions: Sessions, creds: IssuedCredentials
) -> None:
    made_up = {"client_id": "nobody-zq7", "client_secret": "x", "grant_type": "client_credentials"}
    assert (await http.post("/v2/oauth/token", json=made_up)).status_code == 401
    wrong = {**made_up, "client_id": creds.client_id}
    assert (await http.post("/v2/oauth/token", json=wrong)).status_code == 401
    await app.state.monitor.flush()
    async with sessions() as session:
        owners = (await session.scalars(select(MonitoredRequest.client_id))).all()
    assert owners == [creds.client_id]


async def test_only_the_last_n_requests_of_each_client_are_kept(
    database_url: str, creds: IssuedCredentials
) -> None:
    async with app_with(database_url, monitor_size=3) as (app, http):
        headers = factories.bearer(await factories.client_token(http, creds))
        for n in range(5):
            await http.get(f"{SANDBOX}/products", params={"query": f"q{n}"}, headers=headers)
        found = await recorded(app, http, headers)
        assert [entry["query"] for entry in found] == ["query=q4", "query=q3", "query=q2"]
        assert await rows(app.state.sessions) == 3


async def test_with_size_0_nothing_is_recorded(database_url: str, creds: IssuedCredentials) -> None:
    async with app_with(database_url, monitor_size=0) as (app, http):
        headers = factories.bearer(await factories.client_token(http, creds))
        await http.get(f"{SANDBOX}/products", headers=headers)
        assert not hasattr(app.state, "monitor")
        listed = await http.get(f"{MONITOR}/requests", headers=headers)
        assert listed.json() == {"requests": [], "next_cursor": None}
        assert await rows(app.state.sessions) == 0


async def test_a_client_sees_only_its_own_requests(
    app: FastAPI, http: httpx.AsyncClient, sessions: Sessions, client_headers: Headers
) -> None:
    other = factories.bearer(
        await factories.client_token(http, await factories.make_api_client(sessions))
    )
    await http.get(f"{SANDBOX}/products", params={"query": "mine"}, headers=client_headers)
    await http.get(f"{SANDBOX}/products", params={"query": "theirs"}, headers=other)

    mine = await recorded(app, http, client_headers)
    theirs = await recorded(app, http, other)
    assert "query=mine" in [entry["query"] for entry in mine]
    assert "query=theirs" not in [entry["query"] for entry in mine]
    assert [entry["query"] for entry in theirs if entry["path"].endswith("/products")] == [
        "query=theirs"
    ]


async def test_pages_follow_the_cursor(
    app: FastAPI, http: httpx.AsyncClient, client_headers: Headers
) -> None:
    for n in range(5):
        await http.get(f"{SANDBOX}/products", params={"query": f"q{n}"}, headers=client_headers)
    await app.state.monitor.flush()
    seen: list[str] = []
    cursor = None
    while True:
        params = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = (await http.get(f"{MONITOR}/requests", params=params, headers=client_headers)).json()
        assert len(page["requests"]) <= 2
        seen += [entry["query"] for entry in page["requests"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == [f"query=q{n}" for n in reversed(range(5))] + [None]
    bad = await http.get(f"{MONITOR}/requests", params={"cursor": "x"}, headers=client_headers)
    assert_error(bad, 400, "is not a valid cursor", 1001, key="cursor")


async def test_webhook_attempts_of_the_clients_subscriptions_are_listed(
    http: httpx.AsyncClient, sessions: Sessions, creds: IssuedCredentials, client_headers: Headers
) -> None:
    other = await factories.make_api_client(sessions)
    mine = await subscribe(sessions, creds.client_id, url="https://hooks.example/in?token=s3cr3t")
    theirs = await subscribe(sessions, other.client_id, url="https://hooks.other.example/in")
    for subscription, client_id in ((mine, creds.client_id), (theirs, other.client_id)):
        async with sessions() as session:
            owed = await webhooks.send_test(
                session, subscription_id=subscription.id, client_id=client_id
            )
            await session.commit()
        for status in (500, 200):
            await worker.send(sessions, owed.id, sender=sender_for(Receiver(status=status)))

    listed = await http.get(f"{MONITOR}/webhook_attempts", headers=client_headers)
    assert listed.status_code == 200
    second, first = listed.json()["webhook_attempts"]
    assert listed.json()["next_cursor"] is None
    for attempt in (first, second):
        assert attempt["url"] == "https://hooks.example/in?token=***"
        assert attempt["event_name"] == "webhook.test"
        assert attempt["subscription_id"] == mine.id
        assert attempt["webhook_id"] == f"msg_{attempt['delivery_id']}"
        assert attempt["duration_ms"] is not None
    assert (first["attempt"], first["status_code"]) == (1, 500)
    assert (second["attempt"], second["status_code"]) == (2, 200)
    assert second["error"] is None
    assert "s3cr3t" not in listed.text
    assert "hooks.other.example" not in listed.text

    paged = await http.get(
        f"{MONITOR}/webhook_attempts", params={"limit": 1}, headers=client_headers
    )
    assert [a["attempt"] for a in paged.json()["webhook_attempts"]] == [2]
    rest = await http.get(
        f"{MONITOR}/webhook_attempts",
        params={"cursor": paged.json()["next_cursor"]},
        headers=client_headers,
    )
    assert [a["attempt"] for a in rest.json()["webhook_attempts"]] == [1]


async def test_an_event_stream_is_recorded_when_it_opens_without_its_body(
    app: FastAPI,
    http: httpx.AsyncClient,
    sessions: Sessions,
    creds: IssuedCredentials,
    client_headers: Headers,
) -> None:
    """The customer's stream, under the client whose user token opened it."""
    shop = await arrange_stream(sessions, http, creds)
    async with watching(app, shop):
        # The stream is still open: its entry is there already.
        entries = await recorded(app, http, client_headers)
    [stream] = [entry for entry in entries if entry["path"] == shop.path]
    assert (stream["status"], stream["streamed"], stream["response_body"]) == (200, True, None)
    assert ["content-type", "text/event-stream; charset=utf-8"] in stream["response_headers"]


async def test_the_answer_does_not_wait_for_the_write(
    app: FastAPI,
    http: httpx.AsyncClient,
    client_headers: Headers,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    release = asyncio.Event()
    store = monitor.store

    async def slow_store(*args: Any, **kwargs: Any) -> set[str]:
        await release.wait()
        return await store(*args, **kwargs)

    monkeypatch.setattr(monitor, "store", slow_store)
    async with asyncio.timeout(5):
        for n in range(3):
            answer = await http.get(f"{SANDBOX}/products", headers=client_headers)
            assert answer.status_code == 200, n
    release.set()
    found = await recorded(app, http, client_headers)
    assert [entry["path"] for entry in found] == [f"{SANDBOX}/products"] * 3 + ["/v2/oauth/token"]


async def test_a_recording_failure_does_not_touch_the_answer(
    app: FastAPI,
    http: httpx.AsyncClient,
    client_headers: Headers,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    async def broken_store(*_args: Any, **_kwargs: Any) -> set[str]:
        raise RuntimeError("the database is away")

    def broken_submit(_capture: Any) -> None:
        raise RuntimeError("the queue is away")

    await app.state.monitor.flush()  # the token request, written before the failure
    with monkeypatch.context() as patched:
        patched.setattr(monitor, "store", broken_store)
        first = await http.post(f"{SANDBOX}/shoppers", json={}, headers=client_headers)
        assert first.status_code == 200, first.text
        await app.state.monitor.flush()
    with monkeypatch.context() as patched:
        patched.setattr(app.state.monitor, "submit", broken_submit)
        second = await create_shopper(http, client_headers)
        assert second > first.json()["id"]
    # Recording carries on once the failure is gone.
    await http.get(f"{SANDBOX}/products", headers=client_headers)
    entry, token = await recorded(app, http, client_headers)
    assert (entry["path"], token["path"]) == (f"{SANDBOX}/products", "/v2/oauth/token")


async def test_an_unauthenticated_request_is_not_recorded(
    app: FastAPI, http: httpx.AsyncClient, sessions: Sessions
) -> None:
    assert (await http.get(f"{SANDBOX}/products")).status_code == 401
    assert (await http.get(f"{SANDBOX}/products", headers=factories.bearer("x" * 43))).is_error
    await app.state.monitor.flush()
    assert await rows(sessions) == 0
