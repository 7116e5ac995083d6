"""What the tenant condition costs a request: the same requests through the same app, in one
process, with :mod:`aftercart.db.tenancy`'s query hook on and off, in alternating rounds.
With ``--clock``, what the sandbox clock's read costs instead: the tenant's clock read as each
request names its tenant (:func:`aftercart.sandbox.clock_scope.enter_tenant`) against no read.

    .venv/bin/python -m bench.tenant_scope [--clock] [--rounds 7] [--requests 300]
        [--database-url URL]

The app runs in-process behind httpx's ASGI transport (no sockets, no uvicorn), so what differs
between the two is only the hook: adding ``tenant_id = :tenant`` to every statement. Three
requests are timed: the Connect order read (``GET /v2/fulfillment/users/{user_id}/orders/
{order_id}``), the post-checkout order read, and the sandbox shopper's item update. The
reference is the hook off (``sqlalchemy.event.remove``) in the same run, which is not a safe
way to serve: it only measures the hook. Printed: the median microseconds per request each way
and their ratio (on / off; 1.00 means free), with every round's figure beside it.
"""

import argparse
import asyncio
import base64
import json
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import event
from sqlalchemy.orm import Session

from aftercart.app import create_app
from aftercart.auth.service import create_client
from aftercart.config import Settings
from aftercart.db import tenancy
from aftercart.sample_data import load_sample_data
from aftercart.sandbox import clock_scope, clock_store

Call = Callable[[], Awaitable[httpx.Response]]
USER, ORDER = "bench-user", "bench-order"
ADDRESS = {"address_line_1": "500 Howard St", "postal_code": "94105"}
ITEMS = [
    {"line_num": "1", "count": 2, "item": {"upc": "071842000107"}},
    {"line_num": "2", "count": 1, "item": {"upc": "072255000104"}},
]


def _ok(response: httpx.Response) -> Any:
    assert response.is_success, (response.request.url, response.text)
    return response.json()


async def _token(http: httpx.AsyncClient, credentials: dict[str, str], **grant: str) -> str:
    body = _ok(await http.post("/v2/oauth/token", json={**credentials, **grant}))
    return str(body["access_token"])


async def _arrange(http: httpx.AsyncClient, credentials: dict[str, str]) -> dict[str, Call]:
    """A user, an order being picked by a shopper, and the three timed calls."""
    client = {
        "Authorization": "Bearer "
        + await _token(http, credentials, grant_type="client_credentials")
    }
    fulfillment = "/v2/fulfillment/users"
    _ok(
        await http.post(
            fulfillment,
            headers=client,
            json={"user_id": USER, "first_name": "Ada", "phone_number": "4155550100"},
        )
    )
    options = _ok(
        await http.post(
            f"{fulfillment}/{USER}/service_options/cart/delivery",
            headers=client,
            json={"location_code": "sf-mission", "address": ADDRESS},
        )
    )
    option = options["service_options"][0]["id"]
    hold = _ok(
        await http.post(f"{fulfillment}/{USER}/service_options/{option}/reserve", headers=client)
    )
    _ok(
        await http.post(
            f"{fulfillment}/{USER}/orders/delivery",
            headers=client,
            json={
                "order_id": ORDER,
                "service_option_hold_id": hold["service_option_hold"]["id"],
                "initial_tip_cents": 300,
                "address": ADDRESS,
                "items": ITEMS,
            },
        )
    )
    sandbox = "/v2/fulfillment_sandbox"
    shopper = _ok(
        await http.post(f"{sandbox}/shoppers", headers=client, json={"first_name": "Sam"})
    )["id"]
    _ok(
        await http.post(
            f"{sandbox}/batches",
            headers=client,
            json={"shopper_id": shopper, "orders": [{"id": ORDER}], "workflow_state": "picking"},
        )
    )
    assertion = base64.b64encode(json.dumps({"user_id": USER}).encode()).decode()
    user = {
        "Authorization": "Bearer "
        + await _token(
            http, credentials, grant_type="fulfillment_user_assertion", assertion=assertion
        )
    }
    item = f"{sandbox}/shoppers/{shopper}/orders/{ORDER}/items/1"
    return {
        "Connect order read": lambda: http.get(
            f"{fulfillment}/{USER}/orders/{ORDER}", headers=client
        ),
        "post-checkout order read": lambda: http.get(
            f"/v2/post_checkout/orders/{ORDER}", headers=user
        ),
        "shopper item update": lambda: http.put(
            item, headers=client, json={"status": "found", "delivered_count": 2}
        ),
    }


async def _per_request_us(call: Call, requests: int) -> float:
    start = time.perf_counter()
    for _ in range(requests):
        _ok(await call())
    return (time.perf_counter() - start) / requests * 1e6


class _NoClock:
    """Stands in for :mod:`aftercart.sandbox.clock_store` with the read taken out."""

    @staticmethod
    async def frozen_at(*_: object) -> None:
        return None


def _clock_read(on: bool) -> None:
    clock_scope.clock_store = clock_store if on else _NoClock  # type: ignore[attr-defined,assignment]


def _hook(on: bool) -> None:
    hooked = event.contains(Session, "do_orm_execute", tenancy._only_the_tenants_rows)
    if on and not hooked:
        event.listen(Session, "do_orm_execute", tenancy._only_the_tenants_rows)
    if not on and hooked:
        event.remove(Session, "do_orm_execute", tenancy._only_the_tenants_rows)


async def run(database_url: str, rounds: int, requests: int, *, clock: bool = False) -> None:
    settings = Settings(
        database_url=database_url,
        sandbox=True,
        run_worker=False,
        log_level="WARNING",
        monitor_size=0,
    )
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        async with app.state.sessions() as session:
            await load_sample_data(session)
            issued = await create_client(session, name="Tenant scope bench")
            await session.commit()
        credentials = {"client_id": issued.client_id, "client_secret": issued.client_secret}
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as http:
            calls = await _arrange(http, credentials)
            toggle, what = (_clock_read, "clock read") if clock else (_hook, "hook")
            print(f"{rounds} rounds of {requests} requests each way, alternating; µs per request")
            print(
                f"| request | {what} on (median) | {what} off (median) | on / off "
                "| on, off each round |"
            )
            print("| --- | --- | --- | --- | --- |")
            for name, call in calls.items():
                await _per_request_us(call, requests // 3)
                on, off = [], []
                for _ in range(rounds):
                    toggle(True)
                    on.append(await _per_request_us(call, requests))
                    toggle(False)
                    off.append(await _per_request_us(call, requests))
                toggle(True)
                median_on, median_off = statistics.median(on), statistics.median(off)
                pairs = " ".join(f"{a:.0f}/{b:.0f}" for a, b in zip(on, off, strict=True))
                print(
                    f"| {name} | {median_on:.0f} | {median_off:.0f} "
                    f"| {median_on / median_off:.2f} | {pairs} |"
                )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--clock", action="store_true", help="the sandbox clock's read, not the tenant hook"
    )
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--database-url", help="default: a new SQLite file in a temporary folder")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url = args.database_url or f"sqlite+aiosqlite:///{Path(folder) / 'bench.db'}"
        asyncio.run(run(url, args.rounds, args.requests, clock=args.clock))


if __name__ == "__main__":
    main()
