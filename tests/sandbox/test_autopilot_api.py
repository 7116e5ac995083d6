"""``/v2/fulfillment_sandbox/autopilot``: turning autopilot shoppers on, reading and stopping them
over HTTP, and the reset removing them."""

from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from aftercart import clock
from aftercart.db.tenancy import serve_tenant
from aftercart.db.types import utcnow
from aftercart.models import Autopilot, AutopilotRun, Shopper
from aftercart.models.tenant import DEFAULT_TENANT
from aftercart.sandbox.autopilot import AutopilotSteps
from tests import factories
from tests.sandbox.helpers import SANDBOX, Sessions, arrange_order, assert_error, create_shopper

AUTOPILOT = f"{SANDBOX}/autopilot"
Headers = dict[str, str]


async def _count(sessions: Sessions, model: type[Autopilot] | type[Shopper]) -> int:
    async with sessions() as session:
        return await session.scalar(select(func.count()).select_from(model)) or 0


async def test_turning_one_on_with_nothing_creates_a_shopper_and_draws_a_seed(
    http: httpx.AsyncClient, client_headers: Headers
) -> None:
    response = await http.post(AUTOPILOT, headers=client_headers)

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["mix"] == {"found": 0.7, "partly_found": 0.1, "replaced": 0.1, "refunded": 0.1}
    assert (body["decision_timeout_seconds"], body["step_seconds"]) == (300, 30)
    assert isinstance(body["seed"], int)
    assert body["active"] is True
    assert body["next_take_at"] == body["created_at"]
    assert body["stopped_at"] is None
    shopper = await http.get(f"{SANDBOX}/shoppers/{body['shopper_id']}", headers=client_headers)
    assert shopper.status_code == 200, shopper.text


async def test_turning_one_on_for_a_shopper_with_a_seed_and_a_mix(
    http: httpx.AsyncClient, client_headers: Headers
) -> None:
    shopper_id = await create_shopper(http, client_headers, first_name="Robo")
    asked = {
        "shopper_id": str(shopper_id),
        "seed": 42,
        "mix": {"found": 2, "replaced": 1},
        "decision_timeout_seconds": 0,
        "step_seconds": 5,
    }

    response = await http.post(AUTOPILOT, json=asked, headers=client_headers)

    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["shopper_id"], body["seed"], body["step_seconds"]) == (shopper_id, 42, 5)
    assert body["mix"] == {"found": 2, "partly_found": 0, "replaced": 1, "refunded": 0}
    assert body["decision_timeout_seconds"] == 0
    # One autopilot per shopper while it is on; once stopped, another may take over.
    again = await http.post(AUTOPILOT, json={"shopper_id": shopper_id}, headers=client_headers)
    assert_error(
        again,
        400,
        f"Shopper already has an autopilot: stop it first ({body['id']})",
        1001,
        "shopper_id",
    )
    stopped = await http.delete(f"{AUTOPILOT}/{body['id']}", headers=client_headers)
    assert stopped.status_code == 200, stopped.text
    assert stopped.json()["active"] is False
    after = await http.post(AUTOPILOT, json={"shopper_id": shopper_id}, headers=client_headers)
    assert after.status_code == 200, after.text


BAD = [
    ({"mix": {"found": -1}}, "must be a number of at least 0", 1001, "mix.found"),
    ({"mix": {}}, "must have a weight above 0", 1001, "mix"),
    ({"mix": {"found": 0, "refunded": 0}}, "must have a weight above 0", 1001, "mix"),
    ({"step_seconds": 0}, "must be between 1 and 86400", 1001, "step_seconds"),
    ({"decision_timeout_seconds": -5}, None, 1001, "decision_timeout_seconds"),
    ({"seed": -1}, None, 1001, "seed"),
    ({"seed": 2**53}, None, 1001, "seed"),
    ({"shopper_id": 999_999}, "Shopper not found", 1001, "shopper_id"),
    ({"shopper_id": 2**40}, "Shopper not found", 1001, "shopper_id"),
    ({"step_seconds": "soon"}, None, 1001, "step_seconds"),
    ({"mix": {"found": True}}, None, 1001, "mix.found"),
    ({"mix": [1, 2]}, None, 1001, "mix"),
    ({"seed": -1, "step_seconds": 0, "mix": {"refunded": -1}}, None, 9999, None),
]


@pytest.mark.parametrize(("body", "message", "code", "key"), BAD)
async def test_bad_input_answers_the_envelope_and_creates_nothing(
    http: httpx.AsyncClient,
    client_headers: Headers,
    sessions: Sessions,
    body: dict[str, Any],
    message: str | None,
    code: int,
    key: str | None,
) -> None:
    response = await http.post(AUTOPILOT, json=body, headers=client_headers)

    assert_error(response, 400, message, code, key)
    if code == 9999:
        keys = [error["meta"]["key"] for error in response.json()["error"]["errors"]]
        assert sorted(keys) == ["mix.refunded", "seed", "step_seconds"]
    assert await _count(sessions, Autopilot) == 0
    assert await _count(sessions, Shopper) == 0


async def test_malformed_json_is_refused(http: httpx.AsyncClient, client_headers: Headers) -> None:
    headers = client_headers | {"Content-Type": "application/json"}
    response = await http.post(AUTOPILOT, content=b"{no", headers=headers)
    assert response.status_code == 400
    assert response.json()["meta"] == {"key": "body"}


async def test_list_read_and_stop(
    http: httpx.AsyncClient, client_headers: Headers, sessions: Sessions
) -> None:
    first = (await http.post(AUTOPILOT, json={"step_seconds": 10}, headers=client_headers)).json()
    second = (await http.post(AUTOPILOT, headers=client_headers)).json()
    arranged = await arrange_order(sessions, created_at=utcnow() + timedelta(seconds=1))
    # Two steps of the first autopilot: it takes the order, then starts picking.
    effect = AutopilotSteps()
    for _ in range(2):
        async with sessions() as session:
            serve_tenant(session, DEFAULT_TENANT)
            due = await effect.next_due(
                session, DEFAULT_TENANT, after=utcnow(), until=utcnow() + timedelta(minutes=5)
            )
        assert due is not None
        assert await effect.fire(sessions, DEFAULT_TENANT, due)

    listed = await http.get(AUTOPILOT, headers=client_headers)
    assert listed.status_code == 200, listed.text
    assert [a["id"] for a in listed.json()["autopilots"]] == [second["id"], first["id"]]
    read = await http.get(f"{AUTOPILOT}/{first['id']}", headers=client_headers)
    assert read.status_code == 200, read.text
    (order,) = read.json()["orders"]
    assert order["id"] == arranged.order_id
    assert (order["workflow_state"], order["phase"], order["steps_played"]) == (
        "picking",
        "picking",
        1,
    )
    assert order["next_step_at"] is not None
    assert read.json()["next_take_at"] is None

    stopped = await http.delete(f"{AUTOPILOT}/{first['id']}", headers=client_headers)

    assert stopped.status_code == 200, stopped.text
    body = stopped.json()
    assert body["active"] is False
    assert body["stopped_at"] is not None
    assert body["orders"][0]["next_step_at"] is None
    assert body["orders"][0]["workflow_state"] == "picking"
    # Stopping again answers the same.
    again = await http.delete(f"{AUTOPILOT}/{first['id']}", headers=client_headers)
    assert again.json() == body


async def test_another_tenants_autopilot_is_not_found(
    http: httpx.AsyncClient, client_headers: Headers, sessions: Sessions
) -> None:
    created = (await http.post(AUTOPILOT, headers=client_headers)).json()
    other = await factories.other_tenant_headers(http, sessions)
    theirs_shopper = {"shopper_id": created["shopper_id"]}

    for method in ("GET", "DELETE"):
        response = await http.request(method, f"{AUTOPILOT}/{created['id']}", headers=other)
        assert_error(response, 404, "Resource not found", 4000)
        response = await http.request(method, f"{AUTOPILOT}/999999", headers=other)
        assert_error(response, 404, "Resource not found", 4000)
    assert (await http.get(AUTOPILOT, headers=other)).json() == {"autopilots": []}
    refused = await http.post(AUTOPILOT, json=theirs_shopper, headers=other)
    assert_error(refused, 400, "Shopper not found", 1001, "shopper_id")
    mine = await http.get(f"{AUTOPILOT}/{created['id']}", headers=client_headers)
    assert mine.json()["active"] is True


async def test_a_bad_id_is_400_and_an_unknown_one_404(
    http: httpx.AsyncClient, client_headers: Headers
) -> None:
    assert (await http.get(f"{AUTOPILOT}/nope", headers=client_headers)).status_code == 400
    unknown = await http.delete(f"{AUTOPILOT}/0", headers=client_headers)
    assert_error(unknown, 404, "Resource not found", 4000)


async def test_the_reset_removes_the_tenants_autopilots_and_their_runs(
    http: httpx.AsyncClient, client_headers: Headers, sessions: Sessions
) -> None:
    (await http.post(AUTOPILOT, headers=client_headers)).raise_for_status()
    (
        await http.post(AUTOPILOT, json={"step_seconds": 1}, headers=client_headers)
    ).raise_for_status()
    await arrange_order(sessions, created_at=utcnow() + timedelta(seconds=1))
    effect = AutopilotSteps()
    async with sessions() as session:
        serve_tenant(session, DEFAULT_TENANT)
        due = await effect.next_due(
            session, DEFAULT_TENANT, after=utcnow(), until=utcnow() + timedelta(minutes=5)
        )
    assert due is not None
    with clock.running_at(due.at):
        assert await effect.fire(sessions, DEFAULT_TENANT, due)
    other = await factories.other_tenant_headers(http, sessions)
    (await http.post(AUTOPILOT, headers=other)).raise_for_status()

    response = await http.post(f"{SANDBOX}/reset", headers=client_headers)

    assert response.status_code == 200, response.text
    assert response.json()["removed"]["autopilots"] == 2
    assert response.json()["removed"]["orders"] == 1
    async with sessions() as session:
        assert await session.scalar(select(func.count()).select_from(AutopilotRun)) == 0
        left = (await session.scalars(select(Autopilot.tenant_id))).all()
    assert DEFAULT_TENANT not in left
    assert len(left) == 1
    assert (await http.get(AUTOPILOT, headers=client_headers)).json() == {"autopilots": []}
