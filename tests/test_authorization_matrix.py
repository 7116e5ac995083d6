"""Every route of the app, asked with every kind of bad token, gets the documented refusal in its
path's envelope, before anything changes and without a word of the resource's data.

Routes come from the app itself (the sandbox on) and are classified by their dependency tree: a
:class:`~aftercart.auth.deps.TokenRequirement` (grant and scope) or the marketplace's ``Caller``.
A route that is neither protected so nor in :data:`PUBLIC` fails, so a new route cannot escape.

Tenants: every client belongs to a tenant, and the clients of one tenant act for the same
retailer.

- ``same-tenant-client``: another Connect client of the owner's tenant (on the marketplace route,
  the tenant's second marketplace client) gets what the owner's token gets, except what a client
  made for itself (webhook subscriptions and their deliveries, fault rules: a path naming one,
  :data:`CLIENT_OWNED_PARAMS`, answers 404), and no success carries it (:data:`CLIENT_SECRETS`).
- ``other-tenant``: a client of another tenant (its marketplace client on the marketplace route;
  on the customer's routes, a token for that tenant's own user ALICE, whose id tenant 1 has too)
  sees and changes nothing of tenant 1, on every route (:func:`_other_tenant`): its answer
  carries none of tenant 1's words that its request does not (:meth:`Scenario.tenant_secrets`;
  not product or store data, shared by every tenant by design); tenant 1's part of the database
  is exactly as before (:func:`~tests.authorization_scenario.tenant_snapshot`: no row of it
  added, changed or removed; rows it adds to its own tenant are its business); and where the
  request names one of tenant 1's resources, in its path (:func:`tenant_ids_in_path`) or its
  body (:func:`without_tenant_ids`: a slot hold, a shopper, an order, a linking token), the
  answer (status and JSON body) is exactly the one the same token gets with those ids replaced
  by ids that exist nowhere: another tenant's row is, to it, a row that does not exist. Where
  the request names nothing of tenant 1 (lists, creations, its own ALICE), any answer but a 5xx
  will do, under the same two checks.
"""

import asyncio
import json
import re
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
from aftercart.models.tenant import DEFAULT_TENANT
from tests import factories
from tests.authorization_scenario import (
    ALICE,
    BOB,
    CLIENT_SECRETS,
    ORDER_IDS,
    REQUESTS,
    SECRETS,
    Scenario,
    arrange,
    assert_tenant_untouched,
    expire,
    revoke,
    snapshot,
    tenant_snapshot,
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
#: What a client made for itself: another client of its tenant gets 404 for it.
CLIENT_OWNED_PARAMS = frozenset({"subscription_id", "delivery_id", "fault_id"})
#: Path parameters that name nothing of a tenant's by themselves: a store's slot (slots, like
#: stores, are shared), and the line of the order the path names.
RELATIVE_PARAMS = frozenset({"service_option_id", "line_num", "order_item_id"})
#: The users both tenants have: in the other tenant's path they name its own user.
SHARED_USER_IDS = frozenset({ALICE, BOB})
#: Ids that exist in no tenant, by parameter (any other: a row id).
NOWHERE_IDS = {"order_id": "ord-unknown-zq7", "user_id": "user-unknown-zq7"}
NOWHERE_ROW_ID = "999999"
NOWHERE_TOKEN = "n" * 43
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
SAME_TENANT, OTHER_TENANT = "same-tenant-client", "other-tenant"
SUCCESS = (SAME_TENANT, "owner")


def cases(endpoint: Endpoint) -> list[str]:
    if endpoint.guard.grant == MARKETPLACE:
        return [*REFUSED_401, "connect-client-token", "connect-user-token", OTHER_TENANT, *SUCCESS]
    found = [*REFUSED_401, "wrong-grant", "marketplace-token", "missing-scope"]
    if endpoint.guard.grant == sc.USER_ASSERTION and "{order_id}" in endpoint.path:
        found.append("another-user")
    # An order-link token (the status page's) opens its own order's endpoints that take it.
    found += ["order-link-other-order", "order-link"]
    return [*found, OTHER_TENANT, *SUCCESS]


def opens_to_order_link(endpoint: Endpoint) -> bool:
    return endpoint.guard.order_link and "{order_id}" in endpoint.path


def expected_status(endpoint: Endpoint, case: str) -> int | None:
    """The documented status; ``None`` for a success (any 2xx). Not for :data:`OTHER_TENANT`,
    whose expectation is another request's answer (:func:`_other_tenant`)."""
    if case == OTHER_TENANT:
        raise ValueError("an other-tenant request is compared, not expected a status")
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
    if case == SAME_TENANT and owned:
        return 404
    return None


def on_socket(endpoint: Endpoint, case: str) -> bool:
    """A stream that may open is tested on a socket only: httpx's ASGI transport buffers a whole
    answer. Another tenant's stream of tenant 1's order must not open, but if it did, it would
    never end."""
    return endpoint.streams and (case == OTHER_TENANT or expected_status(endpoint, case) is None)


#: How long a request on a socket may take (the whole request, and each read: httpx's own 5 s
#: is too short), its stream's ``open`` comment included: generous, as a busy machine (``pytest
#: -n 8`` on two cores, PostgreSQL) took over 10 s for a 401. A stream that must not open is
#: caught by its headers, not by this.
SOCKET_WAIT = 30

#: The app as the ``app`` fixture makes it, built at collection to list the cases.
_APP = create_app(
    Settings(database_url="sqlite+aiosqlite://", sandbox=True, run_worker=False), migrate=False
)
PROTECTED = [e for e in endpoints(_APP) if e.key not in PUBLIC and e.guards]
MATRIX = [
    pytest.param(e, case, id=f"{e.key}-{case}")
    for e in PROTECTED
    for case in cases(e)
    if not on_socket(e, case)
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
    if case == SAME_TENANT:
        creds = s.markets[1] if guard.grant == MARKETPLACE else s.sibling
    elif case == OTHER_TENANT:
        # A user token is for the other tenant's own ALICE.
        creds = s.other_market if guard.grant == MARKETPLACE else s.other
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
            tenant_id=creds.tenant_id,
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


def params_of(endpoint: Endpoint, s: Scenario) -> dict[str, str]:
    """The values of the endpoint's path parameters in the scenario."""
    arranged = REQUESTS.get(endpoint.key)
    call = arranged(s) if arranged else None
    every = {**s.params(), **(call.params if call else {})}
    return {name: every[name] for name in re.findall(r"{(\w+)}", endpoint.path)}


def url_of(endpoint: Endpoint, s: Scenario, **override: str) -> tuple[str, Any]:
    """The endpoint's URL with the scenario's ids, and its body."""
    arranged = REQUESTS.get(endpoint.key)
    call = arranged(s) if arranged else None
    params = {**s.params(), **(call.params if call else {}), **override}
    return endpoint.path.format(**params), call.json if call else {}


def tenant_ids_in_path(endpoint: Endpoint, s: Scenario) -> dict[str, str]:
    """The path parameters that name one of tenant 1's resources, each with an id that exists
    in no tenant: every parameter filled from the scenario, but a slot or an order's line
    (:data:`RELATIVE_PARAMS`) and a user id the other tenant has too
    (:data:`SHARED_USER_IDS`)."""
    return {
        name: NOWHERE_ROW_ID if value.isdigit() else NOWHERE_IDS[name]
        for name, value in params_of(endpoint, s).items()
        if name not in RELATIVE_PARAMS and not (name == "user_id" and value in SHARED_USER_IDS)
    }


def without_tenant_ids(body: Any, s: Scenario) -> Any:
    """``body`` with every reference to one of tenant 1's resources replaced by one that exists
    nowhere: its order ids and ALICE's linking token wherever they are, its slot holds and its
    shopper under the keys that name them (an ``items_count`` of 1 is no id)."""
    strings = {order_id: NOWHERE_IDS["order_id"] for order_id in ORDER_IDS}
    strings[s.linking_token] = NOWHERE_TOKEN
    rows = {
        "service_option_hold_id": {s.delivery_hold, s.pickup_hold, s.last_mile_hold},
        "shopper_id": {s.shopper_id},
    }

    def walk(value: Any, key: str | None) -> Any:
        if isinstance(value, dict):
            return {k: walk(v, k) for k, v in value.items()}
        if isinstance(value, list):
            return [walk(v, None) for v in value]
        if isinstance(value, str):
            return strings.get(value, value)
        if isinstance(value, int) and value in rows.get(key or "", ()):
            return int(NOWHERE_ROW_ID)
        return value

    return walk(body, None)


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


def unasked(secrets: list[str], url: str, body: Any) -> list[str]:
    """The secrets that the request itself does not carry (an answer may echo its request)."""
    asked = (url + json.dumps(body)).casefold()
    return [secret for secret in secrets if secret.casefold() not in asked]


def answer(response: httpx.Response) -> tuple[int, Any]:
    """Status and JSON body (``None`` without a body)."""
    return response.status_code, response.json() if response.content else None


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
    if case == SAME_TENANT:
        assert_no_leak(response, CLIENT_SECRETS)


async def _other_tenant(
    http: httpx.AsyncClient,
    sessions: async_sessionmaker[AsyncSession],
    endpoint: Endpoint,
    s: Scenario,
) -> None:
    """Another tenant's token: see the module's docstring. Both requests (the scenario's ids,
    and ids that exist nowhere) fall between the two snapshots of tenant 1."""
    headers, url, body = await _prepared(sessions, endpoint, OTHER_TENANT, s)
    in_path = tenant_ids_in_path(endpoint, s)
    unknown_url, _ = url_of(endpoint, s, **in_path)
    unknown_body = without_tenant_ids(body, s)
    names_tenant = bool(in_path) or unknown_body != body
    before = await tenant_snapshot(sessions, DEFAULT_TENANT)
    response = await http.request(endpoint.method, url, json=body, headers=headers)
    if names_tenant:
        nowhere = await http.request(
            endpoint.method, unknown_url, json=unknown_body, headers=headers
        )
    after = await tenant_snapshot(sessions, DEFAULT_TENANT)
    assert response.status_code < 500, response.text
    assert_no_leak(response, unasked(s.tenant_secrets(), url, body))
    assert_tenant_untouched(before, after, f"{OTHER_TENANT}: {endpoint.key}")
    if names_tenant:
        assert answer(response) == answer(nowhere), (
            f"tenant 1's ids ({url} {body}) answer another tenant otherwise than ids that exist"
            f" nowhere ({unknown_url} {unknown_body})"
        )
    if not response.is_success:
        assert_envelope(response, endpoint.path)


@pytest.mark.parametrize("endpoint", [pytest.param(e, id=e.key) for e in PROTECTED])
async def test_authorization(
    http: httpx.AsyncClient,
    sessions: async_sessionmaker[AsyncSession],
    endpoint: Endpoint,
) -> None:
    """Every case of the route: the refusals, the other tenant's request and the first success
    share one arranged scenario (the refusals check that they changed nothing, the other
    tenant's request that it changed nothing of tenant 1, whose success then runs among the
    other tenant's new rows: they must not be in its way); each further success, which may
    depend on what the one before changed, gets a fresh one."""
    chosen = [str(case) for e, case in (p.values for p in MATRIX) if e == endpoint]
    compared = [case for case in chosen if case == OTHER_TENANT]
    decided = [case for case in chosen if case != OTHER_TENANT]
    refusals = [case for case in decided if expected_status(endpoint, case) is not None]
    successes = [case for case in decided if expected_status(endpoint, case) is None]
    s = await arrange(sessions)
    for case in refusals:
        await _refused(http, sessions, endpoint, case, s)
    if compared:
        await _other_tenant(http, sessions, endpoint, s)
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
    """On a real socket: a refusal is a whole JSON answer at once, never an opened stream.
    Another tenant's stream of tenant 1's order is refused exactly as one of an unknown order."""
    s = await arrange(sessions)
    headers = await headers_for(case, endpoint, sessions, s)
    url, _ = url_of(endpoint, s)
    if case == OTHER_TENANT:
        unknown_url, _ = url_of(endpoint, s, **tenant_ids_in_path(endpoint, s))
        async with (
            served(app) as base,
            httpx.AsyncClient(base_url=base, timeout=SOCKET_WAIT) as client,
        ):
            nowhere = await _refused_on_socket(client, unknown_url, headers)
            response = await _refused_on_socket(client, url, headers)
        assert not nowhere.is_success, nowhere.text
        assert answer(response) == answer(nowhere), (response.text, nowhere.text)
        assert_envelope(response, endpoint.path)
        assert_no_leak(response, unasked(s.tenant_secrets(), url, None))
        return
    status = expected_status(endpoint, case)
    async with served(app) as base, httpx.AsyncClient(base_url=base, timeout=SOCKET_WAIT) as client:
        async with (
            asyncio.timeout(SOCKET_WAIT),
            client.stream("GET", url, headers=headers) as response,
        ):
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


async def _refused_on_socket(
    client: httpx.AsyncClient, url: str, headers: dict[str, str]
) -> httpx.Response:
    """The whole answer of a stream request that must not open."""
    async with asyncio.timeout(SOCKET_WAIT), client.stream("GET", url, headers=headers) as response:
        kind = response.headers.get("content-type", "")
        assert not kind.startswith("text/event-stream"), f"{url}: the stream opened"
        await response.aread()
    return response
