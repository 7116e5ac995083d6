"""Connect's "Create or update order feedback" (frontend and backend,
https://docs.instacart.com/connect/api/fulfillment/order_feedback/) over HTTP: create or update an
order's rating, read it back, every error."""

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from aftercart.auth.service import IssuedCredentials
from aftercart.events import names
from aftercart.models import Event
from tests import factories
from tests.feedback.helpers import (
    Placed,
    backend_path,
    connect_error,
    count_events,
    place_order,
    ratings,
)

RATING_SCOPE = "Connect::Orders::RatingService"


def frontend_path(placed: Placed) -> str:
    return f"/v2/feedback/orders/{placed.order_id}/rating"


async def user_headers(
    http: httpx.AsyncClient, creds: IssuedCredentials, user_id: str
) -> dict[str, str]:
    return factories.bearer(await factories.user_token(http, creds, user_id, scope=RATING_SCOPE))


async def test_frontend_creates_then_updates_one_rating(
    http: httpx.AsyncClient,
    creds: IssuedCredentials,
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    placed = await place_order(sessions)
    headers = await user_headers(http, creds, placed.user_id)
    first = {"rating_value": "STARS2", "highlights": ["QUALITY_ITEMS"], "thank_you_note": "ok"}
    response = await http.post(frontend_path(placed), json=first, headers=headers)
    assert response.status_code == 200
    assert response.json() == {"success": True}
    created = (await http.get(frontend_path(placed), headers=headers)).json()
    assert created["rating_value"] == "STARS2"
    assert created["highlights"] == ["QUALITY_ITEMS"]
    assert created["thank_you_note"] == "ok"

    second = {"rating_value": "STARS5", "highlights": ["SMOOTH_DELIVERY", "HELPFUL_CHAT"]}
    response = await http.post(frontend_path(placed), json=second, headers=headers)
    assert response.status_code == 200
    updated = (await http.get(frontend_path(placed), headers=headers)).json()
    assert updated["rating_value"] == "STARS5"
    assert updated["highlights"] == ["SMOOTH_DELIVERY", "HELPFUL_CHAT"]
    assert updated["thank_you_note"] is None
    assert updated["created_at"] == created["created_at"]
    assert updated["updated_at"] > created["updated_at"]

    [row] = await ratings(sessions)
    assert (row.source, row.channel, row.dedupe_key) == ("connect", "frontend", placed.order_id)
    assert (row.rating, row.user_id, row.location_code) == (5, placed.user_id, placed.location_code)
    assert await count_events(sessions, names.RATING_UPDATED) == 2


async def test_backend_rates_and_reads_a_users_order(
    http: httpx.AsyncClient,
    client_headers: dict[str, str],
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    placed = await place_order(sessions, service_type="pickup")
    body = {"rating_value": "STARS4", "highlights": ["FAST_PICKUP", "EASY_PARKING"]}
    response = await http.post(backend_path(placed), json=body, headers=client_headers)
    assert response.status_code == 200
    assert response.json() == {"success": True}
    read = await http.get(backend_path(placed), headers=client_headers)
    assert read.status_code == 200
    assert read.json()["highlights"] == ["FAST_PICKUP", "EASY_PARKING"]
    [row] = await ratings(sessions)
    assert row.channel == "backend"


async def test_the_event_carries_the_rating(
    http: httpx.AsyncClient,
    client_headers: dict[str, str],
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    placed = await place_order(sessions)
    body = {"rating_value": "STARS3"}
    await http.post(backend_path(placed), json=body, headers=client_headers)
    async with sessions() as session:
        event = await session.scalar(select(Event).where(Event.name == names.RATING_UPDATED))
    assert event is not None
    assert event.order_id == placed.order_id
    assert event.metadata_["rating"]["rating_value"] == "STARS3"
    assert event.metadata_["rating"]["rating"] == 3


async def test_frontend_order_not_found(
    http: httpx.AsyncClient, creds: IssuedCredentials, sessions: async_sessionmaker[AsyncSession]
) -> None:
    placed = await place_order(sessions)
    headers = await user_headers(http, creds, placed.user_id)
    response = await http.post(
        "/v2/feedback/orders/nope/rating", json={"rating_value": "STARS1"}, headers=headers
    )
    assert response.status_code == 404
    assert connect_error(response.json()) == ("Resource not found", 4000, {})


async def test_frontend_cannot_rate_or_read_another_users_order(
    http: httpx.AsyncClient, creds: IssuedCredentials, sessions: async_sessionmaker[AsyncSession]
) -> None:
    mine = await place_order(sessions)
    theirs = await place_order(sessions)
    headers = await user_headers(http, creds, mine.user_id)
    response = await http.post(
        frontend_path(theirs), json={"rating_value": "STARS1"}, headers=headers
    )
    assert response.status_code == 404
    assert connect_error(response.json()) == ("Resource not found", 4000, {})
    assert (await http.get(frontend_path(theirs), headers=headers)).status_code == 404
    assert await ratings(sessions) == []


async def test_backend_user_not_found(
    http: httpx.AsyncClient, client_headers: dict[str, str]
) -> None:
    response = await http.post(
        "/v2/feedback/users/ghost/orders/any/rating",
        json={"rating_value": "STARS1"},
        headers=client_headers,
    )
    assert response.status_code == 400
    assert connect_error(response.json()) == ("User Not Found", 1001, {"key": "user_id"})


async def test_backend_user_not_active(
    http: httpx.AsyncClient,
    client_headers: dict[str, str],
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    placed = await place_order(sessions, active=False)
    response = await http.post(
        backend_path(placed), json={"rating_value": "STARS1"}, headers=client_headers
    )
    assert response.status_code == 403
    assert connect_error(response.json()) == ("User Not Active", None, {})


async def test_inactive_users_own_token_is_refused(
    http: httpx.AsyncClient, creds: IssuedCredentials, sessions: async_sessionmaker[AsyncSession]
) -> None:
    placed = await place_order(sessions, active=False)
    headers = await user_headers(http, creds, placed.user_id)
    response = await http.post(
        frontend_path(placed), json={"rating_value": "STARS1"}, headers=headers
    )
    assert response.status_code == 403
    assert connect_error(response.json()) == ("User Not Active", None, {})


@pytest.mark.parametrize("order_id", ["missing", "someone-elses"])
async def test_backend_order_not_found(
    http: httpx.AsyncClient,
    client_headers: dict[str, str],
    sessions: async_sessionmaker[AsyncSession],
    order_id: str,
) -> None:
    placed = await place_order(sessions)
    other = await place_order(sessions)
    target = other.order_id if order_id == "someone-elses" else "missing"
    response = await http.post(
        f"/v2/feedback/users/{placed.user_id}/orders/{target}/rating",
        json={"rating_value": "STARS1"},
        headers=client_headers,
    )
    assert response.status_code == 404
    assert connect_error(response.json()) == ("Resource not found", 4000, {})


async def test_reading_an_unrated_order_is_404(
    http: httpx.AsyncClient,
    client_headers: dict[str, str],
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    placed = await place_order(sessions)
    response = await http.get(backend_path(placed), headers=client_headers)
    assert response.status_code == 404
    assert connect_error(response.json()) == ("Resource not found", 4000, {})


@pytest.mark.parametrize(
    ("body", "key"),
    [
        ({}, "rating_value"),
        ({"rating_value": "STARS6"}, "rating_value"),
        ({"rating_value": "stars5"}, "rating_value"),
        (
            {"rating_value": "STARS5", "highlights": ["QUALITY_ITEMS", "EXTRA_EFFORT", "x"]},
            "highlights[2]",
        ),
        ({"rating_value": "STARS5", "thank_you_note": "x" * 1001}, "thank_you_note"),
        (
            {
                "rating_value": "STARS5",
                "highlights": ["HELPFUL_CHAT", "QUALITY_ITEMS", "HELPFUL_CHAT"],
            },
            "highlights[2]",
        ),
        (
            {"rating_value": "STARS5", "highlights": ["QUALITY_ITEMS", "FAST_PICKUP"]},
            "highlights[1]",
        ),
    ],
)
async def test_invalid_values_name_the_field(
    http: httpx.AsyncClient,
    client_headers: dict[str, str],
    sessions: async_sessionmaker[AsyncSession],
    body: dict[str, object],
    key: str,
) -> None:
    placed = await place_order(sessions)
    response = await http.post(backend_path(placed), json=body, headers=client_headers)
    assert response.status_code == 400
    _, code, meta = connect_error(response.json())
    assert (code, meta) == (1001, {"key": key})
    assert await ratings(sessions) == []


async def test_a_thank_you_note_of_exactly_1000_characters_is_accepted(
    http: httpx.AsyncClient,
    client_headers: dict[str, str],
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    placed = await place_order(sessions)
    body = {"rating_value": "STARS5", "thank_you_note": "x" * 1000}
    response = await http.post(backend_path(placed), json=body, headers=client_headers)
    assert response.status_code == 200


async def test_delivery_highlight_on_a_pickup_order_is_refused(
    http: httpx.AsyncClient,
    client_headers: dict[str, str],
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    placed = await place_order(sessions, service_type="pickup")
    body = {"rating_value": "STARS5", "highlights": ["SMART_BAGGING", "SMOOTH_DELIVERY"]}
    response = await http.post(backend_path(placed), json=body, headers=client_headers)
    assert response.status_code == 400
    message, code, meta = connect_error(response.json())
    assert (code, meta) == (1001, {"key": "highlights[1]"})
    assert message == "can only be given for a delivery order"


async def test_several_bad_highlights_are_reported_together(
    http: httpx.AsyncClient,
    client_headers: dict[str, str],
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    placed = await place_order(sessions)
    body = {"rating_value": "STARS5", "highlights": ["FAST_PICKUP", "EASY_PARKING"]}
    response = await http.post(backend_path(placed), json=body, headers=client_headers)
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == 9999
    assert [e["meta"]["key"] for e in error["errors"]] == ["highlights[0]", "highlights[1]"]


@pytest.mark.parametrize("workflow_state", ["brand_new", "picking", "delivering", "canceled"])
async def test_an_undelivered_order_cannot_be_rated(
    http: httpx.AsyncClient,
    client_headers: dict[str, str],
    sessions: async_sessionmaker[AsyncSession],
    workflow_state: str,
) -> None:
    placed = await place_order(sessions, workflow_state=workflow_state)
    response = await http.post(
        backend_path(placed), json={"rating_value": "STARS5"}, headers=client_headers
    )
    assert response.status_code == 400
    assert connect_error(response.json()) == ("Incompatible order status", 3003, {})


async def test_tokens_of_the_wrong_kind_are_refused(
    http: httpx.AsyncClient, creds: IssuedCredentials, sessions: async_sessionmaker[AsyncSession]
) -> None:
    placed = await place_order(sessions)
    user = await user_headers(http, creds, placed.user_id)
    client = factories.bearer(await factories.client_token(http, creds))
    body = {"rating_value": "STARS5"}
    assert (await http.post(backend_path(placed), json=body, headers=user)).status_code == 403
    assert (await http.post(frontend_path(placed), json=body, headers=client)).status_code == 403
    assert (await http.post(frontend_path(placed), json=body)).status_code == 401
