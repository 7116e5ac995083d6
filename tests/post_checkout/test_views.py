"""GET handling and GET items: what the customer sees of the order and of each line."""

from decimal import Decimal

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from aftercart.auth.service import IssuedCredentials
from aftercart.models import Order, OrderItem
from tests.factories import insert_product
from tests.post_checkout.helpers import arrange, item_row, propose, set_item, set_order

SHOPPER = {"first_name": "Sam", "phone": "(415) 555-4567"}


async def test_handling_of_a_delivery_order_with_a_shopper(
    http: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession], creds: IssuedCredentials
) -> None:
    order = await arrange(
        http,
        sessions,
        creds,
        shopper=SHOPPER,
        address={
            "address_line_1": "500 Howard St",
            "address_line_2": "Apt 4",
            "postal_code": "94105",
        },
        latitude=37.78,
        longitude=-122.39,
    )
    response = await http.get(order.handling, headers=order.headers)
    assert response.status_code == 200
    assert response.json() == {
        "order_id": order.order_id,
        "status": "picking",
        "address": {
            "address_line_1": "500 Howard St",
            "address_line_2": "Apt 4",
            "postal_code": "94105",
        },
        "coordinates": {"latitude": 37.78, "longitude": -122.39},
        "shopper": {"name": "Sam", "phone_number": "(***) ***-4567"},
        "notes": "Ring the bell",
    }


async def test_handling_before_a_shopper_uses_the_postal_code_centroid(
    http: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession], creds: IssuedCredentials
) -> None:
    order = await arrange(http, sessions, creds, workflow_state="brand_new")
    body = (await http.get(order.handling, headers=order.headers)).json()
    assert body["status"] == "brand_new"
    assert "shopper" not in body
    assert body["coordinates"] == {
        "latitude": pytest.approx(37.7864),
        "longitude": pytest.approx(-122.3892),
    }


async def test_handling_without_coordinates_or_notes_omits_them(
    http: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession], creds: IssuedCredentials
) -> None:
    order = await arrange(
        http,
        sessions,
        creds,
        address={"address_line_1": "10 Downing St", "postal_code": "SW1A 2AA"},
        special_instructions=None,
        shopper={"first_name": "Kim", "phone": None},
    )
    body = (await http.get(order.handling, headers=order.headers)).json()
    assert "coordinates" not in body
    assert "notes" not in body
    assert body["shopper"] == {"name": "Kim"}


async def test_handling_of_a_pickup_order_gives_the_store(
    http: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession], creds: IssuedCredentials
) -> None:
    order = await arrange(http, sessions, creds, service_type="pickup", workflow_state="staged")
    body = (await http.get(order.handling, headers=order.headers)).json()
    assert body["status"] == "staging"
    assert body["address"] == {
        "address_line_1": "1 Market St",
        "city": "San Francisco",
        "state": "CA",
        "postal_code": "94105",
    }
    assert body["coordinates"] == {"latitude": 37.7936, "longitude": -122.3958}


@pytest.mark.parametrize(
    ("workflow_state", "status"),
    [
        ("acknowledged", "acknowledged"),
        ("verifying_replacements", "picking"),
        ("checkout", "staging"),
        ("delivering", "delivering"),
        ("completed", "delivered"),
        ("canceled", "canceled"),
    ],
)
async def test_handling_status_follows_the_workflow_state(
    http: httpx.AsyncClient,
    sessions: async_sessionmaker[AsyncSession],
    creds: IssuedCredentials,
    workflow_state: str,
    status: str,
) -> None:
    order = await arrange(http, sessions, creds, workflow_state=workflow_state)
    body = (await http.get(order.handling, headers=order.headers)).json()
    assert body["status"] == status


async def test_items_before_picking_are_pending(
    http: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession], creds: IssuedCredentials
) -> None:
    order = await arrange(http, sessions, creds, workflow_state="acknowledged", lines=2)
    response = await http.get(order.items, headers=order.headers)
    assert response.status_code == 200
    assert response.json() == {
        "items": [
            {"id": "1", "product_name": order.products[0].name, "quantity": 2, "status": "pending"},
            {"id": "2", "product_name": order.products[1].name, "quantity": 2, "status": "pending"},
        ]
    }


async def test_items_while_picking_show_each_outcome(
    http: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession], creds: IssuedCredentials
) -> None:
    order = await arrange(http, sessions, creds, lines=5)
    await set_item(sessions, order.order_id, "1", shopper_status="found", delivered_count=1)
    await propose(sessions, order, "2", delivered_count=3)
    await set_item(sessions, order.order_id, "3", shopper_status="to_refund", delivered_count=0)
    await set_item(sessions, order.order_id, "4", removed=True)
    await propose(sessions, order, "5", spare=1)
    await set_item(
        sessions,
        order.order_id,
        "5",
        shopper_status="to_refund",
        replacement_status="REJECTED",
        delivered_count=0,
    )
    item_5 = await item_row(sessions, order.order_id, "5")
    async with sessions() as session:
        session.add(
            OrderItem(
                order_pk=item_5.order_pk,
                line_num="6",
                product_id=order.spares[1].id,
                count=None,
                weight=Decimal("0.5"),
                added_by_shopper=True,
                shopper_status="found",
                delivered_weight=Decimal("0.5"),
            )
        )
        await session.commit()

    items = (await http.get(order.items, headers=order.headers)).json()["items"]

    assert [i["id"] for i in items] == ["1", "2", "3", "5", "6"]
    found, replaced, refunded, rejected, added = items
    assert found["status"] == "found"
    assert found["quantity"] == 2
    assert replaced == {
        "id": "2",
        "product_name": order.products[1].name,
        "quantity": 2,
        "status": "replaced",
        "replacement": {
            "product_name": order.spares[0].name,
            "product_id": order.spares[0].upc,
            "quantity": 3,
        },
        "replacement_status": "PENDING",
    }
    assert refunded["status"] == "refunded"
    assert "replacement" not in refunded
    assert rejected["status"] == "refunded"
    assert rejected["replacement_status"] == "REJECTED"
    assert rejected["replacement"]["product_name"] == order.spares[1].name
    assert rejected["replacement"]["quantity"] == 0
    assert added == {
        "id": "6",
        "product_name": order.spares[1].name,
        "quantity": 1,
        "status": "found",
    }


async def test_a_replacement_known_only_by_rrc_is_named_by_it(
    http: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession], creds: IssuedCredentials
) -> None:
    order = await arrange(http, sessions, creds, lines=1)
    async with sessions() as session:
        product = await insert_product(session, upc=None, rrc="RRC-778")
        await session.commit()
    await set_item(
        sessions,
        order.order_id,
        "1",
        shopper_status="replaced",
        replacement_product_id=product.id,
        replacement_status="PENDING",
    )
    item = (await http.get(order.items, headers=order.headers)).json()["items"][0]
    assert item["replacement"] == {
        "product_name": product.name,
        "product_id": "RRC-778",
        "quantity": 2,
    }


async def test_the_shopper_appears_once_assigned(
    http: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession], creds: IssuedCredentials
) -> None:
    order = await arrange(http, sessions, creds, workflow_state="brand_new")
    assert "shopper" not in (await http.get(order.handling, headers=order.headers)).json()
    other = await arrange(http, sessions, creds, shopper={"phone": "+1 212 555 0199"})
    async with sessions() as session:
        shopper_id = await session.scalar(
            select(Order.shopper_id).where(Order.order_id == other.order_id)
        )
    await set_order(sessions, order.order_id, shopper_id=shopper_id, workflow_state="acknowledged")
    body = (await http.get(order.handling, headers=order.headers)).json()
    assert body["shopper"] == {"name": "Sam", "phone_number": "+* *** *** 0199"}
