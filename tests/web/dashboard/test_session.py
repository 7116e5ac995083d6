"""Logging in and out of the dashboard: the cookie, the live-token check, CSRF on every form."""

from datetime import timedelta

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from aftercart.auth.secrets import digest
from aftercart.auth.service import IssuedCredentials
from aftercart.db.types import utcnow
from aftercart.models import AccessToken
from aftercart.web.templating import PAGE_HEADERS
from tests import factories
from tests.web.dashboard.helpers import LOGIN, browser_client, csrf_of, log_in

Sessions = async_sessionmaker[AsyncSession]
PAGES = ("/dashboard/ratings", "/dashboard/webhooks", "/dashboard/orders", "/dashboard/ratings.csv")


async def _tokens(sessions: Sessions) -> list[AccessToken]:
    async with sessions() as session:
        return list((await session.scalars(select(AccessToken))).all())


def _session_token(http: httpx.AsyncClient) -> str:
    token = http.cookies.get("aftercart_dashboard")
    assert token
    return token


async def test_logging_in_keeps_a_live_api_token_in_a_strict_cookie(
    http: httpx.AsyncClient, creds: IssuedCredentials, sessions: Sessions
) -> None:
    form = await http.get(LOGIN)
    assert form.headers["content-security-policy"] == PAGE_HEADERS["Content-Security-Policy"]
    assert '<label for="client_secret">' in form.text
    answer = await http.post(
        LOGIN,
        data={
            "csrf": csrf_of(form.text),
            "client_id": creds.client_id,
            "client_secret": creds.client_secret,
        },
    )
    assert answer.status_code == 303
    assert answer.headers["location"] == "/dashboard/ratings"
    [cookie] = [c for c in answer.headers.get_list("set-cookie") if "aftercart_dashboard=" in c]
    flags = {part.strip().lower() for part in cookie.split(";")[1:]}
    assert {"httponly", "samesite=strict", "path=/dashboard"} <= flags
    assert "secure" not in flags  # plain http: a Secure cookie would never come back

    # An ordinary client-credentials token, with the scopes the API's token endpoint grants.
    [row] = await _tokens(sessions)
    token = _session_token(http)
    assert row.token_hash == digest(token)
    assert (row.client_id, row.grant_type) == (creds.client_id, "client_credentials")
    assert set(row.scope.split()) == {"connect:fulfillment", "Connect::Orders::RatingService"}
    assert (row.expires_at - row.created_at) == timedelta(days=1)
    api = await http.get("/v2/webhooks", headers=factories.bearer(token))
    assert api.status_code == 200

    for path in PAGES:
        assert (await http.get(path)).status_code == 200, path
    assert (await http.get("/dashboard")).headers["location"] == "/dashboard/ratings"


async def test_the_cookie_is_secure_over_https(app: FastAPI, creds: IssuedCredentials) -> None:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="https://testserver") as https:
        form = await https.get(LOGIN)
        assert "; secure" in form.headers["set-cookie"].lower()
        answer = await https.post(
            LOGIN,
            data={
                "csrf": csrf_of(form.text),
                "client_id": creds.client_id,
                "client_secret": creds.client_secret,
            },
        )
        assert answer.status_code == 303
        [cookie] = [c for c in answer.headers.get_list("set-cookie") if "aftercart_dashboard=" in c]
        assert "; secure" in cookie.lower()
        assert (await https.get("/dashboard/ratings")).status_code == 200


async def test_a_wrong_login_is_a_401_page_with_the_form_again(
    http: httpx.AsyncClient, creds: IssuedCredentials, sessions: Sessions
) -> None:
    for client_id, secret in (
        (creds.client_id, "wrong"),
        ("nobody", creds.client_secret),
        ("", ""),
    ):
        form = await http.get(LOGIN)
        answer = await http.post(
            LOGIN,
            data={"csrf": csrf_of(form.text), "client_id": client_id, "client_secret": secret},
        )
        assert answer.status_code == 401
        assert answer.headers["content-type"].startswith("text/html")
        assert "do not match a Connect client" in answer.text
        assert 'role="alert"' in answer.text
        assert csrf_of(answer.text)  # a fresh form to try again
    assert await _tokens(sessions) == []
    assert (await http.get("/dashboard/ratings")).headers["location"] == LOGIN


async def test_a_login_without_its_csrf_pair_is_refused(
    app: FastAPI, http: httpx.AsyncClient, creds: IssuedCredentials, sessions: Sessions
) -> None:
    good = {"client_id": creds.client_id, "client_secret": creds.client_secret}
    # No login cookie, no token: a form posted from another site.
    assert (await http.post(LOGIN, data=good)).status_code == 403
    # Another browser's token does not go with this browser's cookie.
    async with browser_client(app) as other:
        foreign = csrf_of((await other.get(LOGIN)).text)
    await http.get(LOGIN)
    assert (await http.post(LOGIN, data={**good, "csrf": foreign})).status_code == 403
    assert (await http.post(LOGIN, data={**good, "csrf": "0" * 64})).status_code == 403
    assert await _tokens(sessions) == []


async def test_a_revoked_token_logs_the_user_out(
    http: httpx.AsyncClient, creds: IssuedCredentials
) -> None:
    await log_in(http, creds)
    await factories.revoke(http, creds, _session_token(http))
    for path in PAGES:
        answer = await http.get(path)
        assert (answer.status_code, answer.headers["location"]) == (303, LOGIN), path
    assert http.cookies.get("aftercart_dashboard") is None


async def test_an_expired_token_logs_the_user_out(
    http: httpx.AsyncClient, creds: IssuedCredentials, sessions: Sessions
) -> None:
    await log_in(http, creds)
    async with sessions() as session:
        await session.execute(
            update(AccessToken).values(expires_at=utcnow() - timedelta(seconds=1))
        )
        await session.commit()
    answer = await http.get("/dashboard/webhooks")
    assert (answer.status_code, answer.headers["location"]) == (303, LOGIN)


async def test_a_token_without_the_scopes_is_no_session(
    http: httpx.AsyncClient, creds: IssuedCredentials
) -> None:
    rating_only = await factories.client_token(http, creds, scope="Connect::Orders::RatingService")
    http.cookies.set("aftercart_dashboard", rating_only, path="/dashboard")
    assert (await http.get("/dashboard/ratings")).headers["location"] == LOGIN


async def test_logging_out_revokes_the_token_and_needs_the_csrf_token(
    http: httpx.AsyncClient, creds: IssuedCredentials, sessions: Sessions
) -> None:
    csrf = await log_in(http, creds)
    token = _session_token(http)
    for data in ({}, {"csrf": "nope"}, {"csrf": csrf[:-1] + ("0" if csrf[-1] != "0" else "1")}):
        refused = await http.post("/dashboard/logout", data=data)
        assert refused.status_code == 403
        assert "Nothing was changed" in refused.text
    [row] = await _tokens(sessions)
    assert row.revoked_at is None
    assert (await http.get("/dashboard/ratings")).status_code == 200

    answer = await http.post("/dashboard/logout", data={"csrf": csrf})
    assert (answer.status_code, answer.headers["location"]) == (303, LOGIN)
    assert http.cookies.get("aftercart_dashboard") is None
    [row] = await _tokens(sessions)
    assert row.revoked_at is not None
    api = await http.get("/v2/webhooks", headers=factories.bearer(token))
    assert api.status_code == 401


async def test_the_csrf_token_belongs_to_the_session(
    app: FastAPI, http: httpx.AsyncClient, creds: IssuedCredentials
) -> None:
    """A second login (another token) has another CSRF token; neither works for the other."""
    mine = await log_in(http, creds)
    async with browser_client(app) as other:
        theirs = await log_in(other, creds)
        assert theirs != mine
        assert (await other.post("/dashboard/logout", data={"csrf": mine})).status_code == 403


@pytest.mark.parametrize("path", ["/dashboard", "/dashboard/login", "/dashboard/ratings"])
async def test_the_dashboard_is_not_in_the_openapi_document(
    http: httpx.AsyncClient, path: str
) -> None:
    document = (await http.get("/openapi.json")).json()
    assert not [p for p in document["paths"] if p.startswith("/dashboard")]
    assert (await http.get(path)).status_code in (200, 303)


async def test_no_tokens_are_issued_by_showing_pages(
    http: httpx.AsyncClient, sessions: Sessions
) -> None:
    for path in ("/dashboard", LOGIN, *PAGES):
        await http.get(path)
    async with sessions() as session:
        assert await session.scalar(select(func.count()).select_from(AccessToken)) == 0
