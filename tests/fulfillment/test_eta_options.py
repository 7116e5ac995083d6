"""ETA time slots: ``with_eta_options``, ``with_priority_eta_options`` on the delivery listing."""

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from aftercart.fulfillment import rules
from tests.fulfillment.helpers import (
    Shop,
    arrange_shop,
    assert_error,
    create_user,
    order_body,
    post_order,
    reserve,
)

#: A Monday, 10:37 in San Francisco (the test store's 94105).
MORNING = datetime(2030, 6, 3, 17, 37, 12, tzinfo=UTC)
PACIFIC = ZoneInfo("America/Los_Angeles")


def when(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


# --- Pure rules -----------------------------------------------------------------------------------


def test_eta_options_are_for_delivery_only_priority_first() -> None:
    both = {"with_eta": True, "with_priority_eta": True}
    assert rules.eta_kinds("delivery", **both) == ("priority_eta", "eta")
    assert rules.eta_kinds("delivery", with_eta=True, with_priority_eta=False) == ("eta",)
    assert rules.eta_kinds("delivery", with_eta=False, with_priority_eta=False) == ()
    assert rules.eta_kinds("pickup", **both) == ()


def test_an_eta_window_runs_from_the_next_5_minute_mark_to_the_by_time() -> None:
    start = datetime(2030, 6, 3, 17, 40, tzinfo=UTC)
    assert rules.eta_window("eta", now=MORNING, zone=PACIFIC) == (start, start + timedelta(hours=2))
    priority = rules.eta_window("priority_eta", now=MORNING, zone=PACIFIC)
    assert priority == (start, start + timedelta(minutes=45))
    on_the_mark = datetime(2030, 6, 3, 17, 40, tzinfo=UTC)
    assert rules.eta_window("eta", now=on_the_mark, zone=PACIFIC) == (
        on_the_mark,
        on_the_mark + timedelta(hours=2),
    )


def test_no_eta_window_outside_delivery_hours() -> None:
    evening = datetime(2030, 6, 3, 19, 7, tzinfo=PACIFIC)
    assert rules.eta_window("eta", now=evening, zone=PACIFIC) is None  # by 21:10
    assert rules.eta_window("priority_eta", now=evening, zone=PACIFIC) is not None  # by 19:55
    early = datetime(2030, 6, 3, 7, 50, tzinfo=PACIFIC)
    assert rules.eta_window("priority_eta", now=early, zone=PACIFIC) is None


def test_an_eta_option_stays_open_for_a_hold_and_a_checkout() -> None:
    start = datetime(2030, 6, 3, 17, 40, tzinfo=UTC)
    assert rules.option_open("eta", start, start + timedelta(minutes=15))
    assert not rules.option_open("eta", start, start + timedelta(minutes=16))
    assert not rules.option_open("delivery", start, start)  # scheduled: an hour ahead
    assert rules.window_type("priority_eta") == "priority_eta"
    assert rules.window_type("delivery") == "scheduled"
    assert rules.service_of("eta") == "delivery"
    assert rules.service_of("pickup") == "pickup"


# --- Over HTTP ------------------------------------------------------------------------------------


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Callable[[datetime], None]:
    """Sets the time orders live at (MORNING to begin with)."""
    now = [MORNING]
    monkeypatch.setattr("aftercart.clock.now", lambda: now[0])

    def set_now(moment: datetime) -> None:
        now[0] = moment

    return set_now


@pytest.fixture
async def shop(
    http: httpx.AsyncClient,
    client_headers: dict[str, str],
    sessions: async_sessionmaker[AsyncSession],
    clock: Callable[[datetime], None],
) -> Shop:
    made = await arrange_shop(sessions)
    await create_user(http, client_headers, "user-1")
    await create_user(http, client_headers, "user-2")
    return made


async def _list(
    http: httpx.AsyncClient,
    headers: dict[str, str],
    shop: Shop,
    service_type: str = "delivery",
    user_id: str = "user-1",
    **flags: bool,
) -> list[dict[str, Any]]:
    response = await http.post(
        f"/v2/fulfillment/users/{user_id}/service_options/cart/{service_type}",
        json={"location_code": shop.store.location_code, **flags},
        headers=headers,
    )
    assert response.status_code == 200, response.text
    options: list[dict[str, Any]] = response.json()["service_options"]
    return options


def _types(options: list[dict[str, Any]]) -> list[str]:
    return [option["window"]["type"] for option in options]


async def test_eta_options_only_when_asked(
    http: httpx.AsyncClient, client_headers: dict[str, str], shop: Shop
) -> None:
    plain = await _list(http, client_headers, shop)
    assert set(_types(plain)) == {"scheduled"}
    refused = await _list(
        http, client_headers, shop, with_eta_options=False, with_priority_eta_options=False
    )
    assert refused == plain

    standard = await _list(http, client_headers, shop, with_eta_options=True)
    assert _types(standard)[:2] == ["eta", "scheduled"]
    assert standard[1:] == plain
    eta = standard[0]
    assert eta["service_type"] == "delivery"
    assert eta["location_code"] == shop.store.location_code
    assert when(eta["window"]["start_at"]) == datetime(2030, 6, 3, 17, 40, tzinfo=UTC)
    assert when(eta["window"]["end_at"]) == datetime(2030, 6, 3, 19, 40, tzinfo=UTC)  # 12:40pm
    assert eta["date"] == "2030-06-03"
    assert eta["availability"]["available"] is True

    priority = await _list(http, client_headers, shop, with_priority_eta_options=True)
    assert _types(priority)[:2] == ["priority_eta", "scheduled"]
    assert when(priority[0]["window"]["end_at"]) == datetime(2030, 6, 3, 18, 25, tzinfo=UTC)


async def test_both_kinds_priority_first_at_least_30_minutes_sooner(
    http: httpx.AsyncClient, client_headers: dict[str, str], shop: Shop
) -> None:
    both = {"with_eta_options": True, "with_priority_eta_options": True}
    options = await _list(http, client_headers, shop, **both)
    assert _types(options)[:3] == ["priority_eta", "eta", "scheduled"]
    priority, standard = options[0], options[1]
    sooner = when(standard["window"]["end_at"]) - when(priority["window"]["end_at"])
    assert sooner >= timedelta(minutes=30)
    assert priority["id"] != standard["id"]

    again = await _list(http, client_headers, shop, user_id="user-2", **both)
    assert [o["id"] for o in again[:2]] == [priority["id"], standard["id"]]


async def test_no_eta_option_once_the_store_stops_delivering_for_the_day(
    http: httpx.AsyncClient,
    client_headers: dict[str, str],
    shop: Shop,
    clock: Callable[[datetime], None],
) -> None:
    clock(datetime(2030, 6, 3, 19, 7, tzinfo=PACIFIC))
    both = {"with_eta_options": True, "with_priority_eta_options": True}
    options = await _list(http, client_headers, shop, **both)
    assert _types(options)[0] == "priority_eta"
    assert "eta" not in _types(options)


async def test_pickup_ignores_the_eta_flags(
    http: httpx.AsyncClient, client_headers: dict[str, str], shop: Shop
) -> None:
    plain = await _list(http, client_headers, shop, "pickup")
    both = {"with_eta_options": True, "with_priority_eta_options": True}
    asked = await _list(http, client_headers, shop, "pickup", **both)
    assert asked == plain
    assert set(_types(asked)) == {"scheduled"}
    assert {option["service_type"] for option in asked} == {"pickup"}


async def test_an_eta_option_is_reserved_and_booked_like_a_scheduled_one(
    http: httpx.AsyncClient, client_headers: dict[str, str], shop: Shop
) -> None:
    options = await _list(http, client_headers, shop, with_priority_eta_options=True)
    priority = options[0]
    held = await reserve(http, client_headers, "user-1", priority["id"])
    assert held.status_code == 200, held.text
    hold = held.json()["service_option_hold"]
    assert hold["service_option"]["id"] == priority["id"]
    assert hold["service_option"]["window"] == priority["window"]
    assert (
        hold["service_option"]["availability"]["remaining"]
        == (priority["availability"]["remaining"])
    )

    seen_by_other = await _list(
        http, client_headers, shop, user_id="user-2", with_priority_eta_options=True
    )
    assert (
        seen_by_other[0]["availability"]["remaining"] == priority["availability"]["remaining"] - 1
    )

    body = order_body("order-eta", hold["id"], shop.upcs)
    created = await post_order(http, client_headers, "user-1", body)
    assert created.status_code == 200, created.text
    details = created.json()["fulfillment_details"]
    assert when(details["window_starts_at"]) == when(priority["window"]["start_at"])
    assert when(details["window_ends_at"]) == when(priority["window"]["end_at"])


async def test_an_eta_hold_does_not_make_a_pickup_order(
    http: httpx.AsyncClient, client_headers: dict[str, str], shop: Shop
) -> None:
    options = await _list(http, client_headers, shop, with_eta_options=True)
    held = await reserve(http, client_headers, "user-1", options[0]["id"])
    hold_id = held.json()["service_option_hold"]["id"]
    body = order_body(
        "order-p", hold_id, shop.upcs, "pickup", location_code=shop.store.location_code
    )
    response = await post_order(http, client_headers, "user-1", body, "pickup")
    body = assert_error(response, 400, 1001, "service_option_hold_id")
    assert body["error"]["message"] == "is for delivery, not pickup"


async def test_an_eta_option_closes_15_minutes_after_its_start(
    http: httpx.AsyncClient,
    client_headers: dict[str, str],
    shop: Shop,
    clock: Callable[[datetime], None],
) -> None:
    options = await _list(http, client_headers, shop, with_eta_options=True)
    start = when(options[0]["window"]["start_at"])
    clock(start + timedelta(minutes=16))
    response = await reserve(http, client_headers, "user-1", options[0]["id"])
    body = assert_error(response, 400, 1001, "service_option_id")
    assert (
        body["error"]["message"]
        == "The time slot is no longer available, please choose another one"
    )
    clock(start + timedelta(minutes=15))
    assert (await reserve(http, client_headers, "user-1", options[0]["id"])).status_code == 200
