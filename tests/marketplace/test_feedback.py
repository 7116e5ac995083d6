"""Yandex Eats' "Send the customer's feedback on the order"
(https://yandex.com/dev/eda-vendor/doc/en/ref/Feedback/partner.feedback.post) over HTTP:
``POST /v1/feedback`` with a marketplace token."""

from datetime import timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from aftercart.db.types import utcnow
from aftercart.events import names
from aftercart.marketplace import service
from aftercart.models import AccessToken, Event
from tests import factories
from tests.feedback.helpers import count_events, place_order, ratings
from tests.marketplace.helpers import (
    EXAMPLE_BODY,
    feedback_body,
    make_marketplace,
    marketplace_headers,
    marketplace_token,
)

EXPIRED = {"reason": "Access token has been expired. You should request a new one"}


async def test_the_example_is_stored(
    http: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession]
) -> None:
    headers = await marketplace_headers(http, sessions)
    response = await http.post("/v1/feedback", json=EXAMPLE_BODY, headers=headers)
    assert response.status_code == 200
    assert response.json() == {"result": "OK"}
    [row] = await ratings(sessions)
    assert (row.source, row.channel, row.dedupe_key) == ("yandex_eats", "marketplace", "id:string")
    assert (row.rating, row.comment, row.predefined_comment) == (5, "string", "string")
    assert (row.external_id, row.external_order_id) == ("string", "190330-12345678")
    assert (row.restaurant_id, row.order_ref) == ("string", "string")
    assert row.order_total == Decimal("200.99")
    assert row.order_pk is None
    assert row.location_code is None
    assert row.highlights == []
    assert row.order_info is not None
    [item] = row.order_info["items"]
    assert item["modifications"][0]["name"] == "Utensils"
    assert item["quantity"] == 3.5
    assert row.rated_at is not None
    assert row.rated_at.isoformat() == "1937-01-01T11:40:27.870000+00:00"
    assert row.feedback_details == {
        "createdAt": "1937-01-01T12:00:27.870000+00:20",
        "deliveredAt": "1937-01-01T12:00:27+00:20",
        "takenAt": "1937-01-01T12:00:27+00:20",
    }
    assert await count_events(sessions, names.MARKETPLACE_FEEDBACK) == 1


async def test_only_feedback_is_required(
    http: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession]
) -> None:
    headers = await marketplace_headers(http, sessions)
    body = {"feedback": {k: v for k, v in EXAMPLE_BODY["feedback"].items() if k in REQUIRED}}
    response = await http.post("/v1/feedback", json=body, headers=headers)
    assert response.status_code == 200, response.text
    [row] = await ratings(sessions)
    assert row.dedupe_key == "eats:190330-12345678"
    assert row.order_info is None
    assert row.order_total is None


REQUIRED = ("createdAt", "deliveredAt", "eatsId", "orderId", "rating", "restaurantId")


async def test_a_resend_updates_the_stored_feedback(
    http: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession]
) -> None:
    headers = await marketplace_headers(http, sessions)
    await http.post("/v1/feedback", json=feedback_body(rating=2), headers=headers)
    [first] = await ratings(sessions)
    response = await http.post(
        "/v1/feedback", json=feedback_body(rating=4, comment="better"), headers=headers
    )
    assert response.status_code == 200
    [row] = await ratings(sessions)
    assert (row.id, row.rating, row.comment) == (first.id, 4, "better")
    assert row.created_at == first.created_at
    assert row.updated_at > first.updated_at


async def test_without_an_id_the_eats_id_recognises_a_resend(
    http: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession]
) -> None:
    headers = await marketplace_headers(http, sessions)
    for rating in (1, 3):
        body = feedback_body(id=None, rating=rating)
        assert (await http.post("/v1/feedback", json=body, headers=headers)).status_code == 200
    other = feedback_body(id=None, eatsId="190330-1234567")
    assert (await http.post("/v1/feedback", json=other, headers=headers)).status_code == 200
    rows = await ratings(sessions)
    assert [(r.external_order_id, r.rating) for r in rows] == [
        ("190330-12345678", 3),
        ("190330-1234567", 5),
    ]


async def test_feedback_on_one_of_our_orders_is_linked_to_it(
    http: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession]
) -> None:
    placed = await place_order(sessions)
    headers = await marketplace_headers(http, sessions)
    body = feedback_body(orderId=placed.order_id, restaurantId="elsewhere")
    assert (await http.post("/v1/feedback", json=body, headers=headers)).status_code == 200
    [row] = await ratings(sessions)
    assert row.order_pk is not None
    assert (row.location_code, row.user_id) == (placed.location_code, placed.user_id)
    async with sessions() as session:
        event = await session.scalar(select(Event).where(Event.name == names.MARKETPLACE_FEEDBACK))
    assert event is not None
    assert event.order_id == placed.order_id
    assert event.metadata_["rating"]["rating"] == 5


async def test_a_restaurant_id_that_is_our_store_sets_the_store(
    http: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession]
) -> None:
    async with sessions() as session:
        store = await factories.insert_store(session)
        await session.commit()
    headers = await marketplace_headers(http, sessions)
    body = feedback_body(restaurantId=store.location_code)
    assert (await http.post("/v1/feedback", json=body, headers=headers)).status_code == 200
    [row] = await ratings(sessions)
    assert (row.location_code, row.order_pk) == (store.location_code, None)


def _problems(response: httpx.Response) -> dict[str, int]:
    """``{field: code}`` from a 400 list, checking every item's shape."""
    assert response.status_code == 400, response.text
    items = response.json()
    assert isinstance(items, list)
    found: dict[str, int] = {}
    for item in items:
        assert set(item) == {"code", "description"}
        assert isinstance(item["code"], int)
        field, _, message = item["description"].partition(": ")
        assert message, item
        found[field] = item["code"]
    return found


async def test_every_missing_required_field_is_reported(
    http: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession]
) -> None:
    headers = await marketplace_headers(http, sessions)
    body: dict[str, Any] = {
        "feedback": {"comment": "only a comment"},
        "orderInfo": {"platform": "YE", "items": [{"modifications": [{}]}]},
    }
    found = _problems(await http.post("/v1/feedback", json=body, headers=headers))
    expected = [f"feedback.{name}" for name in REQUIRED] + [
        "orderInfo.comment",
        "orderInfo.createdAt",
        "orderInfo.deliveryInfo",
        "orderInfo.discriminator",
        "orderInfo.paymentInfo",
        "orderInfo.items[0].id",
        "orderInfo.items[0].price",
        "orderInfo.items[0].quantity",
        "orderInfo.items[0].modifications[0].id",
        "orderInfo.items[0].modifications[0].price",
        "orderInfo.items[0].modifications[0].quantity",
    ]
    assert found == dict.fromkeys(expected, 100)
    assert await ratings(sessions) == []


async def test_every_wrong_value_is_reported(
    http: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession]
) -> None:
    headers = await marketplace_headers(http, sessions)
    body = feedback_body(
        createdAt="1937-01-01T12:00:27+00:20",
        deliveredAt="1937-01-01T12:00:27.870000+00:20",
        takenAt="1937-01-01 12:00:27+00:20",
        eatsId="19033-12345678",
        rating=6,
        orderId=17,
    )
    body["orderInfo"]["discriminator"] = "drone"
    body["orderInfo"]["platform"] = "UE"
    body["orderInfo"]["deliveryInfo"] = {}
    body["orderInfo"]["paymentInfo"]["total"] = "200.99"
    body["orderInfo"]["items"][0]["modifications"][0]["quantity"] = 1.5
    body["orderInfo"]["createdAt"] = "1937-01-01T12:00:27.870000"
    found = _problems(await http.post("/v1/feedback", json=body, headers=headers))
    assert found == {
        "feedback.createdAt": 101,
        "feedback.deliveredAt": 101,
        "feedback.eatsId": 101,
        "feedback.orderId": 101,
        "feedback.rating": 101,
        "feedback.takenAt": 101,
        "orderInfo.createdAt": 101,
        "orderInfo.deliveryInfo.clientName": 100,
        "orderInfo.discriminator": 101,
        "orderInfo.items[0].modifications[0].quantity": 101,
        "orderInfo.paymentInfo.total": 101,
        "orderInfo.platform": 101,
    }


@pytest.mark.parametrize("total", [9_999_999_999.999998, 9_999_999_999.995, 1e10, -0.01])
async def test_a_total_beyond_what_cents_can_hold_is_refused(
    http: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession], total: float
) -> None:
    headers = await marketplace_headers(http, sessions)
    body = feedback_body()
    body["orderInfo"]["paymentInfo"]["total"] = total
    found = _problems(await http.post("/v1/feedback", json=body, headers=headers))
    assert found == {"orderInfo.paymentInfo.total": 101}


async def test_the_longest_feedback_id_is_kept_and_recognised_when_resent(
    http: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession]
) -> None:
    headers = await marketplace_headers(http, sessions)
    body = feedback_body()
    body["feedback"]["id"] = "0" * 255
    first = await http.post("/v1/feedback", json=body, headers=headers)
    again = await http.post("/v1/feedback", json=body, headers=headers)
    assert (first.status_code, again.status_code) == (200, 200), (first.text, again.text)


async def test_the_largest_total_is_kept_to_the_cent(
    http: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession]
) -> None:
    headers = await marketplace_headers(http, sessions)
    body = feedback_body()
    body["orderInfo"]["paymentInfo"]["total"] = 9_999_999_999.994
    assert (await http.post("/v1/feedback", json=body, headers=headers)).status_code == 200


@pytest.mark.parametrize("rating", [0, 6, 4.5, 5.0, "5", True, None])
async def test_rating_must_be_an_integer_from_1_to_5(
    http: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession], rating: object
) -> None:
    headers = await marketplace_headers(http, sessions)
    body = feedback_body()
    body["feedback"]["rating"] = rating
    found = _problems(await http.post("/v1/feedback", json=body, headers=headers))
    assert found == {"feedback.rating": 101}


@pytest.mark.parametrize(
    "eats_id",
    [
        "190330-1234567",
        "190330-12345678",
        "190330-123456",
        "190330-123456789",
        "1903301-2345678",
        "١٩٠٣٣٠-12345678",
    ],
)
async def test_eats_id_is_six_digits_a_dash_and_seven_or_eight(
    http: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession], eats_id: str
) -> None:
    headers = await marketplace_headers(http, sessions)
    response = await http.post("/v1/feedback", json=feedback_body(eatsId=eats_id), headers=headers)
    valid = eats_id in ("190330-1234567", "190330-12345678")
    assert response.status_code == (200 if valid else 400)
    if not valid:
        assert _problems(response) == {"feedback.eatsId": 101}


@pytest.mark.parametrize("raw", [b"", b"{not json", b"[]", b'"feedback"'])
async def test_a_body_that_is_not_an_object_is_400(
    http: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession], raw: bytes
) -> None:
    headers = await marketplace_headers(http, sessions)
    headers["Content-Type"] = "application/json"
    response = await http.post("/v1/feedback", content=raw, headers=headers)
    assert response.status_code == 400
    [item] = response.json()
    assert item["code"] == 102


async def test_a_missing_token_is_401(http: httpx.AsyncClient) -> None:
    response = await http.post("/v1/feedback", json=EXAMPLE_BODY)
    assert response.status_code == 401
    assert set(response.json()) == {"reason"}


async def test_an_unknown_token_is_401(http: httpx.AsyncClient) -> None:
    response = await http.post("/v1/feedback", json=EXAMPLE_BODY, headers=factories.bearer("nope"))
    assert response.status_code == 401
    assert response.json() == EXPIRED


async def test_an_expired_token_is_401_and_a_new_one_works(
    http: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession]
) -> None:
    marketplace = await make_marketplace(sessions)
    headers = factories.bearer(await marketplace_token(http, marketplace))
    async with sessions() as session:
        await session.execute(
            update(AccessToken).values(expires_at=utcnow() - timedelta(seconds=1))
        )
        await session.commit()
    response = await http.post("/v1/feedback", json=EXAMPLE_BODY, headers=headers)
    assert response.status_code == 401
    assert response.json() == EXPIRED
    fresh = factories.bearer(await marketplace_token(http, marketplace))
    assert (await http.post("/v1/feedback", json=EXAMPLE_BODY, headers=fresh)).status_code == 200


async def test_a_connect_token_is_401_here(
    http: httpx.AsyncClient, client_headers: dict[str, str]
) -> None:
    response = await http.post("/v1/feedback", json=EXAMPLE_BODY, headers=client_headers)
    assert response.status_code == 401
    assert response.json() == EXPIRED


async def test_a_bad_body_with_a_bad_token_is_401_first(http: httpx.AsyncClient) -> None:
    response = await http.post("/v1/feedback", json={}, headers=factories.bearer("nope"))
    assert response.status_code == 401


async def test_a_marketplace_token_opens_no_connect_endpoint(
    http: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession]
) -> None:
    headers = await marketplace_headers(http, sessions)
    response = await http.get("/v2/feedback/ratings", headers=headers)
    assert response.status_code == 403


async def test_a_real_fault_is_500_in_the_documented_shape(
    app: FastAPI,
    http: httpx.AsyncClient,
    sessions: async_sessionmaker[AsyncSession],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    async def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("disk on fire")

    headers = await marketplace_headers(http, sessions)
    monkeypatch.setattr(service, "receive_feedback", broken)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        response = await client.post("/v1/feedback", json=EXAMPLE_BODY, headers=headers)
    assert response.status_code == 500
    [item] = response.json()
    assert set(item) == {"code", "description"}
    assert await ratings(sessions) == []
