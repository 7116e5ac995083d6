"""Bad input is a 4xx in the path's envelope, never a 500, on both databases.

Bodies are read as JSON whatever their Content-Type says; strings no database can store (NUL, lone
surrogates) and JSON nested too deep are refused naming the field; methods a path does not take
are 405 with ``Allow`` (whatever the method's name); every Connect error has an integer code;
and an error answer keeps a kept-alive connection open.
"""

import json
import re
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from aftercart import bodies
from aftercart.auth.service import IssuedCredentials
from aftercart.envelopes import Dialect, dialect_for
from aftercart.errors import InvalidParameter
from aftercart.fulfillment import users
from tests import factories
from tests.feedback.helpers import backend_path, place_order
from tests.marketplace.helpers import feedback_body, marketplace_headers
from tests.post_checkout.helpers import arrange
from tests.sandbox.helpers import SANDBOX, Sessions, picking
from tests.stream.helpers import served

Headers = dict[str, str]
JSON = {"content-type": "application/json"}
FORM = {"content-type": "application/x-www-form-urlencoded"}
NUL = "\x00"
SURROGATE = "\ud800"


def typed(content_type: str | None) -> Headers:
    return {"content-type": content_type} if content_type else {}


def encoded(body: Any) -> str:
    """JSON text with every non-ASCII character escaped, so a lone surrogate goes as ``\\ud800``
    (httpx's ``json=`` would fail to encode it)."""
    return json.dumps(body)


def refusal(response: httpx.Response, key: str, message: str) -> None:
    """A 400 in the envelope of the request's path, naming ``key`` (Connect's ``meta.key``, a
    ``key: `` prefix elsewhere)."""
    status = 400
    assert response.status_code == status, response.text
    path = response.request.url.path
    described = f"{key}: {message}"
    body = response.json()
    if path.startswith("/v2/post_checkout"):
        assert body == {"error": described, "status": status}
    elif path.startswith("/v2/oauth"):
        assert body == {"error": "invalid_request", "error_description": described}
    elif path.startswith(("/v1/", "/security/")):
        assert body == [{"code": 1001, "description": described}]
    else:
        assert body == {"error": {"message": message, "code": 1001}, "meta": {"key": key}}


# --- Bodies are JSON whatever their Content-Type says ---------------------------------------------


@pytest.mark.parametrize(
    "content_type",
    ["application/x-www-form-urlencoded", "text/plain", None, "application/json; charset=utf-8"],
)
async def test_a_json_body_is_json_whatever_its_content_type(
    http: httpx.AsyncClient,
    sessions: Sessions,
    creds: IssuedCredentials,
    client_headers: Headers,
    content_type: str | None,
) -> None:
    # curl -d '{...}' without -H 'Content-Type: application/json' sends a form's type.
    credentials = {"client_id": creds.client_id, "client_secret": creds.client_secret}
    token = {**credentials, "grant_type": "client_credentials"}
    response = await http.post(
        "/v2/oauth/token", content=encoded(token), headers=typed(content_type)
    )
    assert response.status_code == 200, response.text
    user = {"user_id": "curl-user", "first_name": "Ada"}
    response = await http.post(
        "/v2/fulfillment/users", content=encoded(user), headers=client_headers | typed(content_type)
    )
    assert response.status_code == 200, response.text
    order = await arrange(http, sessions, creds)
    response = await http.post(
        order.messages, content=encoded({"body": "hi"}), headers=order.headers | typed(content_type)
    )
    assert response.status_code == 200, response.text
    assert response.json()["body"] == "hi"


async def test_the_token_endpoints_still_read_real_forms(
    http: httpx.AsyncClient, creds: IssuedCredentials
) -> None:
    form = {
        "client_id": creds.client_id,
        "client_secret": creds.client_secret,
        "grant_type": "client_credentials",
    }
    response = await http.post("/v2/oauth/token", data=form)
    assert response.status_code == 200, response.text
    revoke = {**form, "token": response.json()["access_token"]}
    assert (await http.post("/v2/oauth/token/revoke", data=revoke)).status_code == 200


@pytest.mark.parametrize(
    ("content_type", "sent_as"),
    [
        ("application/x-www-form-urlencoded", "sent as application/x-www-form-urlencoded"),
        ("text/plain", "sent as text/plain"),
        (None, "sent without a Content-Type"),
        ("application/json", "sent as application/json"),
    ],
)
async def test_a_body_that_is_not_json_names_the_type_it_came_as(
    http: httpx.AsyncClient,
    sessions: Sessions,
    creds: IssuedCredentials,
    client_headers: Headers,
    content_type: str | None,
    sent_as: str,
) -> None:
    order = await arrange(http, sessions, creds)
    form = "user_id=u1&first_name=Ada"
    for url, headers in [
        ("/v2/fulfillment/users", client_headers),
        (order.messages, order.headers),
        (f"{SANDBOX}/shoppers", client_headers),
    ]:
        response = await http.post(url, content=form, headers=headers | typed(content_type))
        refusal(response, "body", f"is not valid JSON ({sent_as})")
        response = await http.post(url, content=b"", headers=headers | typed(content_type))
        refusal(response, "body", f"can't be empty ({sent_as})")
        response = await http.post(
            url, content=b'{"a": "\xff"}', headers=headers | typed(content_type)
        )
        refusal(response, "body", f"is not valid UTF-8 ({sent_as})")


async def test_an_endpoint_without_a_body_still_takes_none(
    http: httpx.AsyncClient, client_headers: Headers, sessions: Sessions
) -> None:
    p = await picking(http, client_headers, sessions)
    for content in (b"", b"{}"):
        response = await http.post(p.advance_url, content=content, headers=client_headers | FORM)
        assert response.status_code == 200, response.text


# --- Strings no database can store, JSON nested too deep ------------------------------------------

Send = Callable[[str], Awaitable[httpx.Response]]


async def _target(
    name: str,
    http: httpx.AsyncClient,
    sessions: Sessions,
    creds: IssuedCredentials,
    client_headers: Headers,
) -> tuple[Send, str]:
    """How to send a string in the field ``name`` stands for, and the key its error names."""

    def post(url: str, headers: Headers, build: Callable[[str], Any]) -> Send:
        async def send(text: str) -> httpx.Response:
            return await http.post(url, content=encoded(build(text)), headers=headers | JSON)

        return send

    credentials = {"client_id": creds.client_id, "client_secret": creds.client_secret}
    grant = {"grant_type": "client_credentials"}
    if name == "client_id":
        return post("/v2/oauth/token", {}, lambda t: {**credentials, "client_id": t, **grant}), name
    if name == "client_secret":
        secret = {**credentials, **grant}
        return post("/v2/oauth/token", {}, lambda t: {**secret, "client_secret": t}), name
    if name in ("user_id", "first_name"):
        user = {"user_id": "u-1", "first_name": "Ada"}
        send = post("/v2/fulfillment/users", client_headers, lambda t: {**user, name: t})
        return send, name
    if name == "find_by.postal_code":
        url = "/v2/fulfillment/stores/delivery"
        where = {"address_line_1": "1 Main St"}
        build = lambda t: {"find_by": {**where, "postal_code": t}}  # noqa: E731
        return post(url, client_headers, build), name
    if name == "location_code":
        placed = await place_order(sessions)
        url = f"/v2/fulfillment/users/{placed.user_id}/service_options/cart/delivery"
        return post(url, client_headers, lambda t: {"location_code": t}), name
    if name == "items[0].special_instructions":
        user = (await place_order(sessions)).user_id
        item = {"line_num": "1", "count": 1, "item": {"upc": factories.upc(7)}}
        build = lambda t: {  # noqa: E731
            "order_id": "o-1",
            "service_option_hold_id": 1,
            "initial_tip_cents": 0,
            "address": {"address_line_1": "1 Main St", "postal_code": "94105"},
            "items": [{**item, "special_instructions": t}],
        }
        return post(f"/v2/fulfillment/users/{user}/orders/delivery", client_headers, build), name
    if name == "customer chat body":
        order = await arrange(http, sessions, creds)
        return post(order.messages, order.headers, lambda t: {"body": t}), "body"
    if name == "shopper chat body":
        p = await picking(http, client_headers, sessions)
        url = f"{SANDBOX}/shoppers/{p.shopper_id}/orders/{p.order_id}/messages"
        return post(url, client_headers, lambda t: {"body": t}), "body"
    if name == "thank_you_note":
        path = backend_path(await place_order(sessions))
        rating = {"rating_value": "STARS5"}
        return post(path, client_headers, lambda t: {**rating, "thank_you_note": t}), name
    if name == "feedback.comment":
        headers = await marketplace_headers(http, sessions)
        return post("/v1/feedback", headers, lambda t: feedback_body(comment=t)), name
    raise AssertionError(name)


JSON_FIELDS = [
    "client_id",
    "client_secret",
    "user_id",
    "first_name",
    "find_by.postal_code",
    "location_code",
    "items[0].special_instructions",
    "customer chat body",
    "shopper chat body",
    "thank_you_note",
    "feedback.comment",
]


@pytest.mark.parametrize("field", JSON_FIELDS)
@pytest.mark.parametrize(
    ("character", "message"),
    [(NUL, bodies.NUL_MESSAGE), (SURROGATE, bodies.SURROGATE_MESSAGE)],
)
async def test_a_string_no_database_can_store_is_400_naming_its_field(
    http: httpx.AsyncClient,
    sessions: Sessions,
    creds: IssuedCredentials,
    client_headers: Headers,
    field: str,
    character: str,
    message: str,
) -> None:
    send, key = await _target(field, http, sessions, creds, client_headers)
    refusal(await send(f"a{character}b"), key, message)


async def test_nul_in_a_form_a_path_or_a_query_is_400_naming_it(
    http: httpx.AsyncClient, client_headers: Headers, creds: IssuedCredentials
) -> None:
    form = f"client_id=a%00b&client_secret={creds.client_secret}&grant_type=client_credentials"
    response = await http.post("/v2/oauth/token", content=form, headers=FORM)
    refusal(response, "client_id", bodies.NUL_MESSAGE)
    response = await http.get("/v2/fulfillment/users/a%00b", headers=client_headers)
    refusal(response, "user_id", bodies.NUL_MESSAGE)
    response = await http.get("/v2/fulfillment/users/ab?lang=x%00", headers=client_headers)
    refusal(response, "lang", bodies.NUL_MESSAGE)


async def test_nul_in_a_user_assertion_is_refused(
    http: httpx.AsyncClient, creds: IssuedCredentials
) -> None:
    body = {
        "client_id": creds.client_id,
        "client_secret": creds.client_secret,
        "grant_type": "fulfillment_user_assertion",
        "assertion": factories.assertion("a\x00b"),
    }
    response = await http.post("/v2/oauth/token", json=body)
    assert response.status_code == 400, response.text
    assert response.json()["error"] == "invalid_grant"


async def test_the_marketplace_checks_its_token_before_the_body(
    http: httpx.AsyncClient,
) -> None:
    bad = encoded(feedback_body(comment=NUL))
    response = await http.post("/v1/feedback", content=bad, headers=JSON | factories.bearer("x"))
    assert response.status_code == 401, response.text


DEEP = "[" * 20_000 + "]" * 20_000


@pytest.mark.parametrize(
    "path",
    [
        "/v2/oauth/token",
        "/v2/oauth/token/revoke",
        "/v2/fulfillment/users",
        "/v2/post_checkout/chat/order-1/messages",
        f"{SANDBOX}/shoppers",
        "/security/oauth/token",
    ],
)
@pytest.mark.parametrize("content_type", ["application/json", None])
async def test_json_nested_20000_deep_is_400(
    http: httpx.AsyncClient, path: str, content_type: str | None
) -> None:
    response = await http.post(path, content=DEEP, headers=typed(content_type))
    refusal(response, "body", bodies.TOO_DEEP_MESSAGE)


async def test_the_marketplace_feedback_refuses_deep_json_after_its_token(
    http: httpx.AsyncClient, sessions: Sessions
) -> None:
    headers = await marketplace_headers(http, sessions)
    response = await http.post("/v1/feedback", content=DEEP, headers=headers | JSON)
    refusal(response, "body", bodies.TOO_DEEP_MESSAGE)


def test_json_may_nest_as_deep_as_the_limit_and_no_deeper() -> None:
    def nested(depth: int) -> bytes:
        return ('{"a": ' * (depth - 1) + "[]" + "}" * (depth - 1)).encode()

    assert bodies.parse_json(nested(bodies.MAX_DEPTH)) is not None
    with pytest.raises(InvalidParameter, match="too deeply"):
        bodies.parse_json(nested(bodies.MAX_DEPTH + 1))


def test_the_first_bad_string_in_document_order_is_named() -> None:
    body = {"items": [{"name": "ok"}, {"name": "a\x00", "note": "\ud800"}], "z": "\x00"}
    with pytest.raises(InvalidParameter) as raised:
        bodies.parse_json(json.dumps(body).encode())
    assert (raised.value.key, raised.value.message) == ("items[1].name", bodies.NUL_MESSAGE)
    with pytest.raises(InvalidParameter) as raised:
        bodies.parse_json(json.dumps({"a\x00": 1}).encode())
    assert raised.value.key == "body"
    # A surrogate pair is one character, and a UTF-8 byte order mark is skipped.
    assert bodies.parse_json(b'\xef\xbb\xbf{"e": "\\ud83d\\ude00"}') == {"e": "\U0001f600"}


# --- Methods: 405 with Allow, whatever the method ----------------------------------------------

METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE", "CONNECT")


def _method_error(response: httpx.Response, status: int, message: str, code: int) -> None:
    assert response.status_code == status, response.text
    path = response.request.url.path
    body = response.json()
    if dialect_for(path) is Dialect.POST_CHECKOUT:
        assert body == {"error": message, "status": status}
    elif path.startswith("/v2/oauth"):
        assert body == {"error": "invalid_request", "error_description": message}
    elif path.startswith(("/v1/", "/security/")):
        assert body == [{"code": code, "description": message}]
    else:
        assert body == {"error": {"message": message, "code": code}, "meta": {}}


async def test_every_path_answers_405_with_allow_to_a_method_it_does_not_take(
    app: FastAPI, http: httpx.AsyncClient
) -> None:
    paths: dict[str, dict[str, Any]] = app.openapi()["paths"]
    patterns = {p: re.compile(re.sub(r"\{[^}]+\}", "[^/]+", p) + "$") for p in paths}
    for path in paths:
        url = re.sub(r"\{[^}]+\}", "1", path)
        # Another template may match the same URL (``/users/1/orders/delivery``).
        taken = {m for p, ops in paths.items() if patterns[p].match(url) for m in ops}
        documented = [m for m in METHODS if m.lower() in taken]
        for method in METHODS:
            if method in documented:
                continue
            response = await http.request(method, url)
            _method_error(response, 405, "Method Not Allowed", 6405)
            assert response.headers["allow"] == ", ".join(documented), (method, path)


@pytest.mark.parametrize("method", ["BREW", "QUERY"])
async def test_any_other_method_is_405_with_allow_never_5xx(
    http: httpx.AsyncClient, method: str
) -> None:
    """Even a method HTTP does not define (or has only drafted) is the client's error."""
    response = await http.request(method, "/v2/fulfillment/users")
    _method_error(response, 405, "Method Not Allowed", 6405)
    assert response.headers["allow"] == "POST"
    assert (await http.request(method, "/nowhere")).status_code == 404


# --- Integer codes --------------------------------------------------------------------------------


async def test_connect_errors_carry_integer_codes(
    http: httpx.AsyncClient, sessions: Sessions, creds: IssuedCredentials, client_headers: Headers
) -> None:
    user = factories.bearer(
        await factories.user_token(http, creds, (await place_order(sessions)).user_id)
    )
    users_url = "/v2/fulfillment/users"
    cases = [
        (await http.get(f"{users_url}/u"), 401, 6401),
        (await http.get(f"{users_url}/u", headers=user), 403, 6403),
        (await http.request("TRACE", users_url), 405, 6405),
        (await http.post(users_url, content=b"\xff", headers=client_headers), 400, 1001),
        (await http.post(users_url, content=DEEP, headers=client_headers), 400, 1001),
    ]
    for response, status, code in cases:
        assert response.status_code == status, response.text
        assert response.json()["error"]["code"] == code, response.text


# --- An error answer keeps the connection open ---------------------------------------------------


async def test_error_answers_keep_a_kept_alive_connection_open(
    app: FastAPI, creds: IssuedCredentials, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def fails(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("a fault of ours")

    monkeypatch.setattr(users, "active_user", fails)
    one = httpx.Limits(max_connections=1, max_keepalive_connections=1)
    async with served(app) as url, httpx.AsyncClient(base_url=url, limits=one) as client:
        headers = factories.bearer(await factories.client_token(client, creds))
        token = {"client_id": creds.client_id, "client_secret": creds.client_secret}
        surrogate = encoded({**token, "client_id": SURROGATE, "grant_type": "client_credentials"})
        nul = encoded({"user_id": NUL, "first_name": "Ada"})
        bad = [
            ("POST", "/v2/oauth/token", {"content": surrogate, "headers": JSON}, 400),
            ("POST", "/v2/oauth/token", {"content": DEEP, "headers": JSON}, 400),
            ("POST", "/v2/fulfillment/users", {"content": nul, "headers": headers | JSON}, 400),
            ("TRACE", "/v2/fulfillment/users", {}, 405),
            ("GET", "/v2/fulfillment/users/u", {"headers": headers}, 500),
            ("GET", "/v2/fulfillment/users/u", {}, 401),
            ("GET", "/nowhere", {}, 404),
            ("POST", "/v2/fulfillment/users", {"content": b"x" * 2**21, "headers": headers}, 413),
        ]
        ports = set()
        for method, path, kwargs, status in bad:
            response = await client.request(method, path, **kwargs)
            assert response.status_code == status, (path, response.text)
            ports.add(_local_port(response))
            after = await client.post(
                "/v2/oauth/token", json={**token, "grant_type": "client_credentials"}
            )
            assert after.status_code == 200, (path, after.text)
            ports.add(_local_port(after))
        # One connection served them all: none was dropped after an error.
        assert len(ports) == 1


def _local_port(response: httpx.Response) -> int:
    sock = response.extensions["network_stream"].get_extra_info("socket")
    port: int = sock.getsockname()[1]
    return port
