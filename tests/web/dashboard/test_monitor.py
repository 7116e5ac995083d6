"""The monitor page: the client's last requests (secrets masked) and webhook attempts, nobody
else's, read again by its script; off when the monitor does not record."""

import html
import re

import httpx
from fastapi import FastAPI

from aftercart.app import create_app
from aftercart.auth.service import IssuedCredentials
from aftercart.events.webhooks import worker
from aftercart.web.templating import PAGE_HEADERS
from tests import factories
from tests.conftest import empty_all_tables, suite_settings
from tests.web.dashboard.helpers import log_in
from tests.web.dashboard.test_webhooks import Sessions, send_test
from tests.webhooks.helpers import Receiver, sender_for, subscribe

PAGE = "/dashboard/monitor"


async def test_the_clients_requests_and_attempts_are_shown_masked(
    app: FastAPI,
    http: httpx.AsyncClient,
    creds: IssuedCredentials,
    sessions: Sessions,
    client_headers: dict[str, str],
) -> None:
    other = await factories.make_api_client(sessions, "Other retailer")
    other_headers = factories.bearer(await factories.client_token(http, other))
    await http.post(
        "/v2/fulfillment_sandbox/shoppers", json={"first_name": "Ottoline"}, headers=client_headers
    )
    await http.get(
        "/v2/fulfillment_sandbox/products", params={"query": "theirs-zq7"}, headers=other_headers
    )
    subscription = await subscribe(sessions, creds.client_id, url="https://hooks.example/in")
    owed = await send_test(sessions, subscription.id, creds.client_id)
    await worker.send(sessions, owed, sender=sender_for(Receiver(status=503)))
    await app.state.monitor.flush()
    await log_in(http, creds)

    answer = await http.get(PAGE)
    assert answer.status_code == 200
    assert answer.headers["content-security-policy"] == PAGE_HEADERS["Content-Security-Policy"]
    page = html.unescape(answer.text)
    lines = re.findall(r'class="dash-request-line">([^<]+)</strong>', page)
    assert lines == ["POST /v2/fulfillment_sandbox/shoppers", "POST /v2/oauth/token"]
    assert "Ottoline" in page
    assert '"client_secret": "***"' in page
    assert '"access_token": "***"' in page
    assert "authorization: Bearer ***" in page
    assert creds.client_secret not in page
    assert client_headers["Authorization"].removeprefix("Bearer ") not in page
    assert "theirs-zq7" not in page
    assert f'data-delivery-id="{owed}" data-attempt="1"' in page
    assert re.findall(r'data-status-code="(\d*)"', page) == ["503"]
    assert "https://hooks.example/in" in page
    assert 'aria-current="page">Monitor</a>' in page
    assert re.search(r'<script src="/static/dashboard_monitor\.js\?v=\w+" defer>', page)
    script = await http.get("/static/dashboard_monitor.js")
    assert script.status_code == 200
    assert "DOMParser" in script.text


async def test_an_empty_monitor_says_so(http: httpx.AsyncClient, creds: IssuedCredentials) -> None:
    await log_in(http, creds)
    page = (await http.get(PAGE)).text
    assert "No webhook attempts yet." in page
    # Logging in is not an API request: nothing is recorded for it.
    assert "No requests recorded yet." in page
    assert "The last 200 requests of this client are kept" in page


async def test_the_page_says_when_the_monitor_is_off(
    database_url: str, creds: IssuedCredentials
) -> None:
    app = create_app(suite_settings(database_url, monitor_size=0), migrate=False)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            await log_in(http, creds)
            page = (await http.get(PAGE)).text
    await empty_all_tables(app.state.sessions)
    await app.state.engine.dispose()
    assert "The request monitor is off" in page
