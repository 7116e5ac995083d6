"""Sandbox fault rules over the API: adding, listing and removing them, and each effect as a
client meets it (``docs/sandbox.md``, "Faults")."""

import time
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from aftercart.auth.service import IssuedCredentials
from aftercart.models import SandboxFault, Shopper
from aftercart.sandbox import fault_rules
from aftercart.sandbox.fault_injection import FaultCache
from aftercart.sandbox.fault_rules import MAX_DELAY_MS, Target
from aftercart.sandbox.faults import MAX_FAULTS_PER_CLIENT, rule_of
from tests import factories
from tests.sandbox.helpers import SANDBOX, Sessions
from tests.stream.helpers import served

FAULTS = f"{SANDBOX}/faults"
PRODUCTS = f"{SANDBOX}/products"
Headers = dict[str, str]


async def add(http: httpx.AsyncClient, headers: Headers, **rule: Any) -> dict[str, Any]:
    response = await http.post(FAULTS, json=rule, headers=headers)
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def listed(http: httpx.AsyncClient, headers: Headers) -> list[dict[str, Any]]:
    response = await http.get(FAULTS, headers=headers)
    assert response.status_code == 200, response.text
    faults: list[dict[str, Any]] = response.json()["faults"]
    return faults


@pytest.fixture
async def other_headers(http: httpx.AsyncClient, sessions: Sessions) -> Headers:
    """A second client's token."""
    creds = await factories.make_api_client(sessions, name="Other retailer")
    return factories.bearer(await factories.client_token(http, creds))


# --- Adding, listing, removing ------------------------------------------------------------


async def test_a_rule_is_answered_listed_and_removed(
    http: httpx.AsyncClient, client_headers: Headers
) -> None:
    rule = await add(
        http,
        client_headers,
        method="post",
        path="/v2/fulfillment/*",
        probability=0.25,
        seed=42,
        effect={"type": "error", "status": 503, "retry_after": 2},
    )
    assert rule == {
        "id": rule["id"],
        "target": "api",
        "method": "POST",
        "path": "/v2/fulfillment/*",
        "probability": 0.25,
        "seed": 42,
        "effect": {"type": "error", "status": 503, "retry_after": 2},
        "consulted": 0,
        "created_at": rule["created_at"],
    }
    assert await listed(http, client_headers) == [rule]
    removed = await http.delete(f"{FAULTS}/{rule['id']}", headers=client_headers)
    assert removed.status_code == 200, removed.text
    assert removed.json() == {"deleted": 1}
    assert await listed(http, client_headers) == []
    again = await http.delete(f"{FAULTS}/{rule['id']}", headers=client_headers)
    assert again.status_code == 404
    assert again.json() == {"error": {"message": "Resource not found", "code": 4000}, "meta": {}}


async def test_defaults_and_a_webhook_rule(
    http: httpx.AsyncClient, client_headers: Headers
) -> None:
    api = await add(http, client_headers, path="*", effect={"type": "latency", "ms": 5})
    assert (api["method"], api["probability"], api["effect"]) == (
        "*",
        1.0,
        {"type": "latency", "ms": 5},
    )
    assert isinstance(api["seed"], int)
    hook = await add(
        http, client_headers, target="webhook", effect={"type": "reorder"}, probability=0
    )
    assert "method" not in hook
    assert "path" not in hook
    assert hook["event"] == "*"
    assert hook["effect"] == {"type": "reorder", "ms": fault_rules.DEFAULT_HOLD_MS}


async def test_removing_all_of_a_clients_rules(
    http: httpx.AsyncClient, client_headers: Headers, other_headers: Headers
) -> None:
    for ms in (1, 2):
        await add(http, client_headers, path="/nowhere", effect={"type": "latency", "ms": ms})
    theirs = await add(http, other_headers, path="/nowhere", effect={"type": "drop"})
    response = await http.delete(FAULTS, headers=client_headers)
    assert response.json() == {"deleted": 2}
    assert await listed(http, client_headers) == []
    assert await listed(http, other_headers) == [theirs]


async def test_clients_see_and_remove_only_their_own_rules(
    http: httpx.AsyncClient, client_headers: Headers, other_headers: Headers
) -> None:
    mine = await add(http, client_headers, path="*", effect={"type": "error", "status": 500})
    assert await listed(http, other_headers) == []
    refused = await http.delete(f"{FAULTS}/{mine['id']}", headers=other_headers)
    assert refused.status_code == 404
    assert refused.json()["error"]["code"] == 4000
    # Their requests are not faulted by my rule; mine are.
    assert (await http.get(PRODUCTS, headers=other_headers)).status_code == 200
    assert (await http.get(PRODUCTS, headers=client_headers)).status_code == 500
    assert await listed(http, client_headers) == [{**mine, "consulted": 1}]


@pytest.mark.parametrize(
    ("rule", "key", "message"),
    [
        ({"effect": {"type": "drop"}}, "path", "can't be blank"),
        ({"path": "v2/*", "effect": {"type": "drop"}}, "path", "must start with / (or be *"),
        ({"path": "*", "method": "BREW", "effect": {"type": "drop"}}, "method", "is not incl"),
        ({"path": "*", "probability": 1.5, "effect": {"type": "drop"}}, "probability", "must be"),
        ({"path": "*", "probability": True, "effect": {"type": "drop"}}, "probability", "is inv"),
        ({"path": "*", "seed": -1, "effect": {"type": "drop"}}, "seed", "must be between"),
        ({"path": "*"}, "effect", "can't be blank"),
        ({"path": "*", "effect": {"type": "slow", "ms": 1}}, "effect.type", "is not an effect"),
        ({"path": "*", "effect": {"type": "latency"}}, "effect.ms", "can't be blank"),
        (
            {"path": "*", "effect": {"type": "latency", "ms": MAX_DELAY_MS + 1}},
            "effect.ms",
            "must be between",
        ),
        (
            {"path": "*", "effect": {"type": "latency", "min_ms": 9, "max_ms": 3}},
            "effect.max_ms",
            "must be greater than or equal to min_ms",
        ),
        ({"path": "*", "effect": {"type": "error", "status": 404}}, "effect.status", "is not"),
        (
            {"path": "*", "effect": {"type": "error", "status": 500, "retry_after": 3}},
            "effect.retry_after",
            "applies only to 429 and 503",
        ),
        ({"path": "*", "effect": {"type": "drop", "ms": 3}}, "effect.ms", "does not apply"),
        ({"target": "webhook", "path": "/x", "effect": {"type": "slow", "ms": 1}}, "path", "ap"),
        ({"target": "mail", "effect": {"type": "drop"}}, "target", "is not included"),
    ],
)
async def test_bad_rules_are_refused_and_change_nothing(
    http: httpx.AsyncClient, client_headers: Headers, rule: dict[str, Any], key: str, message: str
) -> None:
    response = await http.post(FAULTS, json=rule, headers=client_headers)
    assert response.status_code == 400, response.text
    body = response.json()
    assert body["error"]["code"] == 1001
    assert body["meta"] == {"key": key}
    assert body["error"]["message"].startswith(message)
    assert await listed(http, client_headers) == []


async def test_several_problems_at_once(http: httpx.AsyncClient, client_headers: Headers) -> None:
    rule = {"path": "x", "probability": -1, "effect": {"type": "error"}}
    response = await http.post(FAULTS, json=rule, headers=client_headers)
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == 9999
    keys = [each["meta"]["key"] for each in error["errors"]]
    assert keys == ["path", "probability", "effect.status"]


def _stored_drop(client_id: str, pattern: str) -> SandboxFault:
    """A rule written straight to the table, as another process or the CLI would."""
    return SandboxFault(
        client_id=client_id,
        target="api",
        method="*",
        pattern=pattern,
        probability=1.0,
        seed=1,
        effect="drop",
        params={},
        consulted=0,
    )


async def test_a_client_holds_a_bounded_number_of_rules(
    http: httpx.AsyncClient, client_headers: Headers, sessions: Sessions, creds: IssuedCredentials
) -> None:
    async with sessions() as session:
        session.add_all(
            _stored_drop(creds.client_id, "/nowhere") for _ in range(MAX_FAULTS_PER_CLIENT)
        )
        await session.commit()
    response = await http.post(
        FAULTS, json={"path": "*", "effect": {"type": "drop"}}, headers=client_headers
    )
    assert response.status_code == 409
    assert len(await listed(http, client_headers)) == MAX_FAULTS_PER_CLIENT


async def test_the_routes_need_a_client_token(http: httpx.AsyncClient) -> None:
    assert (await http.get(FAULTS)).status_code == 401
    assert (await http.delete(FAULTS)).status_code == 401


# --- Effects on real requests --------------------------------------------------------------


async def test_latency_delays_the_answer_and_names_the_rule(
    http: httpx.AsyncClient, client_headers: Headers
) -> None:
    rule = await add(http, client_headers, path=PRODUCTS, effect={"type": "latency", "ms": 300})
    began = time.perf_counter()
    response = await http.get(PRODUCTS, headers=client_headers)
    assert time.perf_counter() - began >= 0.3
    assert response.status_code == 200
    assert response.headers["x-sandbox-fault"] == str(rule["id"])
    quick = time.perf_counter()
    other = await http.get(f"{SANDBOX}/shoppers", headers=client_headers)
    assert time.perf_counter() - quick < 0.3
    assert "x-sandbox-fault" not in other.headers


async def test_a_ranged_latency_is_drawn_within_its_range(
    http: httpx.AsyncClient, client_headers: Headers
) -> None:
    await add(
        http,
        client_headers,
        path=PRODUCTS,
        effect={"type": "latency", "min_ms": 100, "max_ms": 200},
    )
    began = time.perf_counter()
    await http.get(PRODUCTS, headers=client_headers)
    assert 0.1 <= time.perf_counter() - began < 2


@pytest.mark.parametrize(
    ("effect", "body", "retry_after"),
    [
        (
            {"type": "error", "status": 503, "retry_after": 7},
            {
                "error": {"message": "Service temporarily unavailable, please retry", "code": 2003},
                "meta": {},
            },
            "7",
        ),
        (
            {"type": "error", "status": 429},
            {
                "error": {"message": "Too many requests, please retry later", "code": 6429},
                "meta": {},
            },
            "1",
        ),
        (
            {"type": "error", "status": 500},
            {
                "error": {
                    "message": "Sorry, an unexpected error occurred. Our team has been notified. "
                    "Please try again later.",
                    "code": 5000,
                },
                "meta": {},
            },
            None,
        ),
    ],
)
async def test_an_error_answers_in_connects_envelope(
    http: httpx.AsyncClient,
    client_headers: Headers,
    effect: dict[str, Any],
    body: dict[str, Any],
    retry_after: str | None,
) -> None:
    await add(http, client_headers, method="GET", path=f"{SANDBOX}/*", effect=effect)
    response = await http.get(PRODUCTS, headers=client_headers)
    assert response.status_code == effect["status"]
    assert response.json() == body
    assert response.headers.get("retry-after") == retry_after
    # Another method is not matched.
    assert (await http.post(f"{SANDBOX}/shoppers", json={}, headers=client_headers)).is_success


async def test_an_error_on_a_post_checkout_path_uses_its_envelope(
    http: httpx.AsyncClient, client_headers: Headers, sessions: Sessions, creds: IssuedCredentials
) -> None:
    async with sessions() as session:
        user = await factories.insert_user(session)
        await session.commit()
    user_headers = factories.bearer(await factories.user_token(http, creds, user.user_id))
    await add(
        http,
        client_headers,
        path="/v2/post_checkout/*",
        effect={"type": "error", "status": 503, "retry_after": 4},
    )
    response = await http.get("/v2/post_checkout/orders/nope/handling", headers=user_headers)
    assert response.status_code == 503
    assert response.json() == {
        "error": "Service temporarily unavailable, please retry",
        "status": 503,
    }
    assert response.headers["retry-after"] == "4"


@pytest.mark.parametrize("status", [429, 503, 500])
async def test_an_error_answers_before_the_endpoint_runs(
    status: int,
    app: FastAPI,
    http: httpx.AsyncClient,
    client_headers: Headers,
    sessions: Sessions,
) -> None:
    """Like a real rate limit or an overloaded server: the request changed nothing, so a
    client's retry is never a duplicate."""
    await add(
        http,
        client_headers,
        method="POST",
        path=f"{SANDBOX}/shoppers",
        effect={"type": "error", "status": status},
    )
    response = await http.post(f"{SANDBOX}/shoppers", json={}, headers=client_headers)
    assert response.status_code == status
    async with sessions() as session:
        assert (await session.scalars(select(Shopper))).all() == []
    # The request monitor shows the simulated answer.
    await app.state.monitor.flush()
    monitored = await http.get(f"{SANDBOX}/monitor/requests", headers=client_headers)
    newest = monitored.json()["requests"][0]
    assert (newest["method"], newest["path"], newest["status"]) == (
        "POST",
        f"{SANDBOX}/shoppers",
        status,
    )


async def test_a_latency_lets_the_request_through(
    http: httpx.AsyncClient, client_headers: Headers, sessions: Sessions
) -> None:
    await add(
        http,
        client_headers,
        method="POST",
        path=f"{SANDBOX}/shoppers",
        effect={"type": "latency", "ms": 50},
    )
    response = await http.post(f"{SANDBOX}/shoppers", json={}, headers=client_headers)
    assert response.status_code == 200, response.text
    assert response.headers["x-sandbox-fault"]
    async with sessions() as session:
        assert len((await session.scalars(select(Shopper))).all()) == 1


async def test_a_drop_closes_the_connection_without_an_answer(
    app: FastAPI, http: httpx.AsyncClient, client_headers: Headers
) -> None:
    await add(http, client_headers, path=PRODUCTS, effect={"type": "drop"})
    async with served(app) as url, httpx.AsyncClient(base_url=url, trust_env=False) as real:
        with pytest.raises(httpx.RemoteProtocolError):
            await real.get(PRODUCTS, headers=client_headers)
        # Nor did the endpoint run for a dropped write.
        await add(
            http, client_headers, method="POST", path=f"{SANDBOX}/shoppers", effect={"type": "drop"}
        )
        with pytest.raises(httpx.RemoteProtocolError):
            await real.post(f"{SANDBOX}/shoppers", json={}, headers=client_headers)
        # The same server still answers other requests.
        assert (await real.get(FAULTS, headers=client_headers)).status_code == 200


async def test_the_fault_routes_are_never_faulted(
    http: httpx.AsyncClient, client_headers: Headers
) -> None:
    await add(http, client_headers, path="*", effect={"type": "error", "status": 500})
    assert (await http.get(PRODUCTS, headers=client_headers)).status_code == 500
    assert (await http.get(FAULTS, headers=client_headers)).status_code == 200
    removed = await http.delete(FAULTS, headers=client_headers)
    assert removed.json() == {"deleted": 1}
    assert (await http.get(PRODUCTS, headers=client_headers)).status_code == 200


async def test_a_seed_replays_the_same_faults(
    http: httpx.AsyncClient, client_headers: Headers, sessions: Sessions
) -> None:
    rule = await add(
        http,
        client_headers,
        path=PRODUCTS,
        probability=0.5,
        seed=2024,
        effect={"type": "error", "status": 500},
    )
    seen = [(await http.get(PRODUCTS, headers=client_headers)).status_code for _ in range(12)]
    async with sessions() as session:
        row = await session.get(SandboxFault, rule["id"])
        assert row is not None
        expected = [500 if fault_rules.draw(rule_of(row), n).fired else 200 for n in range(12)]
        assert row.consulted == 12
    assert seen == expected
    assert 0 < seen.count(500) < 12
    # A new rule with the same seed (its own count from 0) draws the same sequence again.
    await http.delete(FAULTS, headers=client_headers)
    await add(
        http,
        client_headers,
        path=PRODUCTS,
        probability=0.5,
        seed=2024,
        effect={"type": "error", "status": 500},
    )
    again = [(await http.get(PRODUCTS, headers=client_headers)).status_code for _ in range(12)]
    assert again == seen


async def test_rules_written_elsewhere_are_seen_once_the_cache_ages(
    sessions: Sessions, creds: IssuedCredentials
) -> None:
    now = [0.0]
    cache = FaultCache(max_age=1.0, clock=lambda: now[0])
    assert await cache.rules(sessions, creds.client_id) == []
    async with sessions() as session:
        session.add(_stored_drop(creds.client_id, "*"))
        await session.commit()
    assert await cache.rules(sessions, creds.client_id) == []
    now[0] = 1.5
    [(_, rule)] = await cache.rules(sessions, creds.client_id)
    assert rule.target is Target.API
    cache.forget(creds.client_id)
    async with sessions() as session:
        for row in (await session.scalars(select(SandboxFault))).all():
            await session.delete(row)
        await session.commit()
    assert await cache.rules(sessions, creds.client_id) == []
