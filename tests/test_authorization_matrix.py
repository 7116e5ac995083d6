"""Every route of the app, asked with every kind of bad token, gets the documented refusal in its
path's envelope, before anything changes and without a word of the resource's data.

Routes come from the app itself (the sandbox on) and are classified by their dependency tree: a
:class:`~aftercart.auth.deps.TokenRequirement` (grant and scope) or the marketplace's ``Caller``.
A route that is neither protected so nor in :data:`PUBLIC` fails, so a new route cannot escape.

Single-tenant rule (today): every Connect client of one Aftercart acts for the same retailer, so
another client's token gets what the owner client's token gets. Only what a client made for
itself (webhook subscriptions and their deliveries, named by :data:`CLIENT_OWNED_PARAMS`) answers
another client as unknown (404). When tenant isolation between clients lands, set
:data:`CLIENTS_SHARE_DATA` to ``False``: every ``another-client`` case then expects 404.
"""

import asyncio
import typing
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import fastapi.routing
import httpx
import pytest
from fastapi import APIRouter, Depends, FastAPI
from fastapi.dependencies.models import Dependant
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from starlette.routing import BaseRoute

from aftercart.app import create_app
from aftercart.auth import scopes as sc
from aftercart.auth.deps import FulfillmentClient, PostCheckoutUser, TokenRequirement
from aftercart.auth.service import IssuedCredentials, store_token
from aftercart.config import Settings
from aftercart.envelopes import Dialect, dialect_for
from aftercart.marketplace.router import Caller
from aftercart.marketplace.service import GRANT_TYPE as MARKETPLACE
from aftercart.models import Order
from tests import factories
from tests.authorization_scenario import (
    ALICE,
    BOB,
    CLIENT_SECRETS,
    REQUESTS,
    SECRETS,
    Scenario,
    arrange,
    expire,
    revoke,
    snapshot,
)
from tests.authorization_scenario import token as make_token
from tests.conftest import empty_all_tables
from tests.stream.helpers import Reader, served

#: Routes that take no bearer token: operations, docs, and the token endpoints themselves.
PUBLIC = frozenset(
    {
        "GET /healthz",
        "GET /metrics",
        "GET /openapi.json",
        "GET /docs",
        "GET /docs/oauth2-redirect",
        "GET /redoc",
        "POST /v2/oauth/token",
        "POST /v2/oauth/token/revoke",
        "POST /security/oauth/token",
        "MOUNT /static-offline-docs",
        "GET /orders/{order_id:path}/status",
        "GET /sandbox/shoppers/{shopper_id}",
        "MOUNT /static",
        "GET /brands/{client_id}/brand.css",
        "GET /brands/{client_id}/logo",
        "GET /dashboard/login",
        "POST /dashboard/login",
    }
)
#: The dashboard's pages: protected by its session cookie, not a bearer token. Without one, each
#: sends the browser to the login page (checked below; the session itself in tests/web/dashboard).
SESSION_PAGES = frozenset(
    {
        "GET /dashboard",
        "POST /dashboard/logout",
        "GET /dashboard/ratings",
        "GET /dashboard/ratings.csv",
        "GET /dashboard/webhooks",
        "POST /dashboard/webhooks/deliveries/{delivery_id}/redeliver",
        "GET /dashboard/orders",
        "GET /dashboard/monitor",
    }
)
CLIENTS_SHARE_DATA = True
CLIENT_OWNED_PARAMS = frozenset({"subscription_id", "delivery_id", "fault_id"})
_MARKETPLACE_CALL = typing.get_args(Caller)[1].dependency


@dataclass(frozen=True)
class Guard:
    """What a route asks for: a Connect grant and scope, or a marketplace token."""

    grant: str
    scope: str | None = None
    #: Whether an order-link token opens it too (on its own order).
    order_link: bool = False


@dataclass(frozen=True)
class Endpoint:
    method: str
    path: str
    guards: frozenset[Guard]
    streams: bool

    @property
    def key(self) -> str:
        return f"{self.method} {self.path}"

    @property
    def guard(self) -> Guard:
        (only,) = self.guards
        return only


def _guards(dependant: Dependant) -> Iterator[Guard]:
    for sub in dependant.dependencies:
        if isinstance(sub.call, TokenRequirement):
            yield Guard(sub.call.grant_type, sub.call.scope, sub.call.order_link)
        elif sub.call is _MARKETPLACE_CALL:
            yield Guard(MARKETPLACE)
        yield from _guards(sub)


def _routes(app: FastAPI) -> Iterator[BaseRoute]:
    """The app's routes flattened: FastAPI 0.16x keeps included routers as one entry each
    (``iter_route_contexts`` gives their routes with the prefix applied); older ones list
    APIRoutes directly."""
    flatten = getattr(fastapi.routing, "iter_route_contexts", None)
    yield from flatten(app.routes) if flatten else app.routes


def endpoints(app: FastAPI) -> list[Endpoint]:
    """One entry per method of every route; a route without methods (a mount) is ``MOUNT``."""
    found = []
    for route in _routes(app):
        dependant = getattr(route, "dependant", None)
        guards = frozenset(_guards(dependant)) if dependant is not None else frozenset()
        streams = "text/event-stream" in str(getattr(route, "responses", {}))
        methods = sorted(set(getattr(route, "methods", None) or ()) - {"HEAD"}) or ["MOUNT"]
        found.extend(Endpoint(method, str(route.path), guards, streams) for method in methods)
    return found


# --- Cases ----------------------------------------------------------------------------------------

REFUSED_401 = ("no-token", "unknown-token", "expired-token", "revoked-token")
SUCCESS = ("another-client", "owner")


def cases(endpoint: Endpoint) -> list[str]:
    if endpoint.guard.grant == MARKETPLACE:
        return [*REFUSED_401, "connect-client-token", "connect-user-token", *SUCCESS]
    found = [*REFUSED_401, "wrong-grant", "marketplace-token", "missing-scope"]
    if endpoint.guard.grant == sc.USER_ASSERTION and "{order_id}" in endpoint.path:
        found.append("another-user")
    # An order-link token (the status page's) opens its own order's endpoints that take it.
    found += ["order-link-other-order", "order-link"]
    return [*found, *SUCCESS]


def opens_to_order_link(endpoint: Endpoint) -> bool:
    return endpoint.guard.order_link and "{order_id}" in endpoint.path


def expected_status(endpoint: Endpoint, case: str) -> int | None:
    """The documented status; ``None`` for a success (any 2xx)."""
    if case in REFUSED_401:
        return 401
    if case in ("connect-client-token", "connect-user-token"):
        # docs/feedback.md: a token that is not a marketplace token is a 401 {"reason"}, so that
        # Yandex fetches a new one; not the 403 the README's general rule gives.
        return 401
    if case in ("wrong-grant", "marketplace-token", "missing-scope"):
        return 403
    if case == "another-user":
        return 404
    if case == "order-link-other-order" or (
        case == "order-link" and not opens_to_order_link(endpoint)
    ):
        return 403
    owned = any(f"{{{name}}}" in endpoint.path for name in CLIENT_OWNED_PARAMS)
    if case == "another-client" and (owned or not CLIENTS_SHARE_DATA):
        return 404
    return None


#: The app as the ``app`` fixture makes it, built at collection to list the cases.
_APP = create_app(
    Settings(database_url="sqlite+aiosqlite://", sandbox=True, run_worker=False), migrate=False
)
PROTECTED = [e for e in endpoints(_APP) if e.key not in PUBLIC and e.guards]
MATRIX = [
    pytest.param(e, case, id=f"{e.key}-{case}")
    for e in PROTECTED
    for case in cases(e)
    # httpx's ASGI transport buffers a whole answer: a stream that opens is tested on a socket.
    if not (e.streams and expected_status(e, case) is None)
]
STREAM_MATRIX = [
    pytest.param(e, case, id=f"{e.key}-{case}") for e in PROTECTED if e.streams for case in cases(e)
]


# --- Tokens and requests --------------------------------------------------------------------------


async def headers_for(
    case: str, endpoint: Endpoint, sessions: async_sessionmaker[AsyncSession], s: Scenario
) -> dict[str, str]:
    guard = endpoint.guard
    if case == "no-token":
        return {}
    if case == "unknown-token":
        return factories.bearer("x" * 43)
    if case.startswith("order-link"):
        order_id = "ord-unknown-zq7" if case == "order-link-other-order" else order_of(endpoint, s)
        return factories.bearer(await order_link_token(sessions, s.owner, order_id))
    creds, grant, scope, user = s.owner, guard.grant, None, ALICE
    if case == "another-client":
        creds = s.markets[1] if guard.grant == MARKETPLACE else s.other
    elif case == "another-user":
        user = BOB
    elif case in ("marketplace-token", "connect-client-token", "connect-user-token"):
        creds, grant = {
            "marketplace-token": (s.markets[0], MARKETPLACE),
            "connect-client-token": (s.owner, sc.CLIENT_CREDENTIALS),
            "connect-user-token": (s.owner, sc.USER_ASSERTION),
        }[case]
    elif case == "wrong-grant":
        (grant,) = set(sc.SCOPES_BY_GRANT) - {guard.grant}
    elif case == "missing-scope":
        scope = " ".join(sorted(set(sc.SCOPES_BY_GRANT[grant]) - {guard.scope}))
    elif grant == MARKETPLACE:
        creds = s.markets[0]
    token = await make_token(sessions, creds, grant, scope, user)
    if case == "expired-token":
        await expire(sessions, token)
    if case == "revoked-token":
        await revoke(sessions, creds, token)
    return factories.bearer(token)


async def order_link_token(
    sessions: async_sessionmaker[AsyncSession], creds: IssuedCredentials, order_id: str
) -> str:
    """A token as the order-link grant stores it: the order's user, restricted to the order."""
    async with sessions() as session:
        owner = await session.scalar(select(Order.user_id).where(Order.order_id == order_id))
        issued = await store_token(
            session,
            client_id=creds.client_id,
            grant_type=sc.ORDER_LINK,
            scope=" ".join(sc.ORDER_LINK_SCOPES),
            user_id=owner,
            order_id=order_id,
            ttl_seconds=3600,
        )
        await session.commit()
    return issued.access_token


def order_of(endpoint: Endpoint, s: Scenario) -> str:
    """The order the endpoint's URL names in the scenario (the picking order by default)."""
    arranged = REQUESTS.get(endpoint.key)
    call = arranged(s) if arranged else None
    return str({**s.params(), **(call.params if call else {})}["order_id"])


def url_of(endpoint: Endpoint, s: Scenario, **override: str) -> tuple[str, Any]:
    """The endpoint's URL with the scenario's ids, and its body."""
    arranged = REQUESTS.get(endpoint.key)
    call = arranged(s) if arranged else None
    params = {**s.params(), **(call.params if call else {}), **override}
    return endpoint.path.format(**params), call.json if call else {}


# --- Checks ---------------------------------------------------------------------------------------


def dialect(path: str) -> str:
    if path.startswith("/v2/post_checkout"):
        # The curbside pickup operations answer in Connect's envelope (their pages' errors).
        return "post_checkout" if dialect_for(path) is Dialect.POST_CHECKOUT else "connect"
    if path.startswith(("/v1/", "/security/")):
        return "marketplace"
    return "connect"


def assert_envelope(response: httpx.Response, path: str) -> None:
    """The refusal in the envelope the README's "Errors" gives this path."""
    status, body = response.status_code, response.json()
    kind = dialect(path)
    if kind == "post_checkout":
        assert set(body) == {"error", "status"}, body
        assert isinstance(body["error"], str), body
        assert body["status"] == status, body
    elif kind == "marketplace" and status == 401:
        assert set(body) == {"reason"}, body
    elif kind == "marketplace":
        assert isinstance(body, list), body
        assert all(set(e) == {"code", "description"} for e in body), body
    else:
        assert set(body) == {"error", "meta"}, body
        assert set(body["error"]) == {"message", "code"}, body
    if status == 401:
        assert response.headers.get("www-authenticate") == "Bearer", response.headers


def assert_no_leak(response: httpx.Response, secrets: list[str]) -> None:
    text = response.text.casefold()
    leaked = [secret for secret in secrets if secret.casefold() in text]
    assert not leaked, f"the answer carries {leaked}: {response.text}"


# --- Tests ----------------------------------------------------------------------------------------


def test_every_route_is_public_or_protected(
    app: FastAPI, capsys: pytest.CaptureFixture[str]
) -> None:
    found = endpoints(app)
    with capsys.disabled():
        print(
            f"\nauthorization matrix: {len(PROTECTED)} protected endpoints, {len(MATRIX)} cases"
            f" over ASGI, {len(STREAM_MATRIX)} stream cases on a socket, {len(PUBLIC)} public"
        )
    assert {e.key for e in found} == {e.key for e in endpoints(_APP)}
    unprotected = [e.key for e in found if not e.guards and e.key not in PUBLIC | SESSION_PAGES]
    assert not unprotected, f"neither public nor protected by a token check: {unprotected}"
    ambiguous = [e.key for e in found if len(e.guards) > 1]
    assert not ambiguous, f"more than one token check: {ambiguous}"
    public_but_guarded = [e.key for e in found if e.guards and e.key in PUBLIC]
    assert not public_but_guarded, public_but_guarded
    stale = (PUBLIC | SESSION_PAGES) - {e.key for e in found}
    assert not stale, f"listed as public but not served: {stale}"
    missing = [e.key for e in PROTECTED if e.key not in REQUESTS]
    assert not missing, f"arrange a valid request for {missing} in tests/authorization_scenario.py"


@pytest.mark.parametrize("key", sorted(SESSION_PAGES))
async def test_a_dashboard_page_without_a_session_sends_to_the_login(
    http: httpx.AsyncClient, key: str
) -> None:
    method, path = key.split(" ", 1)
    response = await http.request(method, path.replace("{delivery_id}", "1"))
    assert response.status_code in (303, 403), response.text
    if response.status_code == 303:
        assert response.headers["location"].endswith("/dashboard/login")
    else:  # a form posted without a session is refused before anything else
        assert method == "POST"


def test_a_new_route_cannot_escape() -> None:
    """The classification sees routes added anywhere, and token checks nested anywhere."""
    app = create_app(
        Settings(database_url="sqlite+aiosqlite://", sandbox=True, run_worker=False),
        migrate=False,
    )
    router = APIRouter(prefix="/v2/extra")

    async def nested(_: FulfillmentClient) -> None:
        pass

    @router.get("/open")
    async def open_route() -> None:
        pass

    @router.get("/nested", dependencies=[Depends(nested)])
    async def nested_route() -> None:
        pass

    @app.post("/v2/direct")
    async def direct_route(_: PostCheckoutUser) -> None:
        pass

    app.include_router(router)
    found = {e.key: e.guards for e in endpoints(app)}
    assert found["GET /v2/extra/open"] == frozenset()
    assert found["GET /v2/extra/nested"] == {Guard(sc.CLIENT_CREDENTIALS, sc.FULFILLMENT)}
    assert found["POST /v2/direct"] == {Guard(sc.USER_ASSERTION, sc.POST_CHECKOUT, True)}


async def _prepared(
    sessions: async_sessionmaker[AsyncSession], endpoint: Endpoint, case: str, s: Scenario
) -> tuple[dict[str, str], str, Any]:
    """The case's token headers (made now, so before any snapshot), the URL and the body."""
    headers = await headers_for(case, endpoint, sessions, s)
    url, body = url_of(endpoint, s)
    return headers, url, body


async def _refused(
    http: httpx.AsyncClient,
    sessions: async_sessionmaker[AsyncSession],
    endpoint: Endpoint,
    case: str,
    s: Scenario,
) -> None:
    headers, url, body = await _prepared(sessions, endpoint, case, s)
    before = await snapshot(sessions)
    response = await http.request(endpoint.method, url, json=body, headers=headers)
    assert response.status_code == expected_status(endpoint, case), (case, response.text)
    assert_envelope(response, endpoint.path)
    assert_no_leak(response, SECRETS)
    if case == "another-user":
        unknown_url, _ = url_of(endpoint, s, order_id="ord-unknown-zq7")
        unknown = await http.request(endpoint.method, unknown_url, json=body, headers=headers)
        assert (unknown.status_code, unknown.json()) == (response.status_code, response.json())
    assert await snapshot(sessions) == before, f"{case}: a refused request changed the database"


async def _answered(
    http: httpx.AsyncClient,
    sessions: async_sessionmaker[AsyncSession],
    endpoint: Endpoint,
    case: str,
    s: Scenario,
) -> None:
    headers, url, body = await _prepared(sessions, endpoint, case, s)
    response = await http.request(endpoint.method, url, json=body, headers=headers)
    assert response.is_success, (case, response.status_code, response.text)
    if case == "another-client":
        assert_no_leak(response, CLIENT_SECRETS)


@pytest.mark.parametrize("endpoint", [pytest.param(e, id=e.key) for e in PROTECTED])
async def test_authorization(
    http: httpx.AsyncClient,
    sessions: async_sessionmaker[AsyncSession],
    endpoint: Endpoint,
) -> None:
    """Every case of the route: the refusals share one arranged scenario (each checks that it
    changed nothing); each case that must succeed, and may change it, gets a fresh one."""
    chosen = [case for e, case in (p.values for p in MATRIX) if e == endpoint]
    refusals = [case for case in chosen if expected_status(endpoint, case) is not None]
    successes = [case for case in chosen if expected_status(endpoint, case) is None]
    s = await arrange(sessions)
    for case in refusals:
        await _refused(http, sessions, endpoint, case, s)
    for index, case in enumerate(successes):
        if index:
            await empty_all_tables(sessions)
            s = await arrange(sessions)
        await _answered(http, sessions, endpoint, case, s)


@pytest.mark.parametrize(("endpoint", "case"), STREAM_MATRIX)
async def test_a_stream_refuses_before_streaming(
    app: FastAPI,
    sessions: async_sessionmaker[AsyncSession],
    endpoint: Endpoint,
    case: str,
) -> None:
    """On a real socket: a refusal is a whole JSON answer at once, never an opened stream."""
    s = await arrange(sessions)
    headers = await headers_for(case, endpoint, sessions, s)
    url, _ = url_of(endpoint, s)
    status = expected_status(endpoint, case)
    async with served(app) as base, httpx.AsyncClient(base_url=base) as client:
        async with asyncio.timeout(5), client.stream("GET", url, headers=headers) as response:
            if status is None:
                assert response.status_code == 200
                assert response.headers["content-type"].startswith("text/event-stream")
                await Reader(response).opened()
                return
            await response.aread()
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json"
    assert_envelope(response, endpoint.path)
    assert_no_leak(response, SECRETS)
