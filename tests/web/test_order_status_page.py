"""The hosted order status page that ``order_url`` links to, over HTTP: what it shows for
delivery and pickup orders as they move, and the 404 of every link that is not the order's."""

import re
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from aftercart.auth.service import IssuedCredentials
from aftercart.config import Settings
from aftercart.fulfillment import status_tokens
from aftercart.web.templating import static_url
from tests.conftest import suite_settings
from tests.fulfillment.changes_helpers import set_state
from tests.fulfillment.helpers import Shop, arrange_shop, place_order
from tests.sandbox.helpers import create_batch
from tests.web.helpers import (
    GROCERIES,
    REPLACEMENT,
    Grocery,
    Placed,
    advance,
    arrange_grocery,
    place,
    reject_replacement,
    shop_every_kind,
    start_shopping,
)
from tests.web.page import OrderStatusPage

Sessions = async_sessionmaker[AsyncSession]
Headers = dict[str, str]
DELIVERY_STEPS = [
    "We got your order",
    "Shopping in progress",
    "Review replacements",
    "Shopping complete",
    "Out for delivery",
    "Delivered",
]


@pytest.fixture
async def grocery(sessions: Sessions) -> Grocery:
    return await arrange_grocery(sessions)


async def open_page(http: httpx.AsyncClient, placed: Placed) -> OrderStatusPage:
    response = await http.get(placed.order_url)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/html")
    return OrderStatusPage(response.text)


# --- Delivery ------------------------------------------------------------------------------------


async def test_a_new_delivery_order(
    http: httpx.AsyncClient, client_headers: Headers, grocery: Grocery
) -> None:
    placed = await place(http, client_headers, grocery, "o-1")
    page = await open_page(http, placed)
    assert page.headline == "We got your order"
    assert [step.label for step in page.steps] == DELIVERY_STEPS
    assert page.current == ["We got your order"]
    assert [step.progress for step in page.steps] == ["current"] + ["upcoming"] * 5
    assert page.facts["Store"] == "Corner Grocer 1 Market St San Francisco, CA 94105"
    assert page.facts["Deliver to"] == "500 Howard St 94105"
    assert page.facts["Delivery window"].endswith(("PST", "PDT"))
    assert page.facts["Your shopper"] == "Not assigned yet"
    assert [(item.name, item.badge) for item in page.items] == [
        (name, "Not shopped yet") for name in GROCERIES
    ]
    assert page.facts["To be charged"] == "nothing"
    assert page.facts["Refunded"] == "nothing"
    assert page.facts["Not shopped yet"] == "10 items"


async def test_a_delivery_order_being_shopped(
    http: httpx.AsyncClient, client_headers: Headers, grocery: Grocery
) -> None:
    placed = await start_shopping(
        http, client_headers, await place(http, client_headers, grocery, "o-1")
    )
    await shop_every_kind(http, client_headers, placed, grocery)
    page = await open_page(http, placed)
    assert page.current == ["Shopping in progress"]
    assert [step.progress for step in page.steps[:2]] == ["done", "current"]
    assert page.facts["Your shopper"] == "Sam"
    assert [(item.name, item.badge) for item in page.items] == [
        ("Whole Milk", "Found"),
        ("2% Reduced Fat Milk", "Partly found"),
        ("Greek Yogurt", "Replaced"),
        ("Salted Butter", "Refunded"),
        ("Bananas", "Not shopped yet"),
    ]
    assert page.items[1].note == "1 of 2 found."
    assert page.items[2].note.startswith(f"Replaced by {REPLACEMENT} (2 ×). Waiting for your")
    assert page.facts["To be charged"] == "5 items"  # 2 found, 1 of 2, 2 of the replacement
    assert page.facts["Refunded"] == "3 items"  # 1 missing, 2 refunded
    assert page.facts["Not shopped yet"] == "2 items"


async def test_a_rejected_replacement_is_refunded(
    http: httpx.AsyncClient, client_headers: Headers, grocery: Grocery, creds: IssuedCredentials
) -> None:
    placed = await start_shopping(
        http, client_headers, await place(http, client_headers, grocery, "o-1")
    )
    await shop_every_kind(http, client_headers, placed, grocery)
    await reject_replacement(http, creds, placed, "3")
    page = await open_page(http, placed)
    assert (page.items[2].badge, page.items[2].note) == (
        "Refunded",
        f"You turned down {REPLACEMENT}.",
    )
    assert page.facts["Refunded"] == "5 items"


@pytest.mark.parametrize(
    ("workflow_state", "current"),
    [
        ("verifying_replacements", "Review replacements"),
        ("checkout", "Shopping complete"),
        ("delivering", "Out for delivery"),
        ("completed", "Delivered"),
    ],
)
async def test_a_delivery_order_further_on(
    http: httpx.AsyncClient,
    client_headers: Headers,
    grocery: Grocery,
    workflow_state: str,
    current: str,
) -> None:
    placed = await start_shopping(
        http, client_headers, await place(http, client_headers, grocery, "o-1")
    )
    await shop_every_kind(http, client_headers, placed, grocery)
    await advance(http, client_headers, placed, workflow_state)
    page = await open_page(http, placed)
    assert page.current == [current]
    assert page.headline == current
    index = DELIVERY_STEPS.index(current)
    assert {step.progress for step in page.steps[:index]} <= {"done"}
    if workflow_state != "verifying_replacements":
        # Leaving the picking states settles the untouched line as found and the replacement
        # nobody answered as approved.
        assert page.items[4].badge == "Found"
        assert page.items[2].note == f"Replaced by {REPLACEMENT} (2 ×)."
        assert "Not shopped yet" not in page.facts
        assert page.facts["To be charged"] == "7 items"


async def test_a_canceled_order(
    http: httpx.AsyncClient, client_headers: Headers, grocery: Grocery
) -> None:
    placed = await place(http, client_headers, grocery, "o-1")
    canceled = await http.post(
        "/v2/fulfillment/users/user-1/orders/o-1/cancel", headers=client_headers
    )
    assert canceled.status_code == 200, canceled.text
    response = await http.get(placed.order_url)
    page = OrderStatusPage(response.text)
    assert page.headline == "Canceled"
    assert page.steps == []
    assert "This order was canceled. The store canceled it. Nothing will be charged." in (
        " ".join(response.text.split())
    )
    assert {item.badge for item in page.items} == {"Canceled"}
    assert "Your shopper" not in page.facts
    assert page.facts["To be charged"] == "nothing"


# --- Pickup --------------------------------------------------------------------------------------


async def test_a_pickup_order_from_placing_to_pickup(
    http: httpx.AsyncClient, client_headers: Headers, grocery: Grocery
) -> None:
    placed = await place(http, client_headers, grocery, "p-1", "pickup")
    page = await open_page(http, placed)
    assert [step.label for step in page.steps][-2:] == ["Ready for pickup", "Picked up"]
    assert page.current == ["We got your order"]
    assert page.facts["Pick up at"] == "Corner Grocer 1 Market St San Francisco, CA 94105"
    assert "Deliver to" not in page.facts
    assert page.facts["Pickup window"].endswith(("PST", "PDT"))

    placed = await start_shopping(http, client_headers, placed, workflow_state="staged")
    page = await open_page(http, placed)
    assert (page.headline, page.current) == ("Ready for pickup", ["Ready for pickup"])
    assert page.facts["Your shopper"] == "Sam"
    assert {item.badge for item in page.items} == {"Found"}
    assert page.facts["To be charged"] == "10 items"

    runner = await create_batch(
        http,
        client_headers,
        placed.shopper_id or 0,
        placed.order_id,
        batch_type="runner_customer",
        workflow_state="completed",
    )
    assert runner.status_code == 200, runner.text
    page = await open_page(http, placed)
    assert page.current == ["Picked up"]
    assert {step.progress for step in page.steps[:-1]} == {"done"}


async def test_a_pickup_order_being_shopped(
    http: httpx.AsyncClient, client_headers: Headers, grocery: Grocery
) -> None:
    placed = await place(http, client_headers, grocery, "p-1", "pickup")
    placed = await start_shopping(http, client_headers, placed)
    await shop_every_kind(http, client_headers, placed, grocery)
    page = await open_page(http, placed)
    assert page.current == ["Shopping in progress"]
    assert [item.badge for item in page.items] == [
        "Found",
        "Partly found",
        "Replaced",
        "Refunded",
        "Not shopped yet",
    ]


# --- Links that are not the order's ---------------------------------------------------------------


async def test_a_tampered_or_foreign_link_is_a_404_that_says_nothing(
    http: httpx.AsyncClient, client_headers: Headers, grocery: Grocery
) -> None:
    placed = await place(http, client_headers, grocery, "o-1")
    await place(http, client_headers, grocery, "o-2")
    token = parse_qs(urlsplit(placed.order_url).query)["token"][0]
    tampered = f"{token[:-1]}{'B' if token[-1] == 'A' else 'A'}"
    for wrong in (
        f"/orders/o-1/status?token={tampered}",
        f"/orders/o-1/status?token={token}x",
        "/orders/o-1/status",
        "/orders/o-1/status?token=",
        f"/orders/o-2/status?token={token}",
        f"/orders/nope/status?token={token}",
    ):
        answer = await http.get(wrong)
        assert answer.status_code == 404, wrong
        assert answer.headers["content-type"].startswith("text/html")
        assert answer.headers["cache-control"] == "no-store"
        assert OrderStatusPage(answer.text).headline == "Order not found"
        assert GROCERIES[0] not in answer.text


@pytest.fixture
def settings(database_url: str, request: pytest.FixtureRequest) -> Settings:
    return suite_settings(database_url, **getattr(request, "param", {}))


@pytest.mark.parametrize("settings", [{"order_url_secret": "the-new-key"}], indirect=True)
async def test_a_link_signed_with_a_replaced_secret_has_expired(
    http: httpx.AsyncClient, client_headers: Headers, grocery: Grocery
) -> None:
    """Links carry no date: they expire only when ``AFTERCART_ORDER_URL_SECRET`` changes."""
    placed = await place(http, client_headers, grocery, "o-1")
    assert (await http.get(placed.order_url)).status_code == 200
    old = status_tokens.status_url("http://testserver", 1, "o-1", b"the-old-key")
    answer = await http.get(old)
    assert answer.status_code == 404
    assert "Order not found" in answer.text


# --- The page itself -----------------------------------------------------------------------------


async def test_the_page_loads_only_its_own_files_and_keeps_its_link_private(
    http: httpx.AsyncClient, client_headers: Headers, grocery: Grocery, app: FastAPI
) -> None:
    placed = await place(http, client_headers, grocery, "o-1")
    response = await http.get(placed.order_url)
    headers = response.headers
    assert headers["cache-control"] == "no-store"
    assert headers["referrer-policy"] == "no-referrer"
    assert headers["x-content-type-options"] == "nosniff"
    assert "default-src 'none'" in headers["content-security-policy"]
    scripts = re.findall(r"<script[^>]*>", response.text)
    assert scripts == [f'<script src="{static_url("order_status.js")}" defer>']
    assert f'href="{static_url("aftercart.css")}"' in response.text
    script = await http.get(static_url("order_status.js"))
    assert script.status_code == 200
    assert "javascript" in script.headers["content-type"]
    css = await http.get(static_url("aftercart.css"))
    assert css.status_code == 200
    assert css.headers["content-type"].startswith("text/css")
    assert ":focus-visible" in css.text
    assert (await http.get("/static/nothing.css")).status_code == 404
    assert not any("/status" in path for path in app.openapi()["paths"])


# --- Moved from the first, plain page ------------------------------------------------------------


@pytest.fixture
async def shop(sessions: Sessions) -> Shop:
    return await arrange_shop(sessions, products=2)


async def test_every_order_answer_carries_a_link_to_a_page_that_answers(
    http: httpx.AsyncClient, client_headers: Headers, shop: Shop, sessions: Sessions
) -> None:
    created = await place_order(http, client_headers, shop, "user-1", "o-1")
    fetched = await http.get("/v2/fulfillment/users/user-1/orders/o-1", headers=client_headers)
    url = created["order_url"]
    assert fetched.json()["order_url"] == url
    parts = urlsplit(url)
    assert (parts.scheme, parts.netloc, parts.path) == ("http", "testserver", "/orders/o-1/status")
    page = await http.get(url)
    assert page.status_code == 200
    assert "We got your order" in page.text
    assert shop.products[0].name in page.text
    assert 'data-order-status="brand_new"' in page.text

    await set_state(sessions, "o-1", "delivering")
    assert OrderStatusPage((await http.get(url)).text).current == ["Out for delivery"]
    canceled = await http.post(
        "/v2/fulfillment/users/user-1/orders/o-1/cancel", headers=client_headers
    )
    assert canceled.status_code == 400  # delivering: too late to cancel


async def test_an_order_id_with_a_slash_and_markup(
    http: httpx.AsyncClient, client_headers: Headers, shop: Shop
) -> None:
    created = await place_order(http, client_headers, shop, "user-1", "a/<b>")
    assert "/orders/a%2F%3Cb%3E/status?token=" in created["order_url"]
    page = await http.get(created["order_url"])
    assert page.status_code == 200
    assert "a/&lt;b&gt;" in page.text
    assert "<b>" not in page.text
