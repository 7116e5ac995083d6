"""The sandbox's lists (Aftercart additions): shoppers, batches, Instacart users and a user's
orders, newest first, page by page, each as the calling client may see it."""

from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from aftercart.auth.service import IssuedCredentials
from aftercart.models import InstacartUser, User, UserLink
from tests import factories
from tests.sandbox.helpers import (
    SANDBOX,
    Sessions,
    arrange_order,
    assert_error,
    create_batch,
    create_shopper,
    picking,
    without_sandbox,
)

Headers = dict[str, str]


async def _walk(
    http: httpx.AsyncClient, path: str, key: str, headers: Headers, **params: Any
) -> list[list[Any]]:
    """Every page of a list, following next_cursor: each page's ids."""
    pages: list[list[Any]] = []
    cursor = None
    while True:
        query = {**params, **({"cursor": cursor} if cursor else {})}
        response = await http.get(path, params=query, headers=headers)
        assert response.status_code == 200, response.text
        body = response.json()
        pages.append([row["id"] for row in body[key]])
        cursor = body["next_cursor"]
        if cursor is None:
            return pages
        assert len(pages) < 20


async def _user(sessions: Sessions) -> str:
    async with sessions() as session:
        user = await factories.insert_user(session)
        await session.commit()
        return user.user_id


async def test_an_empty_sandbox_lists_nothing(
    http: httpx.AsyncClient, client_headers: Headers, sessions: Sessions
) -> None:
    user_id = await _user(sessions)
    for path, key in [
        ("/shoppers", "shoppers"),
        ("/batches", "batches"),
        ("/instacart_users", "instacart_users"),
        (f"/users/{user_id}/orders", "orders"),
    ]:
        response = await http.get(SANDBOX + path, headers=client_headers)
        assert response.status_code == 200, response.text
        assert response.json() == {key: [], "next_cursor": None}


async def test_shoppers_newest_first_page_by_page(
    http: httpx.AsyncClient, client_headers: Headers
) -> None:
    made = [await create_shopper(http, client_headers, first_name=f"Shopper {n}") for n in range(5)]
    pages = await _walk(http, f"{SANDBOX}/shoppers", "shoppers", client_headers, limit=2)
    assert pages == [made[4:2:-1], made[2:0:-1], made[:1]]
    response = await http.get(f"{SANDBOX}/shoppers", headers=client_headers)
    assert [s["id"] for s in response.json()["shoppers"]] == made[::-1]


async def test_a_shopper_as_listed(http: httpx.AsyncClient, client_headers: Headers) -> None:
    body = {"first_name": "Robin", "email": "Robin@Example.com", "phone": "(415) 555-0177"}
    shopper_id = await create_shopper(http, client_headers, **body)
    response = await http.get(f"{SANDBOX}/shoppers", headers=client_headers)
    [listed] = response.json()["shoppers"]
    assert set(listed) == {"id", "first_name", "email", "phone", "created_at"}
    assert listed == listed | {
        "id": shopper_id,
        "first_name": "Robin",
        "email": "robin@example.com",
        "phone": "+14155550177",
    }


async def test_a_batch_with_its_type_state_shopper_and_orders(
    http: httpx.AsyncClient, client_headers: Headers, sessions: Sessions
) -> None:
    p = await picking(http, client_headers, sessions)
    response = await http.get(f"{SANDBOX}/batches/{p.batch_id}", headers=client_headers)
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == {
        "id",
        "batch_type",
        "workflow_state",
        "next_state",
        "open",
        "shopper",
        "orders",
        "created_at",
        "updated_at",
    }
    assert (body["id"], body["batch_type"], body["workflow_state"]) == (
        p.batch_id,
        "delivery",
        "picking",
    )
    assert (body["next_state"], body["open"]) == ("verifying_replacements", True)
    assert body["shopper"]["id"] == p.shopper_id
    assert body["shopper"]["first_name"]
    [order] = body["orders"]
    assert order == order | {
        "id": p.order_id,
        "service_type": "delivery",
        "workflow_state": "picking",
        "status": "picking",
    }
    listed = await http.get(f"{SANDBOX}/batches", headers=client_headers)
    assert listed.json() == {"batches": [body], "next_cursor": None}


async def test_batches_page_by_page_and_filtered(
    http: httpx.AsyncClient, client_headers: Headers, sessions: Sessions
) -> None:
    first = await picking(http, client_headers, sessions)
    second = await picking(http, client_headers, sessions)
    done = await arrange_order(sessions)
    completed = await create_batch(
        http, client_headers, first.shopper_id, done.order_id, workflow_state="completed"
    )
    assert completed.status_code == 200, completed.text
    third = completed.json()["id"]

    pages = await _walk(http, f"{SANDBOX}/batches", "batches", client_headers, limit=1)
    assert pages == [[third], [second.batch_id], [first.batch_id]]
    opened = await _walk(
        http, f"{SANDBOX}/batches", "batches", client_headers, limit=1, state="open"
    )
    assert opened == [[second.batch_id], [first.batch_id]]
    mine = await _walk(
        http, f"{SANDBOX}/batches", "batches", client_headers, shopper_id=first.shopper_id
    )
    assert mine == [[third, first.batch_id]]
    done_batch = await http.get(f"{SANDBOX}/batches/{third}", headers=client_headers)
    assert (done_batch.json()["open"], done_batch.json()["next_state"]) == (False, None)


async def test_a_batch_whose_orders_are_canceled_is_not_open(
    http: httpx.AsyncClient, client_headers: Headers, sessions: Sessions
) -> None:
    p = await picking(http, client_headers, sessions)
    canceled = await http.post(
        f"{SANDBOX}/orders/{p.order_id}/callbacks",
        json={"event_name": "canceled"},
        headers=client_headers,
    )
    assert canceled.status_code == 200, canceled.text
    response = await http.get(f"{SANDBOX}/batches/{p.batch_id}", headers=client_headers)
    assert response.json()["open"] is False
    opened = await http.get(f"{SANDBOX}/batches", params={"state": "open"}, headers=client_headers)
    assert opened.json()["batches"] == []


async def test_another_clients_shopper_batch_and_orders_are_invisible(
    http: httpx.AsyncClient, creds: IssuedCredentials, client_headers: Headers, sessions: Sessions
) -> None:
    arranged = await arrange_order(sessions, client_id=creds.client_id)
    shopper_id = await create_shopper(http, client_headers)
    batch = await create_batch(
        http, client_headers, shopper_id, arranged.order_id, workflow_state="picking"
    )
    assert batch.status_code == 200, batch.text
    batch_id = batch.json()["id"]
    free = await create_shopper(http, client_headers)  # no batch yet, still its tenant's

    other = await factories.other_tenant_headers(http, sessions)
    shoppers = await http.get(f"{SANDBOX}/shoppers", headers=other)
    assert shoppers.json() == {"shoppers": [], "next_cursor": None}
    unknown = await http.get(f"{SANDBOX}/batches/999999", headers=other)
    response = await http.get(f"{SANDBOX}/batches/{batch_id}", headers=other)
    assert_error(response, 404, "Resource not found", 4000)
    assert response.json() == unknown.json()
    for params in ({}, {"shopper_id": shopper_id}, {"state": "open"}):
        batches = await http.get(f"{SANDBOX}/batches", params=params, headers=other)
        assert batches.json() == {"batches": [], "next_cursor": None}
    orders = await http.get(f"{SANDBOX}/users/{arranged.user_id}/orders", headers=other)
    unknown_user = await http.get(f"{SANDBOX}/users/user-unknown/orders", headers=other)
    assert_error(orders, 400, "User Not Found", 1001, key="user_id")
    assert orders.json() == unknown_user.json()
    assert arranged.order_id not in shoppers.text + batches.text + orders.text

    owner = await http.get(f"{SANDBOX}/shoppers", headers=client_headers)
    assert [s["id"] for s in owner.json()["shoppers"]] == [free, shopper_id]
    mine = await http.get(f"{SANDBOX}/users/{arranged.user_id}/orders", headers=client_headers)
    assert [o["id"] for o in mine.json()["orders"]] == [arranged.order_id]


async def test_a_batch_shows_the_orders_of_every_client_of_the_tenant(
    http: httpx.AsyncClient, creds: IssuedCredentials, client_headers: Headers, sessions: Sessions
) -> None:
    mine = await arrange_order(sessions, client_id=creds.client_id)
    theirs = await arrange_order(sessions, client_id="someone-else")
    shopper_id = await create_shopper(http, client_headers)
    batch = await create_batch(http, client_headers, shopper_id, mine.order_id, theirs.order_id)
    response = await http.get(f"{SANDBOX}/batches/{batch.json()['id']}", headers=client_headers)
    assert [o["id"] for o in response.json()["orders"]] == [mine.order_id, theirs.order_id]


async def test_a_users_orders_newest_first_with_their_links(
    http: httpx.AsyncClient, client_headers: Headers, sessions: Sessions
) -> None:
    p = await picking(http, client_headers, sessions)
    user_id = (await http.get(f"{SANDBOX}/batches/{p.batch_id}", headers=client_headers)).json()[
        "orders"
    ][0]["user_id"]
    async with sessions() as session:
        user = await session.get(User, (1, user_id))
        store = await factories.insert_store(session)
        assert user is not None
        later = [
            (await factories.insert_order(session, user=user, store=store, products=[])).order_id
            for _ in range(3)
        ]
        await session.commit()

    path = f"{SANDBOX}/users/{user_id}/orders"
    pages = await _walk(http, path, "orders", client_headers, limit=2)
    assert pages == [later[:0:-1], [later[0], p.order_id]]
    response = await http.get(path, headers=client_headers)
    oldest = response.json()["orders"][-1]
    assert set(oldest) == {
        "id",
        "service_type",
        "workflow_state",
        "status",
        "location_code",
        "batch_id",
        "shopper_id",
        "created_at",
        "order_url",
    }
    assert oldest == oldest | {
        "id": p.order_id,
        "workflow_state": "picking",
        "status": "picking",
        "batch_id": p.batch_id,
        "shopper_id": p.shopper_id,
    }
    link = urlsplit(oldest["order_url"])
    page = await http.get(f"{link.path}?{link.query}")
    assert page.status_code == 200, page.text


async def test_instacart_users_without_their_secrets(
    http: httpx.AsyncClient, client_headers: Headers, sessions: Sessions
) -> None:
    user_id = await _user(sessions)
    async with sessions() as session:
        accounts = [
            InstacartUser(
                tenant_id=1,
                email=f"kamal-{n}@example.com",
                phone="+18005550101",
                password_hash=f"scrypt$hash-{n}",
                instacartplus_member=n == 1,
            )
            for n in range(3)
        ]
        session.add_all(accounts)
        await session.flush()
        session.add(UserLink(tenant_id=1, user_id=user_id, instacart_user_id=accounts[1].id))
        await session.commit()
        ids = [account.id for account in accounts]

    pages = await _walk(
        http, f"{SANDBOX}/instacart_users", "instacart_users", client_headers, limit=2
    )
    assert pages == [ids[:0:-1], ids[:1]]
    response = await http.get(f"{SANDBOX}/instacart_users/{ids[1]}", headers=client_headers)
    assert response.status_code == 200, response.text
    assert response.json() == response.json() | {
        "id": ids[1],
        "email": "kamal-1@example.com",
        "phone": "+18005550101",
        "instacartplus_member": True,
        "linked_user_id": user_id,
    }
    assert set(response.json()) == {
        "id",
        "email",
        "phone",
        "instacartplus_member",
        "linked_user_id",
        "created_at",
    }
    listed = await http.get(f"{SANDBOX}/instacart_users", headers=client_headers)
    assert [u["linked_user_id"] for u in listed.json()["instacart_users"]] == [None, user_id, None]
    other = await factories.other_tenant_headers(http, sessions)
    theirs = await http.get(f"{SANDBOX}/instacart_users", headers=other)
    assert theirs.json() == {"instacart_users": [], "next_cursor": None}
    assert "scrypt" not in listed.text + response.text


async def test_an_instacart_user_created_through_the_api(
    http: httpx.AsyncClient, client_headers: Headers
) -> None:
    body = {"email": "Ysolde@Example.com", "phone": "8005550101", "password": "hunter2-secret"}
    created = await http.post(f"{SANDBOX}/instacart_users", json=body, headers=client_headers)
    assert created.status_code == 200, created.text
    account_id = created.json()["id"]
    response = await http.get(f"{SANDBOX}/instacart_users/{account_id}", headers=client_headers)
    assert response.json() == response.json() | {
        "email": "ysolde@example.com",
        "instacartplus_member": False,
        "linked_user_id": None,
    }
    assert "hunter2" not in response.text


async def test_bad_ids_and_parameters(
    http: httpx.AsyncClient, client_headers: Headers, sessions: Sessions
) -> None:
    unknown = await http.get(f"{SANDBOX}/batches/999999", headers=client_headers)
    assert_error(unknown, 404, "Resource not found", 4000)
    for batch_id in ("0", "-1", str(2**31), str(2**64)):
        response = await http.get(f"{SANDBOX}/batches/{batch_id}", headers=client_headers)
        assert response.json() == unknown.json(), batch_id
    response = await http.get(f"{SANDBOX}/batches/first", headers=client_headers)
    assert_error(response, 400, None, 1001, "batch_id")

    for ref in ("999999", "0", "kamal", str(2**64)):
        response = await http.get(f"{SANDBOX}/instacart_users/{ref}", headers=client_headers)
        assert_error(response, 400, "Invalid user_id", 1001, "user_id")
    response = await http.get(f"{SANDBOX}/users/no-such-user/orders", headers=client_headers)
    assert_error(response, 400, "User Not Found", 1001, "user_id")

    shopper_id = await create_shopper(http, client_headers)
    await create_shopper(http, client_headers)
    page = await http.get(f"{SANDBOX}/shoppers", params={"limit": 1}, headers=client_headers)
    cursor = page.json()["next_cursor"]
    assert cursor is not None
    for path in ("/batches", "/instacart_users"):  # another list's cursor
        response = await http.get(SANDBOX + path, params={"cursor": cursor}, headers=client_headers)
        assert_error(response, 400, "is not a valid cursor", 1001, "cursor")
    response = await http.get(
        f"{SANDBOX}/shoppers", params={"cursor": "garbage"}, headers=client_headers
    )
    assert_error(response, 400, "is not a valid cursor", 1001, "cursor")
    for params in ({"limit": 0}, {"limit": 201}, {"limit": "ten"}):
        response = await http.get(f"{SANDBOX}/shoppers", params=params, headers=client_headers)
        assert_error(response, 400, None, 1001, "limit")
    for params in ({"state": "closed"}, {"shopper_id": "sam"}):
        response = await http.get(f"{SANDBOX}/batches", params=params, headers=client_headers)
        assert_error(response, 400, None, 1001, next(iter(params)))
    rest = await http.get(f"{SANDBOX}/shoppers", params={"cursor": cursor}, headers=client_headers)
    assert [s["id"] for s in rest.json()["shoppers"]] == [shopper_id]


async def test_the_lists_need_a_client_token(
    http: httpx.AsyncClient, creds: IssuedCredentials, sessions: Sessions
) -> None:
    user_id = await _user(sessions)
    user = factories.bearer(await factories.user_token(http, creds, user_id))
    for path in ("/shoppers", "/batches", "/batches/1", "/instacart_users", "/instacart_users/1"):
        assert (await http.get(SANDBOX + path)).status_code == 401
        assert (await http.get(SANDBOX + path, headers=user)).status_code == 403


@pytest.mark.parametrize(
    "path",
    [
        "/shoppers",
        "/batches",
        "/batches/1",
        "/instacart_users",
        "/instacart_users/1",
        "/users/jane-123/orders",
    ],
)
async def test_without_the_sandbox_the_lists_do_not_exist(
    database_url: str, client_headers: Headers, path: str
) -> None:
    async with without_sandbox(database_url) as http:
        response = await http.get(SANDBOX + path, headers=client_headers)
        assert_error(response, 404, "Resource not found", 4000)
