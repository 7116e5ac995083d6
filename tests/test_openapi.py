"""The OpenAPI document against what the routes really answer.

Every operation is driven through the app: its success case (the README's walk-through, with the
documented request examples as bodies), and the errors that any operation can be made to give the
same way (no token, a token of the other kind, malformed JSON, an unknown id, a body over the
limit). Each answer's status must be documented for its operation, and its body must match the
documented schema. The document itself must be valid OpenAPI 3.1, and the docs pages must load
nothing from another host.
"""

import copy
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import httpx
import pytest
from jsonschema import Draft202012Validator
from openapi_spec_validator import OpenAPIV31SpecValidator
from referencing import Registry
from referencing.jsonschema import DRAFT202012
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from aftercart.auth.service import IssuedCredentials
from aftercart.config import Settings
from aftercart.db.types import utcnow
from aftercart.sample_data import load_sample_data
from tests import factories
from tests.marketplace.helpers import make_marketplace, marketplace_token

URI = "urn:aftercart:openapi"
JSON = "application/json"
FORM = "application/x-www-form-urlencoded"
MAX_BODY = 16_384
USER = "jane-123"
PICKUP_ORDER = "order-pickup-2"
Sessions = async_sessionmaker[AsyncSession]


@pytest.fixture
def settings(database_url: str) -> Settings:
    """Streams end at once (so that a success answer is whole), and a small body limit."""
    return Settings(
        database_url=database_url,
        sandbox=True,
        run_worker=False,
        stream_max_seconds=0.2,
        max_body_bytes=MAX_BODY,
    )


def _pointer(*parts: str) -> str:
    return URI + "#/" + "/".join(p.replace("~", "~0").replace("/", "~1") for p in parts)


@dataclass
class Contract:
    """The document, and what was checked against it."""

    document: dict[str, Any]
    seen: set[tuple[str, str, int]] = field(default_factory=set)

    def __post_init__(self) -> None:
        resource = DRAFT202012.create_resource(self.document)
        self.registry: Registry[Any] = Registry().with_resource(URI, resource)

    def operations(self) -> Iterator[tuple[str, str, dict[str, Any]]]:
        for template, item in self.document["paths"].items():
            for method, operation in item.items():
                yield method.upper(), template, operation

    def operation(self, method: str, template: str) -> dict[str, Any]:
        operation: dict[str, Any] = self.document["paths"][template][method.lower()]
        return operation

    def errors(self, instance: Any, *pointer: str) -> list[str]:
        validator = Draft202012Validator(
            {"$ref": _pointer(*pointer)},
            registry=self.registry,
            format_checker=Draft202012Validator.FORMAT_CHECKER,
        )
        return [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(instance)]

    def example(self, method: str, template: str, media: str = JSON) -> Any:
        """A copy of the operation's documented request example."""
        content = self.operation(method, template)["requestBody"]["content"][media]
        if "example" in content:
            return copy.deepcopy(content["example"])
        return copy.deepcopy(next(iter(content["examples"].values()))["value"])

    def check(self, method: str, template: str, response: httpx.Response) -> None:
        """The answer's status is documented for the operation and its body fits the schema."""
        where = f"{method} {template} answered {response.status_code}: {response.text[:300]}"
        responses = self.operation(method, template)["responses"]
        status = str(response.status_code)
        assert status in responses, f"undocumented status: {where}"
        documented = responses[status]
        for header in documented.get("headers", {}):
            assert header.lower() in response.headers, f"no {header} header: {where}"
        content = documented.get("content", {})
        if not content:
            assert not response.content, where
        else:
            media = response.headers["content-type"].split(";")[0]
            assert media in content, f"undocumented media type {media}: {where}"
            if "schema" in content[media]:
                pointer = ("paths", template, method.lower(), "responses", status, "content")
                problems = self.errors(response.json(), *pointer, media, "schema")
                assert not problems, f"{where}\n" + "\n".join(problems)
        self.seen.add((method, template, response.status_code))


@dataclass
class Driver:
    http: httpx.AsyncClient
    contract: Contract

    async def call(
        self,
        method: str,
        template: str,
        *,
        token: str | None = None,
        expect: int | None = None,
        path: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> httpx.Response:
        headers = {**kwargs.pop("headers", {}), **(factories.bearer(token) if token else {})}
        url = template.format(**(path or {}))
        response = await self.http.request(method, url, headers=headers, **kwargs)
        self.contract.check(method, template, response)
        if expect is not None:
            assert response.status_code == expect, f"{method} {url}: {response.text[:500]}"
        return response


@dataclass
class World:
    creds: IssuedCredentials
    marketplace: IssuedCredentials
    client_token: str
    user_token: str
    marketplace_token: str


@pytest.fixture
async def contract(http: httpx.AsyncClient) -> Contract:
    response = await http.get("/openapi.json")
    assert response.status_code == 200
    return Contract(response.json())


@pytest.fixture
def driver(http: httpx.AsyncClient, contract: Contract) -> Driver:
    return Driver(http, contract)


@pytest.fixture
async def world(http: httpx.AsyncClient, sessions: Sessions, creds: IssuedCredentials) -> World:
    async with sessions() as session:
        await load_sample_data(session)
        await factories.insert_user(session, user_id=USER)
        await session.commit()
    marketplace = await make_marketplace(sessions)
    return World(
        creds,
        marketplace,
        await factories.client_token(http, creds),
        await factories.user_token(http, creds, USER),
        await marketplace_token(http, marketplace),
    )


# --- The document itself --------------------------------------------------------------------------


def test_the_document_is_valid_openapi_3_1(contract: Contract) -> None:
    assert contract.document["info"]["title"] == "Aftercart"
    assert contract.document["openapi"].startswith("3.1")
    OpenAPIV31SpecValidator(contract.document).validate()


def test_no_operation_declares_the_422_that_is_never_sent(contract: Contract) -> None:
    declaring = [(m, t) for m, t, op in contract.operations() if "422" in op["responses"]]
    assert declaring == []
    assert "HTTPValidationError" not in contract.document["components"]["schemas"]


def test_every_request_body_has_an_example_that_fits_its_schema(contract: Contract) -> None:
    for method, template, operation in contract.operations():
        for media, content in operation.get("requestBody", {}).get("content", {}).items():
            examples = [content["example"]] if "example" in content else []
            examples += [e["value"] for e in content.get("examples", {}).values()]
            assert examples, f"{method} {template} ({media}) has no example"
            pointer = ("paths", template, method.lower(), "requestBody", "content", media)
            for example in examples:
                assert not contract.errors(example, *pointer, "schema"), (method, template)


def test_every_error_example_fits_its_envelope(contract: Contract) -> None:
    for method, template, operation in contract.operations():
        for status, response in operation["responses"].items():
            content = response.get("content", {}).get(JSON, {})
            if int(status) >= 400 and "example" in content:
                pointer = ("paths", template, method.lower(), "responses", status, "content")
                problems = contract.errors(content["example"], *pointer, JSON, "schema")
                assert not problems, (method, template, status, problems)


def test_operations_needing_a_token_name_its_schemes(contract: Contract) -> None:
    schemes = contract.document["components"]["securitySchemes"]
    flows = schemes["ConnectOAuth2"]["flows"]["clientCredentials"]
    assert flows["tokenUrl"] == "/v2/oauth/token"
    assert schemes["MarketplaceOAuth2"]["flows"]["clientCredentials"]["tokenUrl"] == (
        "/security/oauth/token"
    )
    for method, template, operation in contract.operations():
        names = {name for requirement in operation.get("security", []) for name in requirement}
        if template.startswith(("/v1/", "/security/")) and names:
            assert names == {"MarketplaceOAuth2", "MarketplaceToken"}, (method, template)
        elif names:
            assert "ConnectToken" in names, (method, template)
        if names:
            assert {"401", "429"} <= set(operation["responses"]), (method, template)


# --- The docs pages -------------------------------------------------------------------------------


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
async def test_the_docs_pages_load_everything_from_this_server(
    http: httpx.AsyncClient, page: str
) -> None:
    response = await http.get(page)
    assert response.status_code == 200
    html = response.text
    assert not re.search(r"(?:https?:)?//[\w.-]+\.\w", html), "the page names another host"
    assets = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert any(asset.endswith(".js") for asset in assets)
    for asset in [*assets, "/openapi.json"]:
        assert (await http.get(asset)).status_code == 200, asset


async def test_the_swagger_ui_oauth2_redirect_page_is_served(http: httpx.AsyncClient) -> None:
    response = await http.get("/docs/oauth2-redirect")
    assert response.status_code == 200
    assert not re.search(r"(?:https?:)?//[\w.-]+\.\w", response.text)


# --- Every operation's success, the README's way ----------------------------------------------


async def _tokens_and_users(d: Driver, w: World) -> str:
    """The token endpoints (JSON, form, HTTP Basic as Swagger UI sends it), and users; returns
    a client token."""
    token, creds = "/v2/oauth/token", w.creds
    mine = {"client_id": creds.client_id, "client_secret": creds.client_secret}
    body = {**d.contract.example("POST", token), **mine}
    ct = (await d.call("POST", token, json=body, expect=200)).json()["access_token"]
    form = {**d.contract.example("POST", token, FORM), **mine}
    await d.call("POST", token, data=form, expect=200)
    basic = {"grant_type": "client_credentials", "scope": ""}
    auth = (creds.client_id, creds.client_secret)
    spare = (await d.call("POST", token, data=basic, auth=auth, expect=200)).json()
    revoke = {**d.contract.example("POST", token + "/revoke"), **mine}
    revoke["token"] = spare["access_token"]
    await d.call("POST", token + "/revoke", json=revoke, expect=200)

    users = "/v2/fulfillment/users"
    await d.call("GET", "/healthz", expect=200)
    new_user = {**d.contract.example("POST", users), "user_id": "jane-456"}
    await d.call("POST", users, token=ct, json=new_user, expect=200)
    user = {"path": {"user_id": USER}, "token": ct}
    await d.call("GET", users + "/{user_id}", **user, expect=200)
    changes = d.contract.example("PUT", users + "/{user_id}")
    await d.call("PUT", users + "/{user_id}", **user, json=changes, expect=200)
    address = d.contract.example("POST", users + "/{user_id}/addresses")
    await d.call("POST", users + "/{user_id}/addresses", **user, json=address, expect=200)
    return w.client_token  # every client scope, where the example asks for one


async def _orders(d: Driver, ct: str) -> None:
    f = "/v2/fulfillment"
    for kind in ("delivery", "pickup"):
        stores = f"{f}/stores/{kind}"
        example = d.contract.example("POST", stores)
        found = await d.call("POST", stores, token=ct, json=example, expect=200)
        assert found.json()["stores"], found.text
    user = {"path": {"user_id": USER}, "token": ct}
    holds: dict[str, int] = {}
    for kind in ("delivery", "pickup"):
        cart = f"{f}/users/{{user_id}}/service_options/cart/{kind}"
        options = await d.call("POST", cart, **user, json=d.contract.example("POST", cart))
        slot = options.json()["service_options"][0]["id"]
        reserve = f"{f}/users/{{user_id}}/service_options/{{service_option_id}}/reserve"
        held = await d.call(
            "POST",
            reserve,
            token=ct,
            path={"user_id": USER, "service_option_id": slot},
            json=d.contract.example("POST", reserve),
            expect=200,
        )
        holds[kind] = held.json()["service_option_hold"]["id"]
        create = f"{f}/users/{{user_id}}/orders/{kind}"
        order = {**d.contract.example("POST", create), "service_option_hold_id": holds[kind]}
        await d.call("POST", create, **user, json=order, expect=200)

    one = f"{f}/users/{{user_id}}/orders/{{order_id}}"
    delivery = {"token": ct, "path": {"user_id": USER, "order_id": "order-1001"}}
    await d.call("PUT", one, **delivery, json=d.contract.example("PUT", one), expect=200)
    choose = one + "/replacement_selections"
    await d.call("PUT", choose, **delivery, json=d.contract.example("PUT", choose), expect=200)
    await d.call("GET", one, **delivery, expect=200)
    pickup = {"token": ct, "path": {"user_id": USER, "order_id": "order-1002"}}
    await d.call("POST", one + "/cancel", **pickup, expect=200)


async def _last_mile(d: Driver, ct: str) -> None:
    """A last-mile order created and staged through the user's API; two dispatch orders, one
    updated and staged, the other canceled."""
    f = "/v2/fulfillment"
    stores = f"{f}/stores/last_mile"
    found = await d.call(
        "POST", stores, token=ct, json=d.contract.example("POST", stores), expect=200
    )
    assert found.json()["stores"], found.text
    user = {"path": {"user_id": USER}, "token": ct}
    cart = f"{f}/users/{{user_id}}/service_options/cart/last_mile"
    options = await d.call("POST", cart, **user, json=d.contract.example("POST", cart), expect=200)
    reserve = f"{f}/users/{{user_id}}/service_options/{{service_option_id}}/reserve"
    slot = options.json()["service_options"][0]["id"]
    held = await d.call(
        "POST", reserve, token=ct, path={"user_id": USER, "service_option_id": slot}, expect=200
    )
    create = f"{f}/users/{{user_id}}/orders/last_mile"
    hold_id = held.json()["service_option_hold"]["id"]
    body = {**d.contract.example("POST", create), "service_option_hold_id": hold_id}
    await d.call("POST", create, **user, json=body, expect=200)
    staged = f"{f}/users/{{user_id}}/orders/{{order_id}}/staged"
    lmd = {"token": ct, "path": {"user_id": USER, "order_id": body["order_id"]}}
    await d.call("POST", staged, **lmd, json=d.contract.example("POST", staged), expect=200)

    orders = f"{f}/lastmile/orders"
    start = (utcnow() + timedelta(days=1)).replace(hour=18, minute=0, second=0, microsecond=0)
    window = {"start_at": start.isoformat(), "end_at": (start + timedelta(hours=2)).isoformat()}
    for order_id in ("dlmd-1001", "dlmd-1002"):
        body = {**d.contract.example("POST", orders), **window, "order_id": order_id}
        await d.call("POST", orders, token=ct, json=body, expect=200)
    one = orders + "/{order_id}"
    first = {"token": ct, "path": {"order_id": "dlmd-1001"}}
    await d.call("PUT", one, **first, json=d.contract.example("PUT", one), expect=200)
    stage = one + "/staged"
    await d.call("POST", stage, **first, json=d.contract.example("POST", stage), expect=200)
    await d.call("POST", one + "/cancel", token=ct, path={"order_id": "dlmd-1002"}, expect=200)


async def _shopping(d: Driver, ct: str, ut: str) -> int:
    """A shopper picks order-1001 while the customer follows; returns the batch id."""
    s = "/v2/fulfillment_sandbox"
    shopper = await d.call(
        "POST", f"{s}/shoppers", token=ct, json=d.contract.example("POST", f"{s}/shoppers")
    )
    shopper_id = shopper.json()["id"]
    batch_body = {**d.contract.example("POST", f"{s}/batches"), "shopper_id": shopper_id}
    batch = await d.call("POST", f"{s}/batches", token=ct, json=batch_body, expect=200)
    advance = f"{s}/batches/{{batch_id}}/advance"
    batch_path = {"batch_id": batch.json()["id"]}
    await d.call("POST", advance, token=ct, path=batch_path, json={}, expect=200)

    order = f"{s}/shoppers/{{shopper_id}}/orders/{{order_id}}"
    at = {"token": ct, "path": {"shopper_id": shopper_id, "order_id": "order-1001"}}
    item = order + "/items/{line_num}"
    found = d.contract.example("PUT", item)
    await d.call(
        "PUT", item, **at | {"path": at["path"] | {"line_num": "1"}}, json=found, expect=200
    )
    replaced = {"status": "replaced", "replacement_item": {"upc": "071842000701"}}
    await d.call(
        "POST", item, **at | {"path": at["path"] | {"line_num": "2"}}, json=replaced, expect=200
    )
    await d.call(
        "POST",
        order + "/items",
        **at,
        json=d.contract.example("POST", order + "/items"),
        expect=200,
    )
    await d.call(
        "POST",
        order + "/messages",
        **at,
        json=d.contract.example("POST", order + "/messages"),
        expect=200,
    )
    await d.call("GET", order + "/messages", **at, expect=200)
    await d.call("GET", f"{s}/shoppers/{{shopper_id}}", **at, expect=200)
    await d.call("GET", f"{s}/products", token=ct, params={"query": "milk"}, expect=200)
    await d.call("GET", f"{s}/shoppers", token=ct, params={"limit": 10}, expect=200)
    await d.call("GET", f"{s}/batches", token=ct, params={"state": "open"}, expect=200)
    await d.call("GET", f"{s}/batches/{{batch_id}}", token=ct, path=batch_path, expect=200)
    user_orders = f"{s}/users/{{user_id}}/orders"
    await d.call("GET", user_orders, token=ct, path={"user_id": USER}, expect=200)
    await d.call("GET", f"{s}/monitor/requests", token=ct, params={"limit": 10}, expect=200)
    await d.call("GET", f"{s}/monitor/webhook_attempts", token=ct, expect=200)
    callbacks = f"{s}/orders/{{order_id}}/callbacks"
    late = d.contract.example("POST", callbacks)
    await d.call(
        "POST", callbacks, token=ct, path={"order_id": "order-1001"}, json=late, expect=200
    )
    trigger = f"{s}/orders/{{order_id}}/trigger"
    triggered = d.contract.example("POST", trigger)
    await d.call(
        "POST", trigger, token=ct, path={"order_id": "order-1001"}, json=triggered, expect=200
    )

    p = "/v2/post_checkout"
    mine = {"token": ut, "path": {"order_id": "order-1001"}}
    await d.call("GET", p + "/orders/{order_id}/handling", **mine, expect=200)
    await d.call("GET", p + "/orders/{order_id}/items", **mine, expect=200)
    for view in ("", "/location", "/order_messages"):
        await d.call("GET", p + "/orders/{order_id}" + view, **mine, expect=200)
    await _pickup(d, ct, ut)
    decide = p + "/orders/{order_id}/items/{order_item_id}/replacement"
    decision = {**mine, "path": {"order_id": "order-1001", "order_item_id": "2"}}
    await d.call("PUT", decide, **decision, json=d.contract.example("PUT", decide), expect=200)
    chat = p + "/chat/{order_id}/messages"
    await d.call("POST", chat, **mine, json=d.contract.example("POST", chat), expect=200)
    await d.call("GET", chat, **mine, expect=200)
    replay = {"Last-Event-ID": "0"}
    stream = await d.call(
        "GET", p + "/orders/{order_id}/events", **mine, headers=replay, expect=200
    )
    assert b"event:" in stream.content
    return int(batch_path["batch_id"])


async def _pickup(d: Driver, ct: str, ut: str) -> None:
    """A second pickup order, staged by the sandbox, and the customer's four curbside calls."""
    f, s = "/v2/fulfillment", "/v2/fulfillment_sandbox"
    user = {"path": {"user_id": USER}, "token": ct}
    cart = f"{f}/users/{{user_id}}/service_options/cart/pickup"
    options = await d.call("POST", cart, **user, json=d.contract.example("POST", cart))
    reserve = f"{f}/users/{{user_id}}/service_options/{{service_option_id}}/reserve"
    slot = {"user_id": USER, "service_option_id": options.json()["service_options"][0]["id"]}
    held = await d.call("POST", reserve, token=ct, path=slot, json={}, expect=200)
    create = f"{f}/users/{{user_id}}/orders/pickup"
    order = d.contract.example("POST", create) | {
        "service_option_hold_id": held.json()["service_option_hold"]["id"],
        "order_id": PICKUP_ORDER,
    }
    await d.call("POST", create, **user, json=order, expect=200)
    shopper = await d.call("POST", f"{s}/shoppers", token=ct, json={}, expect=200)
    batch = {
        "shopper_id": shopper.json()["id"],
        "orders": [{"id": PICKUP_ORDER}],
        "workflow_state": "staged",
    }
    await d.call("POST", f"{s}/batches", token=ct, json=batch, expect=200)

    p = "/v2/post_checkout/orders/{order_id}"
    mine = {"token": ut, "path": {"order_id": PICKUP_ORDER}}
    await d.call("GET", p + "/pickup/details", **mine, expect=200)
    for operation in ("/pickup/schedule_pickup", "/pickup/user_arrived"):
        body = d.contract.example("POST", p + operation)
        await d.call("POST", p + operation, **mine, json=body, expect=200)
    body = d.contract.example("PUT", p + "/pickup_delegate")
    await d.call("PUT", p + "/pickup_delegate", **mine, json=body, expect=200)


async def _ratings(d: Driver, ct: str, ut: str, w: World, batch_id: int) -> None:
    advance = "/v2/fulfillment_sandbox/batches/{batch_id}/advance"
    completed = {"workflow_state": "completed"}
    await d.call("POST", advance, token=ct, path={"batch_id": batch_id}, json=completed, expect=200)
    tip = "/v2/fulfillment/users/{user_id}/orders/{order_id}/tip"
    tipped = {"user_id": USER, "order_id": "order-1001"}
    await d.call("PUT", tip, token=ct, path=tipped, json=d.contract.example("PUT", tip), expect=200)
    f = "/v2/feedback"
    backend = f + "/users/{user_id}/orders/{order_id}/rating"
    ids = {"user_id": USER, "order_id": "order-1001"}
    await d.call(
        "POST", backend, token=ct, path=ids, json=d.contract.example("POST", backend), expect=200
    )
    await d.call("GET", backend, token=ct, path=ids, expect=200)
    frontend = f + "/orders/{order_id}/rating"
    own = {"token": ut, "path": {"order_id": "order-1001"}}
    await d.call("POST", frontend, **own, json=d.contract.example("POST", frontend), expect=200)
    await d.call("GET", frontend, **own, expect=200)

    token = "/security/oauth/token"
    mine = {"client_id": w.marketplace.client_id, "client_secret": w.marketplace.client_secret}
    form = {**d.contract.example("POST", token, FORM), **mine}
    mt = (await d.call("POST", token, data=form, expect=200)).json()["access_token"]
    await d.call(
        "POST", token, json={**d.contract.example("POST", token, JSON), **mine}, expect=200
    )
    await d.call(
        "POST",
        "/v1/feedback",
        token=mt,
        json=d.contract.example("POST", "/v1/feedback"),
        expect=200,
    )
    await d.call("GET", f + "/ratings", token=ct, params={"limit": 10}, expect=200)
    await d.call("GET", f + "/summary", token=ct, params={"min_rating": 1}, expect=200)


async def _webhooks(d: Driver, ct: str) -> None:
    w = "/v2/webhooks"
    created = await d.call("POST", w, token=ct, json=d.contract.example("POST", w), expect=201)
    one = {"token": ct, "path": {"subscription_id": created.json()["id"]}}
    await d.call("GET", w, token=ct, expect=200)
    await d.call("GET", w + "/{subscription_id}", **one, expect=200)
    sent = await d.call("POST", w + "/{subscription_id}/test", **one, expect=202)
    await d.call("GET", w + "/{subscription_id}/deliveries", **one, expect=200)
    delivery = {"token": ct, "path": {"delivery_id": sent.json()["delivery_id"]}}
    await d.call("GET", w + "/deliveries/{delivery_id}", **delivery, expect=200)
    await d.call("POST", w + "/deliveries/{delivery_id}/redeliver", **delivery, expect=202)
    replace = d.contract.example("PUT", w + "/{subscription_id}")
    await d.call("PUT", w + "/{subscription_id}", **one, json=replace, expect=200)
    off = d.contract.example("PATCH", w + "/{subscription_id}")
    await d.call("PATCH", w + "/{subscription_id}", **one, json=off, expect=200)
    await d.call("POST", w + "/{subscription_id}/test", **one, expect=409)
    await d.call("DELETE", w + "/{subscription_id}", **one, expect=204)


async def _faults(d: Driver, ct: str) -> None:
    """A rule added, listed and removed, then all of them (the example would fault the rest)."""
    f = "/v2/fulfillment_sandbox/faults"
    created = await d.call("POST", f, token=ct, json=d.contract.example("POST", f), expect=201)
    await d.call("GET", f, token=ct, expect=200)
    one = {"fault_id": created.json()["id"]}
    await d.call("DELETE", f + "/{fault_id}", token=ct, path=one, expect=200)
    await d.call("POST", f, token=ct, json=d.contract.example("POST", f), expect=201)
    await d.call("DELETE", f, token=ct, expect=200)


async def _autopilot(d: Driver, ct: str) -> None:
    """An autopilot shopper turned on with the documented body, listed, read and stopped."""
    a = "/v2/fulfillment_sandbox/autopilot"
    created = await d.call("POST", a, token=ct, json=d.contract.example("POST", a), expect=200)
    await d.call("GET", a, token=ct, expect=200)
    one = {"autopilot_id": created.json()["id"]}
    await d.call("GET", a + "/{autopilot_id}", token=ct, path=one, expect=200)
    await d.call("DELETE", a + "/{autopilot_id}", token=ct, path=one, expect=200)


async def _clock(d: Driver, ct: str) -> None:
    """The clock read, frozen at the documented time, advanced by the documented duration,
    and let go (the calls after it run on the wall clock)."""
    c = "/v2/fulfillment_sandbox/clock"
    await d.call("GET", c, token=ct, expect=200)
    await d.call("POST", c, token=ct, json=d.contract.example("POST", c), expect=200)
    advance = d.contract.example("POST", c + "/advance")
    await d.call("POST", c + "/advance", token=ct, json=advance, expect=200)
    await d.call("DELETE", c, token=ct, expect=200)


async def _account_linking(d: Driver, ct: str, w: World) -> None:
    """An Instacart user in the sandbox, a code with the documented S256 challenge, the linking
    token (the verifier is RFC 7636's, whose challenge the example shows), a link."""
    accounts = "/v2/fulfillment_sandbox/instacart_users"
    example = d.contract.example("POST", accounts)
    created = await d.call("POST", accounts, token=ct, json=example, expect=200)
    authorize = accounts + "/{user_id}/authorize"
    asked = d.contract.example("POST", authorize)
    account = {"user_id": created.json()["id"]}
    code = await d.call("POST", authorize, token=ct, path=account, json=asked, expect=200)
    await d.call("GET", accounts, token=ct, expect=200)
    await d.call("GET", accounts + "/{user_id}", token=ct, path=account, expect=200)
    exchange = {
        "client_id": w.creds.client_id,
        "client_secret": w.creds.client_secret,
        "grant_type": "authorization_code",
        "code": code.json()["code"],
        "redirect_uri": asked["redirect_uri"],
        "code_verifier": "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk",
    }
    token = await d.call("POST", "/v2/oauth/token", json=exchange, expect=200)
    link = "/v2/fulfillment/users/{user_id}/link"
    user = {"token": ct, "path": {"user_id": USER}}
    linking = {"linking_token": token.json()["access_token"]}
    await d.call("POST", link, **user, json=linking, expect=200)
    await d.call("GET", link, **user, expect=200)


async def _transactions(d: Driver, ct: str) -> None:
    """The documented point-of-sale transaction for order-1001, sent twice (the resend answers
    the same), then the order's transactions."""
    pos = "/v2/retailer_transaction/pos_transactions"
    sale = d.contract.example("POST", pos)
    first = await d.call("POST", pos, token=ct, json=sale, expect=200)
    again = await d.call("POST", pos, token=ct, json=sale, expect=200)
    assert first.json() == again.json() == {"id": sale["id"]}
    await d.call("POST", pos, token=ct, json={**sale, "total": 1}, expect=409)
    listed = await d.call("GET", pos, token=ct, params={"order_id": "order-1001"}, expect=200)
    assert [t["id"] for t in listed.json()["pos_transactions"]] == [sale["id"]]


async def test_every_operation_answers_its_success_as_documented(
    driver: Driver, world: World
) -> None:
    ct = await _tokens_and_users(driver, world)
    await _orders(driver, ct)
    await _last_mile(driver, ct)
    batch_id = await _shopping(driver, ct, world.user_token)
    await _ratings(driver, ct, world.user_token, world, batch_id)
    await _webhooks(driver, ct)
    await _faults(driver, ct)
    await _autopilot(driver, ct)
    await _clock(driver, ct)
    await _transactions(driver, ct)
    await _account_linking(driver, ct, world)
    # Last: it wipes the tenant's data.
    await driver.call("POST", "/v2/fulfillment_sandbox/reset", token=ct, json={}, expect=200)

    succeeded = {(m, t) for m, t, status in driver.contract.seen if status < 300}
    every = {(m, t) for m, t, _ in driver.contract.operations()}
    assert every - succeeded == set()


# --- The errors any operation can be made to give ---------------------------------------------

#: A path value that names nothing: numeric where the path wants an integer.
UNKNOWN = {"integer": "999999", "string": "no-such-id"}


def _unknown_path(operation: dict[str, Any]) -> dict[str, str]:
    """Unknown ids for every path parameter but ``user_id`` (a known user)."""
    values = {}
    for parameter in operation.get("parameters", []):
        if parameter["in"] == "path":
            kind = parameter["schema"].get("type", "string")
            values[parameter["name"]] = USER if parameter["name"] == "user_id" else UNKNOWN[kind]
    return values


def _token_for(operation: dict[str, Any], w: World, *, wrong: bool = False) -> str | None:
    """The kind of token the operation takes (or, ``wrong``, the other Connect kind)."""
    names = {name for requirement in operation.get("security", []) for name in requirement}
    if not names:
        return None
    if "MarketplaceToken" in names:
        return w.marketplace_token
    client = "ConnectOAuth2" in names
    return w.user_token if client == wrong else w.client_token


def _body(contract: Contract, method: str, template: str) -> dict[str, Any]:
    """The documented example as the request's body, in its first media type."""
    content = contract.operation(method, template).get("requestBody", {}).get("content", {})
    if not content:
        return {}
    media = next(iter(content))
    example = contract.example(method, template, media)
    return {"data": example} if media == FORM else {"json": example}


async def test_without_a_token_exactly_the_operations_with_security_answer_401(
    driver: Driver, world: World
) -> None:
    for method, template, operation in driver.contract.operations():
        body = _body(driver.contract, method, template)
        path = _unknown_path(operation)
        response = await driver.call(method, template, path=path, **body)
        if operation.get("security"):
            assert response.status_code == 401, (method, template, response.text)
        elif not template.startswith("/v2/oauth/"):  # client authentication, not a token
            assert response.status_code != 401, (method, template, response.text)


async def test_a_token_of_the_other_kind_answers_403(driver: Driver, world: World) -> None:
    forbidding = [
        (m, t, op) for m, t, op in driver.contract.operations() if "403" in op["responses"]
    ]
    assert len(forbidding) > 30
    for method, template, operation in forbidding:
        if template.startswith("/v2/oauth/"):
            continue  # credentials in the query string: below
        token = _token_for(operation, world, wrong=True)
        path = _unknown_path(operation)
        body = _body(driver.contract, method, template)
        await driver.call(method, template, token=token, path=path, expect=403, **body)
    for template in ("/v2/oauth/token", "/v2/oauth/token/revoke"):
        params = {"client_id": world.creds.client_id}
        await driver.call("POST", template, params=params, json={}, expect=403)


async def test_malformed_json_answers_400_in_each_envelope(driver: Driver, world: World) -> None:
    for method, template, operation in driver.contract.operations():
        if "requestBody" not in operation:
            continue
        assert "400" in operation["responses"], (method, template)
        token = _token_for(operation, world)
        path = _unknown_path(operation)
        headers = {"Content-Type": JSON}
        await driver.call(
            method, template, token=token, path=path, content=b"{no", headers=headers, expect=400
        )


#: Operations that create the user their path names when it is new (Instacart's "Create a
#: Connect user and validate an address"): an unknown user is no error there.
CREATES_USER = {("POST", "/v2/fulfillment/users/{user_id}/addresses")}


async def test_unknown_ids_answer_404_and_an_unknown_user_400(driver: Driver, world: World) -> None:
    for method, template, operation in driver.contract.operations():
        token = _token_for(operation, world)
        body = _body(driver.contract, method, template)
        path = _unknown_path(operation)
        if "404" in operation["responses"]:
            await driver.call(method, template, token=token, path=path, expect=404, **body)
        if set(path) == {"user_id"} and (method, template) not in CREATES_USER:
            path = {"user_id": "no-such-user"}
            response = await driver.call(method, template, token=token, path=path, **body)
            assert response.status_code == 400, (method, template, response.text)
            if "/v2/fulfillment/" in template:
                assert response.json()["meta"] == {"key": "user_id"}, response.text
        integers = [n for n, v in path.items() if v == UNKNOWN["integer"]]
        if integers:
            path = {**path, integers[0]: "not-a-number"}
            await driver.call(method, template, token=token, path=path, expect=400, **body)
    assert sum(1 for *_, status in driver.contract.seen if status == 404) > 25


async def test_a_body_over_the_limit_answers_413(driver: Driver, world: World) -> None:
    oversized = b"{" + b" " * MAX_BODY + b"}"
    for method, template, operation in driver.contract.operations():
        if "requestBody" not in operation:
            continue
        path = _unknown_path(operation)
        headers = {"Content-Type": JSON}
        await driver.call(
            method, template, path=path, content=oversized, headers=headers, expect=413
        )
