"""Two retailers on one Aftercart, through the public API only: each a Connect client of a tenant
of its own, both using the same user id and the same order id, their steps interleaved. Each
sees its own user, order, items, chat, shopper, batch, rating and webhook deliveries, and never a
word of the other's; an id of the other's answers as an id that exists nowhere. A second client
of a tenant sees what the first one made.

Every name, chat line and note is distinct per tenant, so that a leak shows as a substring.
"""

from dataclasses import dataclass, field
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from aftercart.auth.service import IssuedCredentials
from tests import factories
from tests.fulfillment.helpers import (
    arrange_shop,
    create_user,
    hold_for,
    order_body,
    post_order,
)
from tests.sandbox.helpers import SANDBOX, create_shopper

Headers = dict[str, str]
Sessions = async_sessionmaker[AsyncSession]

#: The ids both retailers use.
USER, ORDER = "shared-user-7", "shared-order-7"
#: A row id that exists in no tenant.
NOWHERE = 999999


@dataclass
class Retailer:
    """A tenant's client, its distinct words, and the ids the API gave it."""

    creds: IssuedCredentials
    headers: Headers
    first_name: str
    last_name: str
    shopper_name: str
    chat: str
    reply: str
    note: str
    hook_url: str
    stars: str
    #: How many of the shop's products it orders, and what its shopper does with line 1.
    lines: int
    line_1: dict[str, Any]
    #: Line 1 as its customer sees it.
    line_1_seen: str
    shopper_id: int = 0
    batch_id: int = 0
    hook_id: int = 0
    user_headers: Headers = field(default_factory=dict)

    def words(self) -> list[str]:
        """What no answer to the other retailer may carry."""
        return [
            self.first_name,
            self.last_name,
            self.shopper_name,
            self.chat,
            self.reply,
            self.note,
            self.hook_url,
        ]


async def _retailer(http: httpx.AsyncClient, sessions: Sessions, name: str) -> Retailer:
    """A client in a new tenant of its own."""
    creds = await factories.make_api_client(sessions, f"Retailer {name}", tenant_id=None)
    headers = factories.bearer(await factories.client_token(http, creds))
    if name == "A":
        return Retailer(
            creds,
            headers,
            first_name="Araminta",
            last_name="Ashcombe",
            shopper_name="Ottoline",
            chat="Apples were bruised, took the firmer ones",
            reply="Apples fine, thank you Ottoline",
            note="Arrived early, Ottoline was lovely",
            hook_url="http://127.0.0.1:9/hooks-retailer-a",
            stars="STARS5",
            lines=3,
            line_1={"status": "found"},
            line_1_seen="found",
        )
    return Retailer(
        creds,
        headers,
        first_name="Bellamira",
        last_name="Brackenbury",
        shopper_name="Percival",
        chat="Bread is sold out, refunding it",
        reply="No bread then, thanks Percival",
        note="Late, and Percival forgot the eggs",
        hook_url="http://127.0.0.1:9/hooks-retailer-b",
        stars="STARS2",
        lines=2,
        line_1={"status": "to_refund", "delivered_count": 0},
        line_1_seen="refunded",
    )


def assert_none_of(response: httpx.Response, words: list[str]) -> None:
    text = response.text.casefold()
    found = [word for word in words if word.casefold() in text]
    assert not found, f"{response.request.url} carries the other tenant's {found}: {response.text}"


def answer(response: httpx.Response) -> tuple[int, Any]:
    return response.status_code, response.json() if response.content else None


async def _ok(response: httpx.Response, status: int = 200) -> Any:
    assert response.status_code == status, (response.request.url, response.text)
    return response.json()


async def test_two_tenants_with_the_same_ids_see_only_their_own(
    http: httpx.AsyncClient, sessions: Sessions
) -> None:
    shop = await arrange_shop(sessions, products=3)
    a, b = await _retailer(http, sessions, "A"), await _retailer(http, sessions, "B")
    assert a.creds.tenant_id != b.creds.tenant_id
    both = (a, b)

    for r in both:
        hook = await http.post("/v2/webhooks", json={"url": r.hook_url}, headers=r.headers)
        r.hook_id = (await _ok(hook, 201))["id"]
    for r in both:
        user = await create_user(
            http, r.headers, USER, first_name=r.first_name, last_name=r.last_name
        )
        assert user["first_name"] == r.first_name
    for r in both:
        hold = await hold_for(http, r.headers, USER, shop.store.location_code)
        body = order_body(ORDER, hold["id"], shop.upcs[: r.lines])
        order = await _ok(await post_order(http, r.headers, USER, body))
        assert order["id"] == ORDER
    for r in both:
        r.shopper_id = await create_shopper(http, r.headers, first_name=r.shopper_name)
    assert a.shopper_id != b.shopper_id

    # A's shopper, B's batch: to the other tenant, as ids that exist nowhere.
    for r, o in ((a, b), (b, a)):
        for path in (f"{SANDBOX}/shoppers/{{}}", f"{SANDBOX}/shoppers/{{}}/orders/{ORDER}/items/1"):
            theirs = await http.get(path.format(o.shopper_id), headers=r.headers)
            nowhere = await http.get(path.format(NOWHERE), headers=r.headers)
            assert answer(theirs) == answer(nowhere)
        batch = {"orders": [{"id": ORDER, "user_id": USER}]}
        theirs = await http.post(
            f"{SANDBOX}/batches", json={**batch, "shopper_id": o.shopper_id}, headers=r.headers
        )
        nowhere = await http.post(
            f"{SANDBOX}/batches", json={**batch, "shopper_id": NOWHERE}, headers=r.headers
        )
        assert theirs.status_code == 400, theirs.text
        assert answer(theirs) == answer(nowhere)

    for r in both:
        body = {"shopper_id": r.shopper_id, "orders": [{"id": ORDER, "user_id": USER}]}
        batch = await _ok(await http.post(f"{SANDBOX}/batches", json=body, headers=r.headers))
        assert batch["workflow_state"] == "acknowledged"
        r.batch_id = batch["id"]
    assert a.batch_id != b.batch_id
    for r, o in ((a, b), (b, a)):
        theirs = await http.get(f"{SANDBOX}/batches/{o.batch_id}", headers=r.headers)
        nowhere = await http.get(f"{SANDBOX}/batches/{NOWHERE}", headers=r.headers)
        assert theirs.status_code == 404
        assert answer(theirs) == answer(nowhere)
        theirs = await http.post(f"{SANDBOX}/batches/{o.batch_id}/advance", headers=r.headers)
        nowhere = await http.post(f"{SANDBOX}/batches/{NOWHERE}/advance", headers=r.headers)
        assert answer(theirs) == answer(nowhere)
    for r in both:
        advance = f"{SANDBOX}/batches/{r.batch_id}/advance"
        moved = await _ok(await http.post(advance, headers=r.headers))
        assert moved["workflow_state"] == "picking"

    for r in both:
        shopping = f"{SANDBOX}/shoppers/{r.shopper_id}/orders/{ORDER}"
        await _ok(await http.put(f"{shopping}/items/1", json=r.line_1, headers=r.headers))
        said = await http.post(f"{shopping}/messages", json={"body": r.chat}, headers=r.headers)
        assert (await _ok(said))["body"] == r.chat
    for r in both:
        r.user_headers = factories.bearer(await factories.user_token(http, r.creds, USER))
        replied = await http.post(
            f"/v2/post_checkout/chat/{ORDER}/messages",
            json={"body": r.reply},
            headers=r.user_headers,
        )
        await _ok(replied)
    for state in ("checkout", "delivering", "completed"):
        for r in both:
            advance = f"{SANDBOX}/batches/{r.batch_id}/advance"
            moved = await http.post(advance, json={"workflow_state": state}, headers=r.headers)
            assert (await _ok(moved))["workflow_state"] == state
    for r in both:
        rated = await http.post(
            f"/v2/feedback/users/{USER}/orders/{ORDER}/rating",
            json={"rating_value": r.stars, "thank_you_note": r.note},
            headers=r.headers,
        )
        assert (await _ok(rated)) == {"success": True}

    for r, o in ((a, b), (b, a)):
        await _sees_only_its_own(http, r, o)
    a_events = await _own_deliveries(http, a, b)
    b_events = await _own_deliveries(http, b, a)
    assert not a_events & b_events, "an event was delivered to both tenants"


async def _sees_only_its_own(http: httpx.AsyncClient, r: Retailer, o: Retailer) -> None:
    """``r``'s reads: its own data, and none of ``o``'s words."""

    async def read(path: str, headers: Headers | None = None) -> Any:
        response = await http.get(path, headers=headers or r.headers)
        assert_none_of(response, o.words())
        return await _ok(response)

    user = await read(f"/v2/fulfillment/users/{USER}")
    assert (user["first_name"], user["last_name"]) == (r.first_name, r.last_name)

    items = (await read(f"/v2/post_checkout/orders/{ORDER}/items", r.user_headers))["items"]
    assert len(items) == r.lines
    assert {i["id"]: i["status"] for i in items}["1"] == r.line_1_seen
    chat = (await read(f"/v2/post_checkout/chat/{ORDER}/messages", r.user_headers))["messages"]
    assert [(m["sender"], m["body"]) for m in chat] == [
        ("shopper", r.chat),
        ("customer", r.reply),
    ]
    shopper_chat = await read(f"{SANDBOX}/shoppers/{r.shopper_id}/orders/{ORDER}/messages")
    assert [m["body"] for m in shopper_chat["messages"]] == [r.chat, r.reply]

    orders = (await read(f"{SANDBOX}/users/{USER}/orders"))["orders"]
    assert [(x["id"], x["batch_id"], x["shopper_id"]) for x in orders] == [
        (ORDER, r.batch_id, r.shopper_id)
    ]
    shoppers = (await read(f"{SANDBOX}/shoppers"))["shoppers"]
    assert [(s["id"], s["first_name"]) for s in shoppers] == [(r.shopper_id, r.shopper_name)]
    batches = (await read(f"{SANDBOX}/batches"))["batches"]
    assert [(x["id"], x["shopper"]["id"]) for x in batches] == [(r.batch_id, r.shopper_id)]
    assert [x["id"] for x in batches[0]["orders"]] == [ORDER]

    ratings = (await read("/v2/feedback/ratings"))["ratings"]
    assert [(x["order_id"], x["rating_value"], x["thank_you_note"]) for x in ratings] == [
        (ORDER, r.stars, r.note)
    ]
    assert [x["shopper_id"] for x in ratings] in ([r.shopper_id], [None])
    summary = await read("/v2/feedback/summary")
    assert summary["count"] == 1

    hooks = (await read("/v2/webhooks"))["webhooks"]
    assert [(h["id"], h["url"]) for h in hooks] == [(r.hook_id, r.hook_url)]
    for path in (f"/v2/webhooks/{o.hook_id}", f"/v2/webhooks/{o.hook_id}/deliveries"):
        theirs = await http.get(path, headers=r.headers)
        nowhere = await http.get(path.replace(str(o.hook_id), str(NOWHERE)), headers=r.headers)
        assert theirs.status_code == 404
        assert answer(theirs) == answer(nowhere)


async def _own_deliveries(http: httpx.AsyncClient, r: Retailer, o: Retailer) -> set[int]:
    """``r``'s webhook deliveries: its own events only (its chat, its rating note), each one
    unreadable by ``o``; returns their event ids."""
    listed = await http.get(f"/v2/webhooks/{r.hook_id}/deliveries?limit=200", headers=r.headers)
    deliveries = (await _ok(listed))["deliveries"]
    assert deliveries, "no delivery for the retailer's own events"
    payloads = []
    for delivery in deliveries:
        path = f"/v2/webhooks/deliveries/{delivery['id']}"
        detail = await http.get(path, headers=r.headers)
        assert_none_of(detail, o.words())
        payloads.append((await _ok(detail))["payload"])
        theirs = await http.get(path, headers=o.headers)
        nowhere = await http.get(f"/v2/webhooks/deliveries/{NOWHERE}", headers=o.headers)
        assert theirs.status_code == 404
        assert answer(theirs) == answer(nowhere)
    chat = [
        p["event_metadata"]["message"]["body"]
        for p in payloads
        if p["event_name"] == "chat_message_created"
    ]
    assert sorted(chat) == sorted([r.chat, r.reply])
    [rating] = [p for p in payloads if p["event_name"] == "fulfillment.rating_updated"]
    assert rating["event_metadata"]["rating"]["thank_you_note"] == r.note
    metadata = [p["event_metadata"] for p in payloads]
    assert {m["order_id"] for m in metadata} == {ORDER}
    assert {m["shopper_id"] for m in metadata if "shopper_id" in m} == {r.shopper_id}
    assert {m["batch_id"] for m in metadata if "batch_id" in m} == {r.batch_id}
    return {delivery["event_id"] for delivery in deliveries}


async def test_a_second_client_of_a_tenant_sees_the_first_ones_order(
    http: httpx.AsyncClient, sessions: Sessions
) -> None:
    shop = await arrange_shop(sessions, products=2)
    first = await factories.make_api_client(sessions, "Retailer backend", tenant_id=None)
    first_headers = factories.bearer(await factories.client_token(http, first))
    await create_user(http, first_headers, USER, first_name="Philippa")
    hold = await hold_for(http, first_headers, USER, shop.store.location_code)
    await _ok(await post_order(http, first_headers, USER, order_body(ORDER, hold["id"], shop.upcs)))
    shopper_id = await create_shopper(http, first_headers, first_name="Quentin")

    second = await factories.make_api_client(
        sessions, "Retailer frontend", tenant_id=first.tenant_id
    )
    assert second.tenant_id == first.tenant_id
    second_headers = factories.bearer(await factories.client_token(http, second))
    stranger = await factories.make_api_client(sessions, "Another retailer", tenant_id=None)
    stranger_headers = factories.bearer(await factories.client_token(http, stranger))
    await create_user(http, stranger_headers, USER, first_name="Rosalind")

    path = f"/v2/fulfillment/users/{USER}/orders/{ORDER}"
    as_first = await _ok(await http.get(path, headers=first_headers))
    assert as_first["id"] == ORDER
    assert await _ok(await http.get(path, headers=second_headers)) == as_first
    user = await _ok(await http.get(f"/v2/fulfillment/users/{USER}", headers=second_headers))
    assert user["first_name"] == "Philippa"
    shoppers = await _ok(await http.get(f"{SANDBOX}/shoppers", headers=second_headers))
    assert [(s["id"], s["first_name"]) for s in shoppers["shoppers"]] == [(shopper_id, "Quentin")]
    listed = await _ok(await http.get(f"{SANDBOX}/users/{USER}/orders", headers=second_headers))
    assert [o["id"] for o in listed["orders"]] == [ORDER]
    customer = factories.bearer(await factories.user_token(http, second, USER))
    items = await _ok(await http.get(f"/v2/post_checkout/orders/{ORDER}/items", headers=customer))
    assert len(items["items"]) == len(shop.upcs)

    # And a client of another tenant does not: the same order, as an unknown one.
    theirs = await http.get(path, headers=stranger_headers)
    nowhere = await http.get(
        f"/v2/fulfillment/users/{USER}/orders/ord-unknown-zq7", headers=stranger_headers
    )
    assert theirs.status_code == 404, theirs.text
    assert answer(theirs) == answer(nowhere)
    assert_none_of(theirs, ["Philippa", "Quentin"])
    shoppers = await _ok(await http.get(f"{SANDBOX}/shoppers", headers=stranger_headers))
    assert shoppers["shoppers"] == []
